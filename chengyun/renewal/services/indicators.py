"""Indicator sets (体检指标体系) by year: the national basic set shipped as project data, Excel
import/export with row-level errors (all or nothing), and the district's own 特色指标."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.reports import xlsx

from .. import providers
from ..models import Dimension, Indicator, IndicatorSet
from .access import is_office, require_office
from .sheets import ImportReport, choice_map, number, read_rows

DATA = Path(__file__).resolve().parent.parent / "data"

COLUMNS = (("code", "指标编码"), ("dimension", "维度"), ("aspect", "二级维度"), ("name", "指标名称"), ("unit", "计量单位"),
           ("kind", "指标类型"), ("value_kind", "取值类型"), ("direction", "方向"), ("source", "指标来源"),
           ("department", "责任部门"), ("data_source", "数据来源"), ("target_value", "目标值"), ("computed_by", "计算方式"))
REQUIRED = ("code", "dimension", "name")
EDITABLE = ("aspect", "name", "unit", "kind", "value_kind", "direction", "source", "responsible_unit", "data_source",
            "target_value", "computed_by", "note", "dimension", "order")


def _department(value: Any) -> Unit | None:
    """A unit by code, name, short name or specialty (the first department of that specialty)."""
    text = str(value or "").strip()
    if not text:
        return None
    found = Unit.objects.filter(code=text).first() or Unit.objects.filter(name=text).first() or Unit.objects.filter(short_name=text).first()
    if found is not None:
        return found
    # By specialty: the district department first (园林 → 园林绿化服务中心, not the contractor), then a utility.
    by_specialty = Unit.objects.filter(specialty=text, active=True)
    for kind in (Unit.Kind.DEPARTMENT, Unit.Kind.UTILITY, Unit.Kind.OPS_CENTER):
        hit = by_specialty.filter(kind=kind).order_by("code").first()
        if hit is not None:
            return hit
    return by_specialty.order_by("code").first()


def create_set(user: Any, *, year: int, name: str, note: str = "") -> IndicatorSet:
    if user is not None:
        require_office(user, "只有城市体检办公室可以建立指标体系")
    name = (name or "").strip()
    if not name:
        raise Invalid("请填写指标体系名称", code="missing_name", detail={"field": "name"})
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Invalid("年度应为四位年份", code="bad_year", detail={"field": "year"})
    if IndicatorSet.objects.filter(year=year, name=name).exists():
        raise Conflict(f"{year} 年已有名为“{name}”的指标体系", code="duplicate_set")
    with transaction.atomic():
        s = IndicatorSet.objects.create(year=year, name=name[:100], note=note[:300])
        audit.created(s)
    return s


def _clean_row(report: ImportReport, n: int, raw: dict[str, Any], seen: dict[str, int], maps: dict[str, dict[str, str]]) -> dict[str, Any] | None:
    labels = dict(COLUMNS)
    before = len(report.errors)
    code = str(raw.get("code") or "").strip()
    if not code:
        report.error(n, labels["code"], "缺少指标编码")
    elif len(code) > 32:
        report.error(n, labels["code"], "指标编码超过 32 个字符")
    elif code in seen:
        report.error(n, labels["code"], f"指标编码 {code} 与第 {seen[code]} 行重复")
    else:
        seen[code] = n
    values: dict[str, Any] = {"code": code}
    for key, default in (("dimension", None), ("kind", Indicator.Kind.BASELINE), ("value_kind", Indicator.ValueKind.COUNT),
                         ("direction", Indicator.Direction.LOWER), ("source", Indicator.Source.DISTRICT)):
        text = str(raw.get(key) or "").strip()
        if not text and default is not None:
            values[key] = default
        elif text in maps[key]:
            values[key] = maps[key][text]
        else:
            report.error(n, labels[key], f"未知的{labels[key]}“{text}”（可选：{'、'.join(k for k in maps[key] if not k.isascii())}）")
    name = str(raw.get("name") or "").strip()
    if not name:
        report.error(n, labels["name"], "缺少指标名称")
    values["name"] = name[:120]
    for key, size in (("aspect", 30), ("unit", 20), ("data_source", 100)):
        values[key] = str(raw.get(key) or "").strip()[:size]
    try:
        values["target_value"] = number(raw.get("target_value"))
    except ValueError:
        report.error(n, labels["target_value"], f"目标值“{raw.get('target_value')}”不是数字")
    dept = raw.get("department")
    values["responsible_unit"] = _department(dept)
    if dept not in (None, "") and values["responsible_unit"] is None:
        report.error(n, labels["department"], f"责任部门“{dept}”不存在")
    computed = str(raw.get("computed_by") or "").strip()
    if computed and providers.get(computed) is None:
        report.error(n, labels["computed_by"], f"计算方式“{computed}”未注册")
    values["computed_by"] = computed
    return values if len(report.errors) == before else None


def _maps() -> dict[str, dict[str, str]]:
    return {"dimension": choice_map(Dimension.choices), "kind": choice_map(Indicator.Kind.choices),
            "value_kind": choice_map(Indicator.ValueKind.choices), "direction": choice_map(Indicator.Direction.choices),
            "source": choice_map(Indicator.Source.choices)}


def import_rows(user: Any, indicator_set: IndicatorSet, rows: list[tuple[int, dict[str, Any]]], *, dry_run: bool = False,
                verb: str = "import_indicators") -> ImportReport:
    """Create or update the set's indicators from rows; any error → nothing written."""
    if user is not None:
        require_office(user, "只有城市体检办公室可以导入指标体系")
    report = ImportReport(total=len(rows))
    seen: dict[str, int] = {}
    maps = _maps()
    cleaned = [(n, _clean_row(report, n, raw, seen, maps)) for n, raw in rows]
    if report.errors or dry_run:
        return report
    existing = {i.code: i for i in indicator_set.indicators.all()}
    next_order = max([i.order for i in existing.values()], default=0)
    with transaction.atomic():
        for n, values in cleaned:
            old = existing.get(values["code"])
            if old is None:
                next_order += 1
                ind = Indicator.objects.create(indicator_set=indicator_set, order=next_order, **values)
                audit.created(ind, verb=verb)
                report.created += 1
            else:
                before = audit.snapshot(old)
                for k, v in values.items():
                    setattr(old, k, v)
                old.save()
                if audit.updated(old, before, verb=verb):
                    report.updated += 1
        audit.action(indicator_set, verb, after={"created": report.created, "updated": report.updated, "rows": report.total})
    report.written = True
    return report


def import_xlsx(user: Any, indicator_set: IndicatorSet, data: bytes, *, dry_run: bool = False) -> ImportReport:
    if user is not None:
        require_office(user, "只有城市体检办公室可以导入指标体系")
    return import_rows(user, indicator_set, read_rows(data, COLUMNS, REQUIRED), dry_run=dry_run)


def export_xlsx(indicator_set: IndicatorSet) -> bytes:
    """The set as a sheet with Chinese labels, which import_xlsx reads back unchanged."""
    with translation.override("zh-hans"):
        rows = [(i.code, str(i.get_dimension_display()), i.aspect, i.name, i.unit, str(i.get_kind_display()),
                 str(i.get_value_kind_display()), str(i.get_direction_display()), str(i.get_source_display()),
                 i.responsible_unit.code if i.responsible_unit_id else "", i.data_source, i.target_value, i.computed_by)
                for i in indicator_set.indicators.select_related("responsible_unit").order_by("order", "code")]
    wb = xlsx.new_workbook()
    xlsx.add_table(wb, f"{indicator_set.year}指标体系", [label for _, label in COLUMNS], rows)
    return xlsx.to_bytes(wb)


def national_rows() -> list[tuple[int, dict[str, Any]]]:
    """The national basic set as far as public sources give it (renewal/data/national_basic.csv)."""
    with open(DATA / "national_basic.csv", encoding="utf-8") as f:
        out = []
        for n, row in enumerate(csv.DictReader(f), start=2):
            row = dict(row)
            row["source"] = "national"
            out.append((n, row))
    return out


def load_national_set(user: Any, year: int, *, name: str = "城市体检基础指标") -> IndicatorSet:
    """Create the year's basic set from the shipped national list (its responsible departments
    resolved by specialty against the unit directory); 409 when it exists."""
    if user is not None:
        require_office(user, "只有城市体检办公室可以建立指标体系")
    with transaction.atomic():
        s = create_set(user, year=year, name=name, note="国家城市体检基础指标（按公开资料整理）")
        rows = national_rows()
        for _, row in rows:
            if _department(row.get("department")) is None:
                row["department"] = ""
        report = import_rows(user, s, rows, verb="load_national")
        report.raise_if_errors()
    return s


def create_indicator(user: Any, indicator_set: IndicatorSet, **fields: Any) -> Indicator:
    """A district 特色指标 (or any single indicator) added by form or API; same checks as a row."""
    if user is not None:
        require_office(user, "只有城市体检办公室可以新增指标")
    raw = {k: fields.get(k) for k, _ in COLUMNS}
    raw["source"] = fields.get("source") or Indicator.Source.DISTRICT
    if indicator_set.indicators.filter(code=str(raw.get("code") or "").strip()).exists():
        raise Conflict(f"指标编码 {raw.get('code')} 已存在", code="duplicate_code", detail={"field": "code"})
    report = ImportReport(total=1)
    values = _clean_row(report, 1, raw, {}, _maps())
    if report.errors:
        e = report.errors[0]
        field_key = next((k for k, label in COLUMNS if label == e.field), e.field)
        raise Invalid(e.message, code="bad_indicator", detail={"field": field_key, "errors": [x.as_dict() for x in report.errors]})
    with transaction.atomic():
        order = (max(indicator_set.indicators.values_list("order", flat=True), default=0) or 0) + 1
        ind = Indicator.objects.create(indicator_set=indicator_set, order=order, note=str(fields.get("note") or "")[:300], **values)
        audit.created(ind)
    return ind


def update_indicator(user: Any, indicator: Indicator, **changes: Any) -> Indicator:
    """The office changes anything; the responsible department its target value and data source."""
    if user is not None and not is_office(user):
        policy.require_write(user, indicator, "只能修改本部门负责的指标")
        refused = set(changes) - {"target_value", "data_source"}
        if refused:
            raise Invalid(f"无权修改字段：{'、'.join(sorted(refused))}", code="field_not_allowed", detail={"fields": sorted(refused)})
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid(f"未知字段：{'、'.join(sorted(unknown))}", code="unknown_field", detail={"fields": sorted(unknown)})
    if "target_value" in changes:
        try:
            changes["target_value"] = number(changes["target_value"])
        except ValueError:
            raise Invalid("目标值应为数字", code="bad_number", detail={"field": "target_value"}) from None
    if changes.get("computed_by") and providers.get(changes["computed_by"]) is None:
        raise Invalid(f"计算方式“{changes['computed_by']}”未注册", code="unknown_provider", detail={"field": "computed_by"})
    with transaction.atomic():
        before = audit.snapshot(indicator)
        for k, v in changes.items():
            setattr(indicator, k, v)
        indicator.full_clean(exclude=["indicator_set"])
        indicator.save()
        audit.updated(indicator, before)
    return indicator
