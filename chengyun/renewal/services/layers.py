"""Layers for the spatial indicators: import (GeoJSON / Shapefile through geo.importers, every
feature checked, all or nothing) and the coverage indicators computed from them.

Radii are settings (defaults in DEFAULTS below): parks ≥ 5,000 m² serve 500 m and parks of
2,000–5,000 m² serve 300 m (the 公园绿地服务半径 rule); a middle school 1,000 m (GB 50180-93);
a fire station 1,500 m (a 7 km² 辖区 as a circle; configurable); the 15-minute life circle
1,000 m to one facility of each required kind (GB 50180-2018 gives 800–1,000 m; configurable).

By road network, a park is entered anywhere along its outer boundary: its access points are
points every `park_access_spacing_m` (25 m, half the road graph's 50 m node spacing, so a park
fronting a road gets a way in beside each of its nodes) along that boundary, each joined to its
nearest road node. Where a road layer is loaded the computed park indicator uses this.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from pyproj import Geod
from shapely.geometry import mapping, shape

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.geo.importers import RawFeature
from chengyun.geo.models import Unit
from chengyun.people import policy

from .. import coverage
from ..models import FacilityKind, Feature, Layer
from .access import is_office
from .sheets import ImportReport, choice_map

_GEOD = Geod(ellps="WGS84")

DEFAULTS = {
    "park_tiers": [(5000.0, 500.0), (2000.0, 300.0)],
    "park_access_spacing_m": 25.0,
    "facility_radius_m": {"fire_station": 1500.0, "middle_school": 1000.0},
    "life_circle_radius_m": 1000.0,
    "life_circle_kinds": ["middle_school", "clinic", "elderly_care", "market", "sports", "culture"],
}


def config() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "RENEWAL_COVERAGE", {})}


GEOMETRY_TYPES = {
    Layer.Kind.PARK: ("Polygon", "MultiPolygon"),
    Layer.Kind.RESIDENTIAL: ("Polygon", "MultiPolygon"),
    Layer.Kind.FACILITY: ("Point", "Polygon", "MultiPolygon"),
    Layer.Kind.ROAD: ("LineString", "MultiLineString"),
}
KIND_KEYS = ("facility_kind", "kind", "类型", "设施类型")


def _require_layer_writer(user: Any, unit: Unit | None) -> None:
    if user is None or is_office(user):
        return
    policy.require_create(user, Layer, unit_id=getattr(unit, "pk", None), message="只能为本单位上传图层")


def import_layer(user: Any, features: Sequence[RawFeature], *, code: str, name: str, kind: str, year: int | None = None,
                 unit: Any = None, source_name: str = "", dry_run: bool = False) -> ImportReport:
    """Create (or replace the features of) a layer; each feature is checked and named on error."""
    code, name = str(code or "").strip(), str(name or "").strip()
    report = ImportReport(total=len(features))
    if kind not in Layer.Kind.values:
        raise Invalid(f"未知的图层类型：{kind}", code="bad_layer_kind", detail={"field": "kind"})
    if not code or not name:
        raise Invalid("请填写图层编码和名称", code="missing_fields", detail={"field": "code" if not code else "name"})
    if unit not in (None, "") and not isinstance(unit, Unit):
        found = Unit.objects.filter(code=str(unit)).first()
        if found is None:
            raise Invalid(f"单位 {unit} 不存在", code="unknown_unit", detail={"field": "unit"})
        unit = found
    unit = unit or None
    existing = Layer.objects.filter(code=code).first()
    if existing is not None and user is not None and not is_office(user):
        policy.require_write(user, existing, "只能更新本单位的图层")
    else:
        _require_layer_writer(user, unit)
    if not features:
        raise Invalid("文件中没有要素", code="empty_layer")
    kinds = choice_map(FacilityKind.choices)
    rows, seen = [], {}
    for f in features:
        label = f"第 {f.index} 个要素"
        errs = list(f.errors)
        props = f.properties or {}
        fcode = str(props.get("code") or f"{code}-{f.index}").strip()[:40]
        if fcode in seen:
            errs.append(f"code：编码 {fcode} 与第 {seen[fcode]} 个要素重复")
        seen.setdefault(fcode, f.index)
        geom = None
        try:
            geom = shape(f.geometry) if f.geometry else None
        except Exception:
            errs.append("geometry：几何无法解析")
        if geom is None or geom.is_empty:
            errs.append("geometry：缺少几何")
        elif geom.geom_type not in GEOMETRY_TYPES[kind]:
            errs.append(f"geometry：{Layer.Kind(kind).label}图层需要 {'/'.join(GEOMETRY_TYPES[kind])}，实际为 {geom.geom_type}")
        elif not geom.is_valid:
            errs.append("geometry：几何无效（自相交等）")
        else:
            minx, miny, maxx, maxy = geom.bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                errs.append("geometry：坐标不是经纬度（请附 .prj 或使用 WGS84 / CGCS2000）")
        facility_kind = ""
        if kind == Layer.Kind.FACILITY:
            raw_kind = next((str(props[k]).strip() for k in KIND_KEYS if props.get(k) not in (None, "")), "")
            facility_kind = kinds.get(raw_kind, "")
            if not facility_kind:
                errs.append(f"facility_kind：未知的设施类型“{raw_kind}”（可选：{'、'.join(str(label) for _, label in FacilityKind.choices)}）")
        area = None
        if props.get("area_m2") not in (None, ""):
            try:
                area = float(props["area_m2"])
                if area < 0:
                    raise ValueError
            except (TypeError, ValueError):
                errs.append(f"area_m2：面积“{props.get('area_m2')}”不是非负数字")
        if errs:
            report.errors.extend(_err(f.index, label, e) for e in errs)
            continue
        rows.append((fcode, props, geom, facility_kind, area))
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        if existing is None:
            layer = Layer.objects.create(code=code[:40], name=name[:100], kind=kind, year=year, unit=unit, source_name=source_name[:200],
                                         uploaded_by=user if getattr(user, "is_authenticated", False) else None)
            audit.created(layer)
        else:
            layer = existing
            if layer.kind != kind:
                raise Invalid(f"图层 {code} 已存在且类型为{layer.get_kind_display()}", code="layer_kind_mismatch", detail={"field": "kind"})
            before = audit.snapshot(layer, exclude=("uploaded_at",))
            removed = layer.features.count()
            layer.features.all().delete()
            layer.name, layer.year, layer.source_name = name[:100], year, source_name[:200]
            layer.unit = unit or layer.unit
            layer.uploaded_by = user if getattr(user, "is_authenticated", False) else None
            layer.save()
            audit.updated(layer, before, verb="replace_features")
            audit.action(layer, "replace_features", before={"features": removed}, after={"features": len(rows)})
        objs = []
        for fcode, props, geom, facility_kind, area in rows:
            pt = geom if geom.geom_type == "Point" else geom.representative_point()
            g_area = abs(_GEOD.geometry_area_perimeter(geom)[0]) if geom.geom_type.endswith("Polygon") else 0.0
            length = _GEOD.geometry_length(geom) if "LineString" in geom.geom_type else 0.0
            objs.append(Feature(layer=layer, code=fcode, name=str(props.get("name") or "")[:100], facility_kind=facility_kind,
                                area_m2=round(area if area is not None else g_area, 1), length_m=round(length, 1),
                                geometry=json.dumps(mapping(geom)), lng=round(pt.x, 7), lat=round(pt.y, 7),
                                properties={k: v for k, v in props.items() if isinstance(v, (str, int, float, bool)) or v is None}))
        Feature.objects.bulk_create(objs, batch_size=2000)
        audit.bulk_created(objs, verb="import_layer")
        layer.feature_count = len(objs)
        layer.save(update_fields=["feature_count"])
    report.created = len(rows)
    report.written = True
    return report


def _err(index: int, label: str, text: str):
    from .sheets import RowError

    field, _, message = text.partition("：")
    return RowError(index, field, message or text)


# ---------------------------------------------------------------- coverage from layers

@dataclass
class Parcels:
    ids: np.ndarray  # Feature ids
    geoms: np.ndarray  # metric
    areas: np.ndarray  # m² (metric)
    points: np.ndarray  # representative points, metric
    lnglat: np.ndarray  # (n, 2) representative points in lng/lat
    transformer: Any


def _features(kind: str, facility_kind: str | None = None):
    qs = Feature.objects.filter(layer__kind=kind)
    if facility_kind:
        qs = qs.filter(facility_kind=facility_kind)
    return list(qs.values_list("id", "geometry", "area_m2", "lng", "lat"))


def _load(rows, transformer=None):
    geoms = shapely.from_geojson(np.array([r[1] for r in rows], dtype=object)) if rows else np.array([], dtype=object)
    if transformer is None:
        transformer = coverage.local_transformer(geoms)
    return geoms, (coverage.project(geoms, transformer) if len(geoms) else geoms), transformer


def residential_parcels() -> Parcels | None:
    rows = _features(Layer.Kind.RESIDENTIAL)
    if not rows:
        return None
    geoms, metric, tr = _load(rows)
    points = shapely.point_on_surface(metric)
    return Parcels(ids=np.array([r[0] for r in rows]), geoms=metric, areas=shapely.area(metric), points=points,
                   lnglat=np.array([(r[3], r[4]) for r in rows]), transformer=tr)


def parcel_covered_area(indicator: str, parcels: Parcels) -> np.ndarray:
    """Covered area (m²) of each parcel for "park", "fire_station" or "middle_school"."""
    cfg = config()
    if indicator == "park":
        rows = _features(Layer.Kind.PARK)
        _, metric, _ = _load(rows, parcels.transformer)
        radii = coverage.park_radii(np.array([r[2] for r in rows]), cfg["park_tiers"])
        keep = radii > 0
        return coverage.area_coverage(parcels.geoms, metric[keep], radii[keep])
    radius = float(cfg["facility_radius_m"][indicator])
    rows = _features(Layer.Kind.FACILITY, indicator)
    _, metric, _ = _load(rows, parcels.transformer)
    return coverage.area_coverage(parcels.geoms, metric, radius)


def road_graph(transformer) -> coverage.RoadGraph | None:
    rows = list(Feature.objects.filter(layer__kind=Layer.Kind.ROAD).values_list("id", "geometry", "area_m2", "lng", "lat"))
    if not rows:
        return None
    _, metric, _ = _load(rows, transformer)
    return coverage.RoadGraph.from_lines(metric)


def life_circle_served(parcels: Parcels, method: str = "auto") -> tuple[np.ndarray, str]:
    """Whether each parcel reaches every required facility kind within the life-circle radius;
    by road network when one is loaded (method auto/network), else straight-line."""
    cfg = config()
    radius = float(cfg["life_circle_radius_m"])
    graph = road_graph(parcels.transformer) if method in ("auto", "network") else None
    if method == "network" and graph is None:
        raise Invalid("尚未导入道路网图层，不能按路网距离计算", code="no_road_network")
    used = "network" if graph is not None else "straight"
    served = np.ones(len(parcels.ids), dtype=bool)
    for kind in cfg["life_circle_kinds"]:
        rows = _features(Layer.Kind.FACILITY, kind)
        _, metric, _ = _load(rows, parcels.transformer)
        pts = shapely.point_on_surface(metric) if len(metric) else metric
        if graph is not None:
            served &= coverage.within_network(parcels.points, pts, radius, graph)
        else:
            served &= coverage.within_straight(parcels.points, pts, radius)
    return served, used


def point_served(indicator: str, parcels: Parcels, method: str) -> np.ndarray:
    """Per parcel (its representative point), within the radius of a park ("park", by size
    class) or facility ("fire_station", "middle_school"), straight-line or along the roads."""
    cfg = config()
    graph = None
    if method == "network":
        graph = road_graph(parcels.transformer)
        if graph is None:
            raise Invalid("尚未导入道路网图层，不能按路网距离计算", code="no_road_network")
    if indicator == "park":
        rows = _features(Layer.Kind.PARK)
        _, metric, _ = _load(rows, parcels.transformer)
        radii = coverage.park_radii(np.array([r[2] for r in rows], dtype=float), cfg["park_tiers"])
        return coverage.parks_within(parcels.points, metric, radii, graph, float(cfg["park_access_spacing_m"]))
    radius = float(cfg["facility_radius_m"][indicator])
    rows = _features(Layer.Kind.FACILITY, indicator)
    _, metric, _ = _load(rows, parcels.transformer)
    pts = shapely.point_on_surface(metric) if len(metric) else metric
    if graph is not None:
        return coverage.within_network(parcels.points, pts, radius, graph)
    return coverage.within_straight(parcels.points, pts, radius)


def by_unit(parcels: Parcels, covered: np.ndarray, unit_kind: str) -> dict[str, float]:
    """Σ covered / Σ parcel area, in %, per community / street / district (parcels placed by
    their representative point; parcels outside the district are left out)."""
    from chengyun.geo import services as geo

    pos, idx = geo.locate_many(parcels.lnglat[:, 0], parcels.lnglat[:, 1])
    inside = pos >= 0
    if unit_kind == "district":
        from chengyun.geo.models import District

        code = District.objects.order_by("code").values_list("code", flat=True).first()
        total = parcels.areas[inside].sum()
        return {code: round(100.0 * covered[inside].sum() / total, 2)} if code and total > 0 else {}
    attr = {"community": "community_code", "street": "street_code"}.get(unit_kind)
    if attr is None:
        return {}
    keys = np.array([getattr(idx.grids[p], attr) if p >= 0 else "" for p in pos])
    out = {}
    for key in np.unique(keys[inside]):
        sel = keys == key
        total = parcels.areas[sel].sum()
        if total > 0:
            out[str(key)] = round(100.0 * covered[sel].sum() / total, 2)
    return out


# One computation serves the community, street and district values of a "compute" run; it is
# kept until a layer changes (a re-upload moves uploaded_at) or the radii settings change.
_computed: dict[str, tuple[Any, tuple[Parcels, np.ndarray]]] = {}


def _layers_stamp() -> tuple:
    from django.db.models import Count, Max, Sum

    agg = Layer.objects.aggregate(n=Count("id"), last=Max("uploaded_at"), features=Sum("feature_count"))
    return agg["n"], agg["last"], agg["features"], repr(sorted(config().items()))


def covered_by_parcel(indicator: str) -> tuple[Parcels, np.ndarray] | None:
    """(parcels, covered area per parcel) for "park", "fire_station", "middle_school" or "life_circle".
    The life circle and parks go by road network where a road layer is loaded (a parcel counts
    whole when its road node is within reach), else straight-line (parks: the area within)."""
    stamp = _layers_stamp()
    hit = _computed.get(indicator)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    parcels = residential_parcels()
    if parcels is None:
        return None
    if indicator == "life_circle":
        served, _ = life_circle_served(parcels)
        covered = np.where(served, parcels.areas, 0.0)
    elif indicator == "park" and Layer.objects.filter(kind=Layer.Kind.ROAD).exists():
        covered = np.where(point_served("park", parcels, "network"), parcels.areas, 0.0)
    else:
        covered = parcel_covered_area(indicator, parcels)
    _computed[indicator] = (stamp, (parcels, covered))
    return parcels, covered


def coverage_provider(indicator: str):
    def provide(year: int, unit_kind: str) -> dict[str, float]:
        if unit_kind not in ("community", "street", "district"):
            return {}
        found = covered_by_parcel(indicator)
        if found is None:
            return {}
        return by_unit(found[0], found[1], unit_kind)

    return provide


def read_upload(name: str, data: bytes) -> list[RawFeature]:
    """GeoJSON (.geojson/.json) or a zipped Shapefile (.zip with .shp/.dbf/.shx, .prj, .cpg)."""
    import io
    import tempfile
    import zipfile
    from pathlib import Path

    from chengyun.geo.importers import read_geojson, read_shapefile

    lower = (name or "").lower()
    if lower.endswith(".zip"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise Invalid("压缩包无法打开", code="bad_file", detail={"field": "file"}) from None
        with tempfile.TemporaryDirectory() as tmp:
            shp = None
            for member in archive.infolist():
                base = Path(member.filename).name
                if not base or member.is_dir() or base.startswith("."):
                    continue
                target = Path(tmp) / base
                target.write_bytes(archive.read(member))
                if base.lower().endswith(".shp"):
                    shp = target
            if shp is None:
                raise Invalid("压缩包中没有 .shp 文件", code="bad_file", detail={"field": "file"})
            return read_shapefile(shp)
    if lower.endswith((".geojson", ".json")):
        return read_geojson(data)
    raise Invalid("请上传 GeoJSON（.geojson/.json）或打包的 Shapefile（.zip）", code="bad_file", detail={"field": "file"})


def coverage_summary(method: str = "straight") -> dict[str, Any]:
    """District-wide coverage (%) now, from the loaded layers. Straight-line: area shares for
    parks, fire stations and middle schools, and the life circle by parcel. Network: by parcel
    (its representative point) along the roads, for parks, the point facilities and the life
    circle."""
    parcels = residential_parcels()
    if parcels is None:
        return {"method": method, "parcels": 0, "values": {}}
    total = float(parcels.areas.sum())
    values: dict[str, float] = {}
    if method == "straight":
        for key in ("park", "fire_station", "middle_school"):
            values[key] = round(100.0 * float(parcel_covered_area(key, parcels).sum()) / total, 2)
        served, _ = life_circle_served(parcels, "straight")
    else:
        for key in ("park", "fire_station", "middle_school"):
            values[key] = round(100.0 * float(parcels.areas[point_served(key, parcels, "network")].sum()) / total, 2)
        served, _ = life_circle_served(parcels, "network")
    values["life_circle"] = round(100.0 * float(parcels.areas[served].sum()) / total, 2)
    return {"method": method, "parcels": len(parcels.ids), "values": values}
