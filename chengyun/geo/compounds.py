"""Every write of the residential-compound register (住宅小区).

The register is shared platform data: the city health check counts compounds without property
management from it, renewal links projects to it, property management keeps its companies on
it. Writers are the street and community people of the compound's area and administrators;
each write is checked by ``people.policy`` and audited.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from shapely.geometry import mapping, shape

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy

from .models import Community, Compound

# Fields a caller may set; geometry, lng and lat are derived together in _geometry().
FIELDS = ("name", "community", "address", "built_year", "buildings", "households", "floor_area_m2",
          "management_mode", "property_company", "geometry", "lng", "lat", "active")


def _community(value: Any) -> Community:
    if isinstance(value, Community):
        return value
    found = Community.objects.filter(code=str(value or "").strip()).first()
    if found is None:
        raise Invalid(f"社区 {value} 不存在", code="unknown_community", detail={"field": "community"})
    return found


def _geometry(value: Any) -> tuple[str, float | None, float | None]:
    """GeoJSON (text or mapping) of a polygon → (text, centroid lng, centroid lat)."""
    if value in (None, ""):
        return "", None, None
    try:
        doc = json.loads(value) if isinstance(value, str) else value
        geom = shape(doc.get("geometry", doc) if isinstance(doc, dict) and doc.get("type") == "Feature" else doc)
    except Exception:
        raise Invalid("小区范围不是有效的 GeoJSON", code="bad_geometry", detail={"field": "geometry"}) from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
        raise Invalid("小区范围应为有效的面（Polygon / MultiPolygon）", code="bad_geometry", detail={"field": "geometry"})
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise Invalid("小区范围的坐标应为经纬度（WGS84 / CGCS2000）", code="bad_geometry", detail={"field": "geometry"})
    c = geom.representative_point() if geom.centroid.within(geom) is False else geom.centroid
    return json.dumps(mapping(geom)), round(c.x, 7), round(c.y, 7)


def _check(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = str(out["name"] or "").strip()[:100]
        if not out["name"]:
            raise Invalid("请填写小区名称", code="missing_name", detail={"field": "name"})
    if "community" in out:
        out["community"] = _community(out["community"])
    if out.get("built_year") not in (None, ""):
        try:
            year = int(out["built_year"])
        except (TypeError, ValueError):
            raise Invalid("建成年份应为整数", code="bad_built_year", detail={"field": "built_year"}) from None
        if not 1900 <= year <= dt.date.today().year + 5:
            raise Invalid(f"建成年份 {year} 不合理", code="bad_built_year", detail={"field": "built_year"})
        out["built_year"] = year
    elif "built_year" in out:
        out["built_year"] = None
    for name in ("buildings", "households"):
        if name in out:
            try:
                out[name] = int(out[name] or 0)
            except (TypeError, ValueError):
                raise Invalid(f"{name} 应为非负整数", code="bad_number", detail={"field": name}) from None
            if out[name] < 0:
                raise Invalid(f"{name} 应为非负整数", code="bad_number", detail={"field": name})
    if "floor_area_m2" in out:
        try:
            out["floor_area_m2"] = float(out["floor_area_m2"] or 0)
        except (TypeError, ValueError):
            raise Invalid("建筑面积应为数字", code="bad_number", detail={"field": "floor_area_m2"}) from None
        if out["floor_area_m2"] < 0:
            raise Invalid("建筑面积不能为负", code="bad_number", detail={"field": "floor_area_m2"})
    if "management_mode" in out and out["management_mode"] not in Compound.ManagementMode.values:
        labels = {str(label): code for code, label in Compound.ManagementMode.choices}
        if out["management_mode"] in labels:
            out["management_mode"] = labels[out["management_mode"]]
        else:
            raise Invalid(f"未知的物业管理方式：{out['management_mode']}（可选：{'、'.join(labels)}）", code="bad_management_mode",
                          detail={"field": "management_mode"})
    if "geometry" in out:
        text, lng, lat = _geometry(out["geometry"])
        out["geometry"] = text
        if text:
            out["lng"], out["lat"] = lng, lat
    for name in ("lng", "lat"):
        if out.get(name) not in (None, ""):
            try:
                out[name] = float(out[name])
            except (TypeError, ValueError):
                raise Invalid(f"{name} 应为数字", code="bad_number", detail={"field": name}) from None
    if out.get("lng") is not None and not -180 <= out["lng"] <= 180 or out.get("lat") is not None and not -90 <= out["lat"] <= 90:
        raise Invalid("中心点应为经纬度", code="bad_point", detail={"field": "lng"})
    unknown = set(out) - set(FIELDS)
    if unknown:
        raise Invalid(f"未知字段：{'、'.join(sorted(unknown))}", code="unknown_field", detail={"fields": sorted(unknown)})
    return out


def create_compound(user: Any, *, code: str, name: str, community: Any, **fields: Any) -> Compound:
    """Register a compound in a community; the community's (or its street's) people or an administrator."""
    code = str(code or "").strip()
    if not code:
        raise Invalid("请填写小区编码", code="missing_code", detail={"field": "code"})
    values = _check({"name": name, "community": community, **fields})
    comm = values["community"]
    if user is not None:
        policy.require_create(user, Compound, community_id=comm.pk, street_id=comm.street_id,
                              message="只能登记本人负责区域内的小区")
    if Compound.objects.filter(code=code).exists():
        raise Conflict(f"小区编码 {code} 已存在", code="duplicate_code", detail={"field": "code"})
    with transaction.atomic():
        compound = Compound.objects.create(code=code[:32], **values)
        audit.created(compound)
    return compound


def update_compound(user: Any, compound: Compound, **changes: Any) -> Compound:
    """Change a compound's facts; moving it to another community needs write rights there too."""
    if user is not None:
        policy.require_write(user, compound, "只能修改本人负责区域内的小区")
    values = _check(changes)
    new_comm = values.get("community")
    if user is not None and new_comm is not None and new_comm.pk != compound.community_id:
        policy.require_create(user, Compound, community_id=new_comm.pk, street_id=new_comm.street_id,
                              message="不能把小区移到本人负责区域以外的社区")
    with transaction.atomic():
        before = audit.snapshot(compound)
        for k, v in values.items():
            setattr(compound, k, v)
        compound.save()
        compound.__dict__.pop("shape", None)
        audit.updated(compound, before)
    return compound
