"""12345 hotline import: a work-order table becomes cases, row by row, each error naming its row."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from chengyun.core import audit, tables
from chengyun.core.errors import Invalid
from chengyun.geo import services as geo
from chengyun.people import policy
from chengyun.people import roles as R

from .. import standard
from ..models import Case, Category
from .clocks import SHANGHAI
from .reporting import report


HOTLINE_COLUMNS = {"工单编号": "external_id", "受理时间": "occurred_at", "诉求内容": "description", "地址": "address", "经度": "lng", "纬度": "lat",
                   "小类代码": "category_code"}
HOTLINE_OPTIONAL = {"坐标系": "crs", "类型": "category_kind", "来电人": "reporter_name", "联系电话": "reporter_phone"}


@dataclass
class HotlineReport:
    rows: int = 0
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "created": self.created, "skipped": self.skipped, "errors": self.errors}


def _read_table(data: bytes, filename: str) -> list[dict[str, str]]:
    import csv

    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        try:
            it = tables.xlsx_rows(data)
        except tables.UnreadableTable as exc:
            raise Invalid(f"无法读取 Excel 文件：{exc}", code="bad_table") from None
        header = [str(h).strip() if h is not None else "" for h in next(it, [])]
        out = []
        for values in it:
            row = {}
            for h, v in zip(header, values):
                if isinstance(v, dt.datetime):
                    v = (v if v.tzinfo else v.replace(tzinfo=SHANGHAI)).isoformat()
                row[h] = "" if v is None else str(v)
            out.append(row)
        return out
    try:
        text = tables.decode_text(data)
    except tables.UnreadableTable as exc:
        raise Invalid(str(exc), code="bad_encoding") from None
    try:
        return list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # e.g. an unterminated quote, a field past the size limit
        raise Invalid(f"CSV 格式有误：{exc}", code="bad_table") from None


def import_hotline(user: Any, data: bytes, filename: str = "") -> HotlineReport:
    """12345 work orders (Excel/CSV) → cases from the hotline source. Any row error: nothing imported.

    Work orders already imported (same 工单编号) are skipped, so a file can be imported again.
    """
    if user is not None:
        policy.require_role(user, {R.OPS_ACCEPTOR, R.OPS_SHIFT_LEADER, R.SYSADMIN}, "只有受理员或值班长可以导入 12345 工单")
    rows = _read_table(data, filename)
    rep = HotlineReport(rows=len(rows))
    if rows:
        missing = [c for c in HOTLINE_COLUMNS if c not in rows[0]]
        if missing:
            raise Invalid(f"缺少列：{'、'.join(missing)}", code="bad_table", detail={"missing": missing})
    categories = {(c.kind, c.code): c for c in Category.objects.filter(active=True)}
    parsed = []
    for n, raw in enumerate(rows, start=2):
        row = {HOTLINE_COLUMNS.get(k) or HOTLINE_OPTIONAL.get(k) or k: (v or "").strip() for k, v in raw.items() if k}
        errs = []
        for col, key in HOTLINE_COLUMNS.items():
            if key not in ("address",) and not row.get(key):
                errs.append(f"“{col}”不能为空")
        kind = standard.KIND_BY_NAME.get(row.get("category_kind") or "事件")
        if row.get("category_code") and (kind, row["category_code"].zfill(4)) not in categories:
            errs.append(f"“小类代码”不存在：{row.get('category_kind') or '事件'} {row['category_code']}")
        when = None
        if row.get("occurred_at"):
            try:
                when = dt.datetime.fromisoformat(row["occurred_at"].replace("/", "-"))
                if when.tzinfo is None:
                    when = when.replace(tzinfo=SHANGHAI)  # the hotline's exports are in Beijing time
            except ValueError:
                errs.append(f"“受理时间”格式有误：{row['occurred_at']}")
        lng = lat = None
        try:
            lng, lat = float(row.get("lng")), float(row.get("lat"))
        except (TypeError, ValueError):
            if row.get("lng") and row.get("lat"):
                errs.append("“经度/纬度”应为数字")
        crs = (row.get("crs") or "wgs84").lower()
        if lng is not None and not errs:
            try:
                geo.locate(lng, lat, crs)
            except (geo.OutsideDistrict, Invalid) as exc:
                errs.append(f"“经度/纬度”：{exc.message}")
        if errs:
            rep.errors.extend(f"第 {n} 行：{e}" for e in errs)
            continue
        parsed.append((n, row, kind, when, lng, lat, crs))
    if rep.errors:
        return rep
    with transaction.atomic():
        for n, row, kind, when, lng, lat, crs in parsed:
            if Case.objects.filter(source="hotline", external_id=row["external_id"]).exists():
                rep.skipped.append(row["external_id"])
                continue
            case = report(user, source="hotline", category_code=row["category_code"].zfill(4), category_kind=kind, lng=lng, lat=lat, crs=crs,
                          description=row["description"], address=row.get("address", ""), reporter_name=row.get("reporter_name", ""),
                          reporter_phone=row.get("reporter_phone", ""), external_id=row["external_id"], occurred_at=when)
            rep.created.append(case.number)
        audit.action(None, "import_hotline", otype="cases.case", object_repr=filename or "12345", after={"created": len(rep.created), "skipped": len(rep.skipped)})
    return rep
