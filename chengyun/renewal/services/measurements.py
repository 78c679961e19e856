"""Measurements (指标值) per spatial unit and year: entered by the responsible department (form,
API, Excel) or computed by the registered providers from the platform's own data."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Forbidden, Invalid
from chengyun.geo.models import Community, Compound, District, Street
from chengyun.people import policy

from .. import providers
from ..models import Indicator, IndicatorSet, Measurement, SpatialUnit
from .access import is_office, require_office
from .sheets import ImportReport, choice_map, number, read_rows

COLUMNS = (("indicator", "指标编码"), ("unit_kind", "单元类型"), ("unit_code", "单元编码"), ("value", "数值"), ("note", "说明"))
REQUIRED = ("indicator", "unit_kind", "unit_code", "value")
COMPUTED_UNIT_KINDS = ("community", "street", "district")


@dataclass(frozen=True)
class Place:
    kind: str
    code: str
    name: str
    community_id: int | None
    street_id: int | None


def resolve_unit(kind: str, code: str) -> Place:
    """The spatial unit a measurement is about; Invalid when it does not exist."""
    code = str(code or "").strip()
    if kind == SpatialUnit.DISTRICT:
        d = District.objects.filter(code=code).first()
        if d:
            return Place(kind, code, d.name, None, None)
    elif kind == SpatialUnit.STREET:
        s = Street.objects.filter(code=code).first()
        if s:
            return Place(kind, code, s.name, None, s.pk)
    elif kind == SpatialUnit.COMMUNITY:
        c = Community.objects.filter(code=code).first()
        if c:
            return Place(kind, code, c.name, c.pk, c.street_id)
    elif kind in (SpatialUnit.COMPOUND, SpatialUnit.BUILDING):
        # A building is "<compound code>-<building number>", e.g. XQ001-3.
        compound_code = code if kind == SpatialUnit.COMPOUND else code.rsplit("-", 1)[0]
        c = Compound.objects.select_related("community").filter(code=compound_code).first()
        if c and (kind == SpatialUnit.COMPOUND or "-" in code):
            name = c.name if kind == SpatialUnit.COMPOUND else f"{c.name} {code.rsplit('-', 1)[1]}号楼"
            return Place(kind, code, name, c.community_id, c.community.street_id)
    else:
        raise Invalid(f"未知的空间单元类型：{kind}", code="bad_unit_kind", detail={"field": "unit_kind"})
    raise Invalid(f"{SpatialUnit(kind).label} {code} 不存在", code="unknown_unit", detail={"field": "unit_code"})


def check_value(indicator: Indicator, value: Any) -> float:
    try:
        v = number(value)
    except ValueError:
        raise Invalid(f"数值“{value}”不是数字", code="bad_value", detail={"field": "value"}) from None
    if v is None:
        raise Invalid("请填写数值", code="missing_value", detail={"field": "value"})
    if indicator.value_kind == Indicator.ValueKind.RATE and not 0 <= v <= 100:
        raise Invalid(f"{indicator.name}是比率，应在 0～100 之间", code="bad_value", detail={"field": "value"})
    if indicator.value_kind == Indicator.ValueKind.COUNT and (v < 0 or v != int(v)):
        raise Invalid(f"{indicator.name}是问题数量，应为非负整数", code="bad_value", detail={"field": "value"})
    return v


def _require_entry(user: Any, indicator: Indicator) -> None:
    if user is None or is_office(user):
        return
    policy.require_create(user, Measurement, unit_id=indicator.responsible_unit_id,
                          message=f"只有责任部门可以填报“{indicator.name}”")


def _upsert(user: Any, indicator: Indicator, place: Place, value: float, note: str, origin: str, verb: str) -> tuple[Measurement, bool]:
    year = indicator.indicator_set.year
    m = Measurement.objects.filter(indicator=indicator, unit_kind=place.kind, unit_code=place.code).first()
    recorder = user if getattr(user, "is_authenticated", False) else None
    if m is None:
        m = Measurement.objects.create(indicator=indicator, year=year, unit_kind=place.kind, unit_code=place.code, value=value,
                                       community_id=place.community_id, street_id=place.street_id, origin=origin,
                                       recorded_by=recorder, note=note[:300])
        audit.created(m, verb=verb)
        return m, True
    before = audit.snapshot(m, exclude=("recorded_at",))
    m.value, m.origin, m.note, m.recorded_by = value, origin, note[:300], recorder
    m.save()
    audit.updated(m, before, verb=verb)
    return m, False


def record(user: Any, indicator: Indicator, *, unit_kind: str, unit_code: str, value: Any, note: str = "") -> Measurement:
    """Enter (or correct) one value; the indicator's responsible department or the office."""
    _require_entry(user, indicator)
    if indicator.computed_by:
        raise Invalid(f"“{indicator.name}”由平台计算，不能手工填报", code="computed_indicator", detail={"field": "indicator"})
    place = resolve_unit(unit_kind, unit_code)
    v = check_value(indicator, value)
    with transaction.atomic():
        m, _ = _upsert(user, indicator, place, v, note or "", Measurement.Origin.ENTERED, "record")
    return m


def import_xlsx(user: Any, indicator_set: IndicatorSet, data: bytes, *, dry_run: bool = False) -> ImportReport:
    """Values from a sheet (指标编码, 单元类型, 单元编码, 数值, 说明); each row checked, any error → nothing written."""
    if user is not None and not is_office(user) and not policy.principal(user).is_authenticated:
        raise Forbidden("请先登录", code="unauthenticated", status=401)
    rows = read_rows(data, COLUMNS, REQUIRED)
    labels = dict(COLUMNS)
    report = ImportReport(total=len(rows))
    indicators = {i.code: i for i in indicator_set.indicators.all()}
    kinds = choice_map(SpatialUnit.choices)
    cleaned, seen = [], {}
    for n, raw in rows:
        before = len(report.errors)
        ind = indicators.get(str(raw.get("indicator") or "").strip())
        if ind is None:
            report.error(n, labels["indicator"], f"指标编码“{raw.get('indicator')}”不在{indicator_set}中")
        elif ind.computed_by:
            report.error(n, labels["indicator"], f"“{ind.name}”由平台计算，不能导入")
        else:
            try:
                _require_entry(user, ind)
            except Exception as exc:
                report.error(n, labels["indicator"], getattr(exc, "message", "无权填报该指标"))
        kind = kinds.get(str(raw.get("unit_kind") or "").strip())
        place = None
        if kind is None:
            report.error(n, labels["unit_kind"], f"未知的单元类型“{raw.get('unit_kind')}”")
        else:
            try:
                place = resolve_unit(kind, raw.get("unit_code"))
            except Invalid as exc:
                report.error(n, labels["unit_code"], exc.message)
        value = None
        if ind is not None:
            try:
                value = check_value(ind, raw.get("value"))
            except Invalid as exc:
                report.error(n, labels["value"], exc.message)
        if len(report.errors) == before:
            key = (ind.code, place.kind, place.code)
            if key in seen:
                report.error(n, labels["unit_code"], f"与第 {seen[key]} 行重复")
                continue
            seen[key] = n
            cleaned.append((ind, place, value, str(raw.get("note") or "")))
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        for ind, place, value, note in cleaned:
            _, made = _upsert(user, ind, place, value, note, Measurement.Origin.ENTERED, "import_measurements")
            report.created += made
            report.updated += not made
        audit.action(indicator_set, "import_measurements", after={"rows": report.total, "created": report.created, "updated": report.updated})
    report.written = True
    return report


def compute(user: Any, year: int) -> dict[str, int]:
    """Run the providers of the year's computed indicators; values stored as computed (audited)."""
    if user is not None:
        require_office(user, "只有城市体检办公室可以计算指标")
    indicators = list(Indicator.objects.filter(indicator_set__year=year).exclude(computed_by="").select_related("indicator_set"))
    if not indicators:
        raise Invalid(f"{year} 年没有由平台计算的指标", code="nothing_to_compute")
    done: dict[str, int] = {}
    with transaction.atomic():
        for ind in indicators:
            provider = providers.get(ind.computed_by)
            if provider is None:
                raise Invalid(f"“{ind.name}”的计算方式 {ind.computed_by} 未注册", code="unknown_provider")
            count = 0
            for unit_kind in COMPUTED_UNIT_KINDS:
                for code, value in sorted(provider.func(year, unit_kind).items()):
                    if value is None:
                        continue
                    place = resolve_unit(unit_kind, code)
                    _upsert(user, ind, place, round(float(value), 4), provider.label, Measurement.Origin.COMPUTED, "compute")
                    count += 1
            done[ind.code] = count
        audit.action(indicators[0].indicator_set, "compute", after={"year": year, "values": done})
    return done
