"""Small watersheds: registry, boundaries (imported or derived), measures, the indicator sheet and the verdict."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import shapely
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from chengyun.core import audit
from chengyun.core.errors import Invalid, NotFound
from chengyun.people import policy

from ..models import Indicator, IndicatorValue, Measure, Watershed

# Degrees → km² near the district (lat ≈ 36.6°): 111.32 km × cos(lat) by 110.95 km.
_KM2_PER_DEG2 = 111.32 * 0.8025 * 110.95
# Without terrain data a section's catchment is the land within this distance of the reaches upstream of it …
REACH_CORRIDOR_DEG = 0.006  # ≈ 550 m
# … plus what the drainage network carries to outfalls within this distance of those reaches.
OUTFALL_REACH_DEG = 0.0025  # ≈ 230 m


def _geometry(text_or_obj: Any, field: str) -> dict:
    try:
        geom = json.loads(text_or_obj) if isinstance(text_or_obj, str) else dict(text_or_obj)
        if geom.get("type") == "Feature":
            geom = geom["geometry"]
        if geom.get("type") == "FeatureCollection":
            geom = mapping(unary_union([shape(f["geometry"]) for f in geom["features"]]))
        s = shape(geom)
    except Exception:
        raise Invalid(f"“{field}”应为 GeoJSON 面", code="bad_geometry", detail={"field": field}) from None
    if s.geom_type not in ("Polygon", "MultiPolygon") or s.is_empty:
        raise Invalid(f"“{field}”应为面（Polygon 或 MultiPolygon）", code="bad_geometry", detail={"field": field})
    return mapping(s)


def _area_km2(geom: dict) -> float:
    return round(shape(geom).area * _KM2_PER_DEG2, 3)


def create_watershed(user: Any, *, code: str, name: str, water_body=None, outlet=None, boundary: Any = None,
                     origin: str = Watershed.Origin.DRAWN, land_use: dict | None = None, sediment_target_t: float | None = None,
                     runoff_baseline_m3: float | None = None, description: str = "") -> Watershed:
    if user is not None:
        policy.require_create(user, Watershed, message="只有城运中心和系统管理员可以登记小流域")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("请填写小流域编码和名称", code="code_name_required", detail={"field": "code" if not code else "name"})
    if Watershed.objects.filter(code=code).exists():
        raise Invalid(f"小流域编码 {code} 已存在", code="watershed_exists", detail={"field": "code"})
    geom = _geometry(boundary, "boundary") if boundary else None
    with transaction.atomic():
        w = Watershed.objects.create(code=code, name=name, water_body=water_body, outlet=outlet, boundary=json.dumps(geom) if geom else "",
                                     origin=origin, area_km2=_area_km2(geom) if geom else 0, land_use=_land_use(land_use or {}),
                                     sediment_target_t=sediment_target_t, runoff_baseline_m3=runoff_baseline_m3, description=description)
        if outlet is not None:
            w.sections.add(outlet)
        audit.created(w)
    return w


def _land_use(shares: dict) -> dict:
    out = {}
    for k, v in shares.items():
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise Invalid(f"土地利用“{k}”应为百分比数值", code="bad_land_use", detail={"field": f"land_use.{k}"}) from None
        if not 0 <= v <= 100:
            raise Invalid(f"土地利用“{k}”应在 0～100 之间", code="bad_land_use", detail={"field": f"land_use.{k}"})
        out[str(k)] = v
    if sum(out.values()) > 100.5:
        raise Invalid("土地利用各类占比之和超过 100%", code="bad_land_use", detail={"field": "land_use"})
    return out


def set_boundary(user: Any, w: Watershed, boundary: Any, *, origin: str = Watershed.Origin.IMPORTED) -> Watershed:
    """Import a boundary (GeoJSON geometry, Feature or FeatureCollection; a Shapefile read by ``read_boundary_file``)."""
    if user is not None:
        policy.require_write(user, w, "只有城运中心和系统管理员可以修改小流域边界")
    geom = _geometry(boundary, "boundary")
    return audit_save(w, {"boundary": json.dumps(geom), "origin": origin, "area_km2": _area_km2(geom)}, verb="boundary.import")


def audit_save(obj, values: dict, *, verb: str = ""):
    with transaction.atomic():
        audit.save_changes(obj, values, verb=verb)
    return obj


def read_boundary_file(name: str, data: bytes) -> dict:
    """A boundary upload as GeoJSON: .geojson/.json as it is, a zipped Shapefile through pyshp."""
    lower = name.lower()
    if lower.endswith((".geojson", ".json")):
        try:
            return json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            raise Invalid("文件不是有效的 GeoJSON", code="bad_file", detail={"field": "file"}) from None
    if lower.endswith(".zip"):
        import io
        import zipfile

        import shapefile  # pyshp

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                base = next(n[:-4] for n in z.namelist() if n.lower().endswith(".shp"))
                shp, dbf = io.BytesIO(z.read(base + ".shp")), io.BytesIO(z.read(base + ".dbf"))
                shx = io.BytesIO(z.read(base + ".shx")) if base + ".shx" in z.namelist() else None
            reader = shapefile.Reader(shp=shp, dbf=dbf, shx=shx)
            return {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": s.__geo_interface__, "properties": {}}
                                                              for s in reader.shapes()]}
        except (StopIteration, KeyError, zipfile.BadZipFile, shapefile.ShapefileException):
            raise Invalid("压缩包中应有 .shp、.dbf 文件", code="bad_file", detail={"field": "file"}) from None
    raise Invalid("边界文件应为 GeoJSON 或压缩的 Shapefile（.zip）", code="bad_file", detail={"field": "file"})


def derive_boundary(user: Any, w: Watershed) -> Watershed:
    """The catchment of the outlet section where no terrain data exists (DEM-free rule set):

    1. the reaches of the outlet's water body count as draining to it;
    2. the land within ``REACH_CORRIDOR_DEG`` of those reaches drains to them over the surface;
    3. every drainage outfall within ``OUTFALL_REACH_DEG`` of a reach adds the area its pipe
       network collects (drainage's upstream trace), wherever that lies.
    """
    if user is not None:
        policy.require_write(user, w, "只有城运中心和系统管理员可以推算小流域边界")
    if w.outlet is None:
        raise Invalid("请先指定出口断面", code="outlet_required", detail={"field": "outlet"})
    reaches = list(w.reaches.all()) or list(w.outlet.water_body.reaches.all())
    lines = [shape(json.loads(r.geometry)) for r in reaches if r.geometry]
    if not lines and w.outlet.water_body.geometry:
        lines = [shape(json.loads(w.outlet.water_body.geometry))]
    if not lines:
        raise Invalid("出口断面所在水体没有河段线形，无法推算", code="no_reach_geometry", detail={"field": "outlet"})
    river = unary_union(lines)
    parts = [river.buffer(REACH_CORRIDOR_DEG)]
    parts.extend(_drained_areas(river))
    geom = mapping(shapely.make_valid(unary_union(parts)).buffer(0))
    return audit_save(w, {"boundary": json.dumps(geom), "origin": Watershed.Origin.DERIVED, "area_km2": _area_km2(geom)}, verb="boundary.derive")


def _drained_areas(river) -> list:
    from django.apps import apps

    if not apps.is_installed("chengyun.drainage"):
        return []
    from chengyun.drainage.models import Node
    from chengyun.drainage.services.tracing import trace

    out = []
    minx, miny, maxx, maxy = river.buffer(OUTFALL_REACH_DEG).bounds
    for code, lng, lat in Node.objects.filter(kind=Node.Kind.OUTFALL, lng__range=(minx, maxx), lat__range=(miny, maxy)).values_list("code", "lng", "lat"):
        if river.distance(shapely.Point(lng, lat)) <= OUTFALL_REACH_DEG:
            catchment = trace(code, "upstream").catchment
            if catchment:
                out.append(shape(catchment))
    return out


def add_measure(user: Any, w: Watershed, *, kind: str, name: str, quantity: Any, unit: str = "", completed_on=None, geometry: Any = None) -> Measure:
    if user is not None:
        policy.require_write(user, w, "只有城运中心和系统管理员可以登记治理措施")
    if kind not in Measure.Kind.values:
        raise Invalid(f"措施类型“{kind}”不存在", code="bad_kind", detail={"field": "kind", "allowed": Measure.Kind.values})
    try:
        quantity = float(quantity)
    except (TypeError, ValueError):
        raise Invalid("数量（quantity）应为数字", code="bad_quantity", detail={"field": "quantity"}) from None
    if quantity <= 0:
        raise Invalid("数量（quantity）应大于 0", code="bad_quantity", detail={"field": "quantity"})
    geo_text = ""
    if geometry:
        try:
            geo_text = json.dumps(mapping(shape(json.loads(geometry) if isinstance(geometry, str) else geometry)))
        except Exception:
            raise Invalid("位置（geometry）应为 GeoJSON 几何", code="bad_geometry", detail={"field": "geometry"}) from None
    with transaction.atomic():
        m = Measure.objects.create(watershed=w, kind=kind, name=(name or "").strip()[:100] or str(Measure.Kind(kind).label), quantity=quantity,
                                   unit=unit or Measure.UNITS[kind], completed_on=completed_on, geometry=geo_text)
        audit.created(m)
    return m


# ---------------------------------------------------------------- the indicator sheet

def create_indicator(user: Any, *, code: str, name: str, unit: str, direction: str, target: float, min_value: float = 0,
                     max_value: float | None = None, computed_from: str = "", order: int = 100) -> Indicator:
    if user is not None:
        policy.require_create(user, Indicator, message="只有城运中心和系统管理员可以配置评价指标")
    if direction not in Indicator.Direction.values:
        raise Invalid("“direction”应为 at_least 或 at_most", code="bad_direction", detail={"field": "direction"})
    if max_value is not None and max_value < min_value:
        raise Invalid("“max_value”上限小于下限", code="bad_range", detail={"field": "max_value"})
    with transaction.atomic():
        ind = Indicator.objects.create(code=code, name=name, unit=unit, direction=direction, target=target, min_value=min_value,
                                       max_value=max_value, computed_from=computed_from, order=order)
        audit.created(ind)
    return ind


def check_value(ind: Indicator, value: Any) -> float:
    """The value as a number inside the indicator's range; else Invalid naming the indicator's field."""
    field = f"values.{ind.code}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"“{ind.name}”（{ind.code}）应为数字", code="bad_value", detail={"field": field}) from None
    if v != v or v < ind.min_value or (ind.max_value is not None and v > ind.max_value):
        upper = f"{ind.max_value:g}" if ind.max_value is not None else "∞"
        raise Invalid(f"“{ind.name}”（{ind.code}）的值 {v:g} 超出范围 {ind.min_value:g}～{upper}", code="value_out_of_range",
                      detail={"field": field, "min": ind.min_value, "max": ind.max_value, "value": v})
    return v


def record_values(user: Any, w: Watershed, year: int, values: dict[str, Any], *, source: str = IndicatorValue.Source.ENTERED,
                  note: str = "") -> list[IndicatorValue]:
    """A year's values for a watershed, {indicator code: value}; all or nothing."""
    if user is not None:
        policy.require_write(user, w, "只有城运中心和系统管理员可以填报小流域指标")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Invalid("“year”年度应为四位年份", code="bad_year", detail={"field": "year"})
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=list(values))}
    unknown = sorted(set(values) - set(indicators))
    if unknown:
        raise Invalid(f"未知的指标：{'、'.join(unknown)}", code="unknown_indicator", detail={"field": f"values.{unknown[0]}", "unknown": unknown})
    checked = {code: check_value(indicators[code], v) for code, v in values.items()}
    out = []
    with transaction.atomic():
        for code, v in checked.items():
            obj, made = IndicatorValue.objects.get_or_create(watershed=w, indicator=indicators[code], year=year,
                                                             defaults={"value": v, "source": source, "note": note})
            if made:
                audit.created(obj)
            elif obj.value != v or obj.source != source:
                audit.save_changes(obj, {"value": v, "source": source, "note": note})
            out.append(obj)
    return out


MET, UNMET, MISSING = "met", "unmet", "missing"
VERDICT_LABELS = {MET: _("达标"), UNMET: _("未达标"), MISSING: _("数据不全")}


@dataclass(frozen=True)
class Line:
    indicator: Indicator
    value: float | None
    status: str

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.status])


@dataclass(frozen=True)
class Verdict:
    watershed: Watershed
    year: int
    lines: list[Line]
    status: str

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.status])

    def to_dict(self) -> dict:
        return {"watershed": self.watershed.code, "year": self.year, "status": self.status, "label": self.label,
                "lines": [{"code": ln.indicator.code, "name": ln.indicator.name, "unit": ln.indicator.unit, "target": ln.indicator.target,
                           "direction": ln.indicator.direction, "value": ln.value, "status": ln.status, "label": ln.label} for ln in self.lines]}


def meets(ind: Indicator, value: float) -> bool:
    """At the target is met: a threshold the district sets is a value it accepts."""
    return value >= ind.target if ind.direction == Indicator.Direction.AT_LEAST else value <= ind.target


def verdict(w: Watershed, year: int, *, indicators: list[Indicator] | None = None, values: dict | None = None) -> Verdict:
    """The sheet of one watershed and year: each indicator met or not; the watershed 达标 only when
    every indicator has a value and meets its target, 未达标 as soon as one fails."""
    indicators = indicators if indicators is not None else list(Indicator.objects.all())
    if values is None:
        values = dict(IndicatorValue.objects.filter(watershed=w, year=year).values_list("indicator_id", "value"))
    lines = []
    for ind in indicators:
        v = values.get(ind.pk)
        lines.append(Line(ind, v, MISSING if v is None else (MET if meets(ind, v) else UNMET)))
    statuses = {ln.status for ln in lines}
    status = UNMET if UNMET in statuses else (MISSING if MISSING in statuses or not lines else MET)
    return Verdict(w, year, lines, status)


def verdicts(year: int) -> list[Verdict]:
    indicators = list(Indicator.objects.all())
    by_ws: dict[int, dict] = {}
    for ws_id, ind_id, v in IndicatorValue.objects.filter(year=year).values_list("watershed_id", "indicator_id", "value"):
        by_ws.setdefault(ws_id, {})[ind_id] = v
    return [verdict(w, year, indicators=indicators, values=by_ws.get(w.pk, {})) for w in Watershed.objects.all()]


def trend(w: Watershed) -> dict:
    """Per indicator, the values by year and how far each reaches its target (the sheet's chart): 100 % is
    the target met exactly, above it better (value ÷ target for 不低于, target ÷ value for 不高于)."""
    rows = IndicatorValue.objects.filter(watershed=w).select_related("indicator").order_by("year")
    years = sorted({r.year for r in rows})
    series: dict[str, dict] = {}
    for r in rows:
        s = series.setdefault(r.indicator.code, {"name": r.indicator.name, "unit": r.indicator.unit, "target": r.indicator.target,
                                                 "direction": r.indicator.direction, "values": {}})
        s["values"][r.year] = r.value
    def reach(s, v):
        if v is None or not s["target"] or not v:
            return None
        return round((v / s["target"] if s["direction"] == Indicator.Direction.AT_LEAST else s["target"] / v) * 100, 1)
    return {"years": years, "series": [{"code": c, **s, "values": [s["values"].get(y) for y in years],
                                        "reach": [reach(s, s["values"].get(y)) for y in years]} for c, s in series.items()]}


def get_watershed(code: str) -> Watershed:
    w = Watershed.objects.filter(code=code).first()
    if w is None:
        raise NotFound(f"小流域 {code} 不存在", code="unknown_watershed")
    return w
