"""The audit log's hash chain, its verification, retention and export (GB/T 22239-2019 8.1.4.3).

Each entry stores ``seq`` (1, 2, 3 … with no gaps), the previous entry's hash and its own:
SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of every recorded field plus
``seq`` and ``prev_hash``. Editing an entry breaks its own hash; deleting one leaves a gap in
``seq`` and a ``prev_hash`` that matches nothing; inserting one breaks the link to its
predecessor. ``chengyun audit verify`` walks the chain and names the first broken link.

Two writers: an entry is linked and inserted while holding the chain lock, so two transactions
never read the same predecessor. On PostgreSQL that is a transaction-scoped advisory lock (held
until commit, so the next writer sees the committed row); on SQLite the project's transactions
begin IMMEDIATE, which already admits one writer at a time.

Retention: entries older than AUDIT_RETENTION_DAYS (never under 180) may be purged. The purge
first records an AuditAnchor (the seq and hash of the last purged entry); the chain then starts
from the anchor, and the database trigger allows deleting only entries an anchor covers.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any, Iterator

from django.conf import settings
from django.utils import timezone

from . import audit
from .auditchain import GENESIS, chain_lock, digest, link  # noqa: F401  (the chain, for callers of auditlog)
from .models import AuditAnchor, AuditEntry

# ---------------------------------------------------------------- verify


@dataclass
class Problem:
    kind: str  # edited | deleted | inserted
    seq: int
    entry_id: int | None
    message: str


@dataclass
class Result:
    checked: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def problem_dict(self) -> dict[str, Any] | None:
        p = self.problem
        return None if p is None else {"kind": p.kind, "seq": p.seq, "entry_id": p.entry_id, "message": p.message}


def verify(batch: int = 2000) -> Result:
    """Walk the chain from the latest anchor (or the beginning); stop at the first broken link."""
    anchor = AuditAnchor.objects.order_by("-seq").first()
    expected_seq, prev = (anchor.seq + 1, anchor.hash) if anchor else (1, GENESIS)
    checked = 0
    last_seq = expected_seq - 1
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            break
        for e in rows:
            if digest(e) != e.hash:
                return Result(checked, Problem("edited", e.seq, e.pk, f"第 {e.seq} 条（编号 {e.pk}）内容与其哈希不符：记录被修改"))
            if e.seq > expected_seq:
                return Result(checked, Problem("deleted", expected_seq, e.pk,
                                               f"第 {expected_seq}–{e.seq - 1} 条缺失：记录被删除（其后第 {e.seq} 条，编号 {e.pk}）"))
            if e.prev_hash != prev:
                return Result(checked, Problem("inserted", e.seq, e.pk,
                                               f"第 {e.seq} 条（编号 {e.pk}）与前一条不衔接：记录被插入或替换"))
            checked += 1
            prev, expected_seq, last_seq = e.hash, e.seq + 1, e.seq
    unchained = AuditEntry.objects.filter(seq__isnull=True).order_by("id").first()
    if unchained is not None:
        return Result(checked, Problem("inserted", 0, unchained.pk, f"编号 {unchained.pk} 的记录不在哈希链中：记录被插入"))
    return Result(checked, None)


# ---------------------------------------------------------------- retention


def retention_days() -> int:
    return max(180, int(getattr(settings, "AUDIT_RETENTION_DAYS", 180)))


def purge(now: dt.datetime | None = None) -> int:
    """Delete entries older than the retention period, after anchoring the chain at the last one."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=retention_days())
    with chain_lock():
        # Purge a prefix of the chain: everything before the first entry still within retention.
        first_kept = AuditEntry.objects.filter(at__gte=cutoff, seq__isnull=False).order_by("seq").values_list("seq", flat=True).first()
        qs = AuditEntry.objects.filter(seq__lt=first_kept) if first_kept is not None else AuditEntry.objects.filter(seq__isnull=False)
        last = qs.order_by("-seq").first()
        if last is None:
            return 0
        count = AuditEntry.objects.filter(seq__lte=last.seq).count()
        AuditAnchor.objects.create(seq=last.seq, hash=last.hash, last_at=last.at, purged=count, retention_days=retention_days())
        AuditEntry.objects.filter(seq__lte=last.seq).delete()
    audit.action(None, "audit_purge", otype="core.auditanchor", object_id=str(last.seq), object_repr=f"≤{last.seq}",
                 after={"purged": count, "through_seq": last.seq, "cutoff": cutoff, "retention_days": retention_days()})
    return count


# ---------------------------------------------------------------- export

EXPORT_HEADER = ["seq", "时间", "操作人", "登录名", "来源", "IP", "动作", "操作名称", "对象类型", "对象编号", "对象", "修改前", "修改后",
                 "请求编号", "哈希"]


def _rows(qs) -> Iterator[list[Any]]:
    for e in qs.select_related("actor").order_by("seq").iterator(chunk_size=2000):
        yield [e.seq, timezone.localtime(e.at).isoformat(timespec="seconds"), e.actor_name,
               e.actor.get_username() if e.actor_id and e.actor else "", e.source, e.ip or "", e.action, e.verb,
               e.object_type, e.object_id, e.object_repr,
               json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
               json.dumps(e.after, ensure_ascii=False) if e.after is not None else "", e.request_id, e.hash]


def export(qs, fmt: str) -> bytes:
    """The entries as CSV (UTF-8 with BOM, for Excel) or .xlsx, oldest first, with their hashes."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(EXPORT_HEADER)
        for row in _rows(qs):
            w.writerow(row)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.append(EXPORT_HEADER)
    from openpyxl.cell import WriteOnlyCell

    for row in _rows(qs):
        cells = []
        for v in row:
            cell = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                cell.data_type = "s"  # text stays text: a value starting with "=" is not a formula
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
