"""Every write of the district model, and the locate service.

Boundary imports are all-or-nothing: any feature with an error means nothing is written, and
the report names the feature and the field. Overlaps and gaps in the tiling are reported with
their area (m²) as warnings: real boundary files from surveying often carry slivers, and
the people who own the data decide whether they matter.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import shapely
from django.db import transaction
from pyproj import Geod
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from chengyun.core import audit
from chengyun.core.errors import Conflict, DomainError, Invalid
from chengyun.core.importing import ImportOutcome
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.standards import coords, gbt30428

from . import index
from .importers import RawFeature
from .models import Community, District, Grid, Street, Unit, UnitContact

_GEOD = Geod(ellps="WGS84")
# Below this a difference between two boundaries is digitising noise, not a gap or overlap.
SLIVER_M2 = 1.0


def geodesic_area_m2(geom) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    return abs(_GEOD.geometry_area_perimeter(geom)[0])


# ---------------------------------------------------------------- locate

class OutsideDistrict(DomainError):
    status = 422
    code = "outside_district"
    default_message = "该位置不在本区范围内"


@dataclass(frozen=True)
class Location:
    lng: float
    lat: float
    grid: index.GridInfo

    def to_dict(self) -> dict[str, Any]:
        g = self.grid
        return {
            "lng": round(self.lng, 7),
            "lat": round(self.lat, 7),
            "street": {"code": g.street_code, "name": g.street_name},
            "community": {"code": g.community_code, "name": g.community_name},
            "grid": {"code": g.code, "name": g.name},
        }


def to_wgs84(lng: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    try:
        return coords.to_wgs84(float(lng), float(lat), crs)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"坐标或坐标系有误：{exc}", code="bad_coordinates") from None


def locate(lng: float, lat: float, crs: str = "wgs84") -> Location:
    """Which street, community and unit grid a point lies in (edges: the lowest grid code)."""
    x, y = to_wgs84(lng, lat, crs)
    hit = index.get_index().locate(x, y)
    if hit is None:
        raise OutsideDistrict(detail={"lng": x, "lat": y})
    return Location(x, y, hit)


def locate_many(lng: np.ndarray, lat: np.ndarray, crs: str = "wgs84") -> tuple[np.ndarray, index.LocateIndex]:
    """Vectorised locate for batches (drone detections, demo data): grid positions or -1."""
    if crs.lower() not in ("wgs84", "cgcs2000"):
        lng, lat = coords.to_wgs84_array(np.asarray(lng, float), np.asarray(lat, float), crs)
    idx = index.get_index()
    return idx.locate_many(lng, lat), idx


# ---------------------------------------------------------------- boundary import

LEVELS: dict[str, tuple[type, int, str]] = {
    "district": (District, 6, "区"),
    "street": (Street, 9, "街道"),
    "community": (Community, 12, "社区"),
    "grid": (Grid, 15, "单元网格"),
}
PARENT_LEVEL = {"street": "district", "community": "street", "grid": "community"}
CHILD_LEVEL = {v: k for k, v in PARENT_LEVEL.items()}


@dataclass
class ImportReport(ImportOutcome):
    level: str
    dry_run: bool
    total: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level, "dry_run": self.dry_run, "ok": self.ok, "written": self.written,
            "total": self.total, "created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged),
            "errors": self.errors, "warnings": self.warnings,
        }

    def as_text(self) -> str:
        return self.lines_text(f"{LEVELS[self.level][2]}边界导入 {self.outcome()}：共 {self.total} 个要素，新增 {len(self.created)}，"
                               f"更新 {len(self.updated)}，未变 {len(self.unchanged)}")


def _check_code(level: str, code: str) -> str | None:
    try:
        if level == "grid":
            gbt30428.parse_grid_code(code)
        elif level == "community":
            gbt30428.validate_community_code(code)
        elif level == "street":
            gbt30428.validate_street_code(code)
        elif not (len(code) == 6 and code.isdigit()):
            return "区划代码应为 6 位数字"
    except ValueError as exc:
        return str(exc)
    return None


def _geometry_error(geom_json: Any) -> tuple[Any, str | None]:
    if not isinstance(geom_json, dict):
        return None, "缺少几何图形"
    if geom_json.get("type") not in ("Polygon", "MultiPolygon"):
        return None, f"几何类型应为 Polygon 或 MultiPolygon，实际为 {geom_json.get('type')}"
    try:
        geom = shape(geom_json)
    except Exception as exc:
        return None, f"几何图形无法解析（{exc}）"
    if geom.is_empty:
        return None, "几何图形为空"
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None, "坐标超出经纬度范围（应为 WGS84/CGCS2000 经纬度，而非投影坐标）"
    if not geom.is_valid:
        return None, f"多边形无效：{shapely.is_valid_reason(geom)}"
    return geom, None


def import_boundaries(features: list[RawFeature], level: str, *, dry_run: bool = False, user: Any = None) -> ImportReport:
    """Check every feature, then write all of them or none. `user` None means the CLI operator."""
    if level not in LEVELS:
        raise Invalid(f"未知的层级：{level}（应为 district/street/community/grid）", code="bad_level")
    if user is not None:
        policy.require_role(user, {R.SYSADMIN}, "只有系统管理员可以导入边界")
    model, code_len, level_name = LEVELS[level]
    report = ImportReport(level=level, dry_run=dry_run, total=len(features))
    if not features:
        report.errors.append("文件中没有要素")
        return report

    parent_level = PARENT_LEVEL.get(level)
    parent_model = LEVELS[parent_level][0] if parent_level else None
    parents = {p.code: p for p in parent_model.objects.all()} if parent_model else {}
    existing = {o.code: o for o in model.objects.all()}

    seen: dict[str, int] = {}
    valid: list[tuple[RawFeature, str, str, Any]] = []
    for f in features:
        errs = list(f.errors)
        code = str(f.properties.get("code") or "").strip()
        name = str(f.properties.get("name") or "").strip()
        if not code:
            errs.append("code: 缺少编码")
        else:
            problem = _check_code(level, code)
            if problem:
                errs.append(f"code: {problem}")
            elif code in seen:
                errs.append(f"code: 与第 {seen[code]} 个要素重复")
            else:
                seen[code] = f.index
        if not name:
            errs.append("name: 缺少名称")
        elif len(name) > 100:
            errs.append("name: 名称超过 100 字")
        geom, geom_err = _geometry_error(f.geometry)
        if geom_err:
            errs.append(f"geometry: {geom_err}")
        parent = None
        if parent_level and code and not any(e.startswith("code") for e in errs):
            parent_code = code[: LEVELS[parent_level][1]]
            parent = parents.get(parent_code)
            if parent is None:
                errs.append(f"code: 上级{LEVELS[parent_level][2]} {parent_code} 不存在，请先导入")
            elif geom is not None:
                outside = geodesic_area_m2(geom.difference(parent.shape))
                if outside > max(SLIVER_M2, 1e-4 * geodesic_area_m2(geom)):
                    errs.append(f"geometry: 超出上级{LEVELS[parent_level][2]}「{parent.name}」边界 {outside:.1f} 平方米")
        if errs:
            report.errors.extend(f"{f.label}：{e}" for e in errs)
        else:
            valid.append((f, code, name, geom))

    if report.errors:
        return report

    # Overlaps among the resulting siblings (the file's features over what is already stored).
    result_geoms = {code: o.shape for code, o in existing.items()}
    result_geoms.update({code: geom for _, code, _, geom in valid})
    report.warnings.extend(_overlap_warnings(result_geoms, level_name))
    if parent_level:
        report.warnings.extend(_gap_warnings(parents, result_geoms, code_len_parent=LEVELS[parent_level][1], child_name=level_name))

    for f, code, name, geom in valid:
        old = existing.get(code)
        if old is None:
            report.created.append(code)
        elif old.name != name or not old.shape.equals(geom):
            report.updated.append(code)
        else:
            report.unchanged.append(code)
    if dry_run:
        return report

    with transaction.atomic():
        for f, code, name, geom in valid:
            if code in report.unchanged:
                continue
            fields: dict[str, Any] = {"name": name, "geometry": json.dumps(mapping(geom)), "area_m2": geodesic_area_m2(geom)}
            if parent_level:
                parent = parents[code[: LEVELS[parent_level][1]]]
                fields[parent_level] = parent
                if level == "grid":
                    fields["street_id"] = parent.street_id
            old = existing.get(code)
            if old is None:
                obj = model.objects.create(code=code, **fields)
                audit.created(obj, verb="import_boundaries")
            else:
                audit.save_changes(old, fields, verb="import_boundaries")
        index.bump()
    report.written = True
    return report


def _overlap_warnings(geoms: dict[str, Any], level_name: str) -> list[str]:
    codes = list(geoms)
    shapes = np.array([geoms[c] for c in codes], dtype=object)
    if len(shapes) < 2:
        return []
    tree = shapely.STRtree(shapes)
    a_idx, b_idx = tree.query(shapes, predicate="intersects")
    warnings = []
    for a, b in zip(a_idx, b_idx):
        if a >= b:
            continue
        area = geodesic_area_m2(shapes[a].intersection(shapes[b]))
        if area > SLIVER_M2:
            warnings.append(f"{level_name} {codes[a]} 与 {codes[b]} 重叠 {area:.1f} 平方米")
    return warnings


def _gap_warnings(parents: dict[str, Any], child_geoms: dict[str, Any], *, code_len_parent: int, child_name: str) -> list[str]:
    by_parent: dict[str, list] = {}
    for code, geom in child_geoms.items():
        by_parent.setdefault(code[:code_len_parent], []).append(geom)
    warnings = []
    for pcode, children in sorted(by_parent.items()):
        parent = parents.get(pcode)
        if parent is None:
            continue
        gap = geodesic_area_m2(parent.shape.difference(unary_union(children)))
        if gap > SLIVER_M2:
            warnings.append(f"「{parent.name}」({pcode}) 内有 {gap:.1f} 平方米未被{child_name}覆盖")
    return warnings


@dataclass
class TilingReport:
    problems: list[str]
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_tiling() -> TilingReport:
    """Check the stored model: valid polygons, containment, overlaps and gaps at each level."""
    problems: list[str] = []
    counts: dict[str, int] = {}
    for level, (model, _, level_name) in LEVELS.items():
        objs = list(model.objects.all())
        counts[level] = len(objs)
        for o in objs:
            if not o.shape.is_valid:
                problems.append(f"{level_name} {o.code}：多边形无效（{shapely.is_valid_reason(o.shape)}）")
        child_level = CHILD_LEVEL.get(level)
        if child_level is None:
            continue
        child_model, _, child_name = LEVELS[child_level]
        children = list(child_model.objects.all())
        parents = {o.code: o for o in objs}
        for c in children:
            parent = parents.get(c.code[: LEVELS[level][1]])
            if parent is None:
                continue
            outside = geodesic_area_m2(c.shape.difference(parent.shape))
            if outside > SLIVER_M2:
                problems.append(f"{child_name} {c.code} 超出{level_name}「{parent.name}」{outside:.1f} 平方米")
        problems.extend(_overlap_warnings({c.code: c.shape for c in children}, child_name))
        problems.extend(_gap_warnings(parents, {c.code: c.shape for c in children}, code_len_parent=LEVELS[level][1], child_name=child_name))
    return TilingReport(problems, counts)


# ---------------------------------------------------------------- units

UNIT_FIELDS = ("name", "short_name", "kind", "specialty", "address", "district_wide", "active")


def create_unit(user: Any, *, code: str, name: str, kind: str, **fields: Any) -> Unit:
    policy.require_create(user, Unit, message="只有系统管理员可以新建责任单位")
    if Unit.objects.filter(code=code).exists():
        raise Conflict(f"单位编码 {code} 已存在", code="duplicate_code")
    if kind not in Unit.Kind.values:
        raise Invalid(f"未知的单位类型：{kind}", code="bad_kind")
    with transaction.atomic():
        unit = Unit.objects.create(code=code, name=name, kind=kind, **{k: v for k, v in fields.items() if k in UNIT_FIELDS})
        audit.created(unit)
    return unit


def update_unit(user: Any, unit: Unit, **changes: Any) -> Unit:
    policy.require_write(user, unit, "只能修改本单位的信息")
    p = policy.principal(user)
    policy.require_fields(changes, UNIT_FIELDS if p.has({R.SYSADMIN}) else {"address"})
    with transaction.atomic():
        before = audit.snapshot(unit)
        for k, v in changes.items():
            setattr(unit, k, v)
        unit.full_clean()
        unit.save()
        audit.updated(unit, before)
    return unit


def set_unit_contacts(user: Any, unit: Unit, contacts: Iterable[dict[str, Any]]) -> list[UnitContact]:
    """Replace a unit's contact list: the unit's own people or an administrator."""
    policy.require_write(user, unit, "只能维护本单位的联系人")
    rows = []
    for i, c in enumerate(contacts, start=1):
        name, phone = str(c.get("name", "")).strip(), str(c.get("phone", "")).strip()
        if not name or not phone:
            raise Invalid(f"第 {i} 个联系人缺少姓名或电话", code="bad_contact", detail={"row": i})
        rows.append(UnitContact(unit=unit, name=name, phone=phone, title=str(c.get("title", "")).strip(), on_duty=bool(c.get("on_duty"))))
    with transaction.atomic():
        before = [{"name": c.name, "phone": c.phone, "title": c.title, "on_duty": c.on_duty} for c in unit.contacts.all()]
        unit.contacts.all().delete()
        UnitContact.objects.bulk_create(rows)
        after = [{"name": c.name, "phone": c.phone, "title": c.title, "on_duty": c.on_duty} for c in rows]
        audit.action(unit, "set_contacts", before=before, after=after)
    return list(unit.contacts.all())
