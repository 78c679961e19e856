"""The audit log's hash chain: `chengyun audit verify` finds an edited, deleted or inserted row;
concurrent writers keep one chain; the retention purge keeps it verifiable; export for auditors."""
import csv
import datetime as dt
import io
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, connections
from django.test import override_settings
from django.utils import timezone

from chengyun.core import audit, auditlog
from chengyun.core.migrations import _append_only
from chengyun.core.models import AuditAnchor, AuditEntry
from chengyun.geo.models import Unit
from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


def _entries(n: int) -> list[AuditEntry]:
    unit = Unit.objects.get(code="D01")
    return [audit.action(unit, f"test{i}", after={"i": i, "名称": "甲", "x": 1.5}) for i in range(n)]


class _Tampering:
    """Lift the append-only triggers for one block, as someone with database access could."""

    def __enter__(self):
        with connection.cursor() as c:
            if connection.vendor == "postgresql":
                c.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_change")
            else:
                c.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")
                c.execute("DROP TRIGGER IF EXISTS core_auditentry_no_delete")

    def __exit__(self, *exc):
        with connection.cursor() as c:
            if connection.vendor == "postgresql":
                c.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_no_change")
            else:
                c.execute(_append_only.SQLITE_NO_UPDATE)
                c.execute(_append_only.SQLITE_NO_DELETE_ANCHORED)


def _verify_cli() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_an_intact_chain_verifies(units):
    _entries(5)
    first, *rest = AuditEntry.objects.order_by("seq")
    assert first.seq == 1 and first.prev_hash == auditlog.GENESIS
    assert all(e.prev_hash == p.hash and e.seq == p.seq + 1 for p, e in zip([first, *rest], rest))
    assert "哈希链完整" in _verify_cli()


def test_an_edited_row_is_found(units):
    entries = _entries(5)
    with _Tampering():
        AuditEntry.objects.filter(pk=entries[2].pk).update(after={"i": 99})
    result = auditlog.verify()
    assert result.problem.kind == "edited" and result.problem.entry_id == entries[2].pk
    with pytest.raises(CommandError, match="被修改"):
        _verify_cli()


def test_a_deleted_row_is_found(units):
    entries = _entries(5)
    with _Tampering():
        AuditEntry.objects.filter(pk=entries[3].pk).delete()
    result = auditlog.verify()
    assert result.problem.kind == "deleted" and result.problem.seq == entries[3].seq
    with pytest.raises(CommandError, match="被删除"):
        _verify_cli()


def test_an_inserted_row_is_found(units):
    entries = _entries(3)
    with _Tampering():
        # Make room after the second entry and slip a forged one in, with a hash of its own.
        last = entries[2]
        AuditEntry.objects.filter(pk=last.pk).update(seq=100)
        forged = AuditEntry(request_id="x", action="action", verb="forged", object_type="geo.unit", object_id="1",
                            seq=last.seq, prev_hash="f" * 64, at=timezone.now())
        forged.hash = auditlog.digest(forged)
        AuditEntry.objects.bulk_create([forged])
    assert auditlog.verify().problem.kind == "inserted"
    # A row written around the chain (no seq) is found too.
    with _Tampering():
        AuditEntry.objects.filter(verb="forged").delete()
        AuditEntry.objects.filter(pk=last.pk).update(seq=last.seq)
    assert auditlog.verify().ok
    with _Tampering():
        AuditEntry.objects.bulk_create([AuditEntry(request_id="x", action="action", verb="sneaked", object_type="geo.unit", object_id="1")])
    assert auditlog.verify().problem.kind == "inserted"
    # The chain goes on from its last linked entry, not from the stray row.
    assert _entries(1)[0].seq == last.seq + 1


def test_bulk_entries_join_the_chain(units, make_user):
    units = list(Unit.objects.all()[:3])
    audit.bulk_created(units, verb="import")
    _entries(1)
    assert auditlog.verify().ok and auditlog.verify().checked == AuditEntry.objects.count()


@pytest.mark.django_db(transaction=True)
def test_two_writers_at_once_keep_one_unbroken_chain(units):
    unit_id = Unit.objects.get(code="D01").pk
    errors = []

    def write(verb):
        # The test database is SQLite's shared in-memory cache, whose table locks do not wait
        # (busy_timeout applies to files); a writer that meets one tries again, as a file-backed
        # SQLite writer waits. What must never happen is two entries linked to one predecessor
        # (seq is unique: that would raise IntegrityError) or a gap.
        for _attempt in range(200):
            try:
                return audit.action(Unit.objects.get(pk=unit_id), verb)
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                time.sleep(0.005)
        raise AssertionError(f"{verb}: still locked")

    def writer(n):
        try:
            for i in range(15):
                write(f"w{n}-{i}")
        except Exception as exc:  # reported below, with the thread that raised
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and AuditEntry.objects.filter(verb__startswith="w").count() == 45
    assert auditlog.verify().ok


def test_retention_is_at_least_180_days_and_the_purge_keeps_the_chain_verifiable(units):
    with override_settings(AUDIT_RETENTION_DAYS=30):
        assert auditlog.retention_days() == 180
    import chengyun.settings as production

    assert production.AUDIT_RETENTION_DAYS >= 180
    old = _entries(4)
    with _Tampering():
        AuditEntry.objects.filter(pk__in=[e.pk for e in old[:3]]).update(at=timezone.now() - dt.timedelta(days=200))
    # Moving the rows' time edits them, so re-seal the chain for the purge's sake (as the migration does).
    with _Tampering():
        prev = auditlog.GENESIS
        for e in AuditEntry.objects.order_by("seq"):
            e.prev_hash = prev
            e.hash = auditlog.digest(e)
            AuditEntry.objects.filter(pk=e.pk).update(prev_hash=e.prev_hash, hash=e.hash)
            prev = e.hash
    assert auditlog.verify().ok
    # Nobody deletes within retention, even through the ORM.
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=old[3].pk).delete()
    out = io.StringIO()
    call_command("audit", "purge", stdout=out)
    assert "已清理 3 条" in out.getvalue()
    anchor = AuditAnchor.objects.get()
    assert anchor.seq == old[2].seq and anchor.purged == 3
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old[:3]]).exists()
    assert AuditEntry.objects.filter(verb="audit_purge").exists()
    result = auditlog.verify()
    assert result.ok and result.checked == AuditEntry.objects.count()


def test_auditors_export_csv_and_xlsx_and_the_export_is_audited(units, make_user, api_client):
    from openpyxl import load_workbook

    _entries(2)
    audit.action(Unit.objects.get(code="D01"), "formula", after={"v": "=cmd|' /C calc'!A0"})
    api_client.as_user(make_user(R.OPS_DISPATCHER))
    assert api_client.get("people/security/audit/export").status_code == 403
    auditor = make_user(R.AUDITOR)
    api_client.as_user(auditor)
    r = api_client.get("people/security/audit/export", {"format": "csv", "object_type": "geo.unit"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "seq" and [row[7] for row in rows[1:]] == ["test0", "test1", "formula"]
    r = api_client.get("people/security/audit/export", {"format": "xlsx"})
    ws = load_workbook(io.BytesIO(r.content)).active
    values = [c.value for c in ws["M"]]
    assert any(v and "=cmd" in v for v in values) and all(c.data_type == "s" for c in ws["M"] if c.value)
    from django.test import Client

    page = Client()
    page.force_login(auditor)
    r = page.get("/people/audit/export", {"format": "xlsx"})
    assert r.status_code == 200 and r["Content-Disposition"].endswith('audit.xlsx"')
    assert AuditEntry.objects.filter(verb="audit_export").count() == 3
    assert api_client.get("people/security/audit/verify").json()["ok"] is True


def test_sign_in_failure_and_sign_out_are_in_the_log(make_user):
    from django.test import Client

    user = make_user(R.OPS_DISPATCHER)
    c = Client()
    c.post("/login/", {"username": user.username, "password": "wrong"})
    c.post("/login/", {"username": user.username, "password": "pw-test-123"})
    c.get("/logout/")
    verbs = list(AuditEntry.objects.filter(object_repr=user.username).order_by("seq").values_list("verb", "ip"))
    assert verbs == [("login_failed", "127.0.0.1"), ("login", "127.0.0.1"), ("logout", "127.0.0.1")]
