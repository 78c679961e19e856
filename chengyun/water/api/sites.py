"""Monitoring sites: sections (监测断面) and outfalls (入河排污口) — list, read, register and edit
them, their map layers, their evaluated aggregates and factor series, and linking a device."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal, Optional

from django.utils import timezone
from ninja import Query, Schema, Status
from pydantic import ConfigDict, Field

from chengyun.core.errors import Invalid, NotFound
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy
from chengyun.people.lookup import referenced

from .. import queries, services
from ..filters import OutfallFilter, SectionFilter
from ..models import Aggregate, Outfall, RiverChief, Section, WaterBody
from .common import chief_named, changed_fields, reach_named, router, unit_named, water_body_named


class SiteOut(Schema):
    code: str
    name: str
    lng: float
    lat: float
    water_body: str
    water_body_kind: str
    street: str
    grid: str
    reach: Optional[str] = None
    active: bool


class SectionOut(SiteOut):
    target_class: int
    target_label: str
    chief: Optional[str] = None
    rejudge_pending: bool = Field(False, description="目标类别变更后，历史数据正在后台按新目标复核")


class OutfallOut(SiteOut):
    kind: str
    kind_label: str
    unit: str
    unit_code: str


def _site(s) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "lng": s.lng, "lat": s.lat, "water_body": s.water_body.code,
            "water_body_kind": s.water_body.kind, "street": s.street.code, "grid": s.grid.code,
            "reach": s.reach.code if s.reach_id else None, "active": s.active}


def section_out(s: Section) -> dict[str, Any]:
    return {**_site(s), "target_class": s.target_class, "target_label": s.target_label,
            "chief": s.chief.person.name if s.chief_id else None, "rejudge_pending": s.rejudge_pending}


def outfall_out(o: Outfall) -> dict[str, Any]:
    return {**_site(o), "kind": o.kind, "kind_label": o.get_kind_display(), "unit": o.unit.name, "unit_code": o.unit.code}


_SITE_RELATED = ("water_body", "street", "grid", "reach")


@router.get("/sections", response=Page[SectionOut], summary="监测断面")
def sections(request, filters: SectionFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Section.objects.select_related(*_SITE_RELATED, "chief__person")))
    return paginate(qs.distinct(), page, section_out)


@router.get("/sections/{code}", response=SectionOut, summary="监测断面详情")
def section(request, code: str):
    return section_out(policy.get_visible(request.user, Section.objects.select_related(*_SITE_RELATED, "chief__person"), code=code))


class SectionIn(Schema):
    code: str
    name: str
    water_body: str = Field(..., description="水体编码")
    lng: float
    lat: float
    target_class: int = Field(..., ge=1, le=5)
    chief_person_id: Optional[int] = None
    reach: Optional[str] = None


@router.post("/sections", response={201: SectionOut}, summary="登记监测断面")
def create_section(request, body: SectionIn):
    chief = referenced(RiverChief.objects.all(), body.chief_person_id or None, field="chief_person_id", lookup="person_id",
                       what="河湖长", code="unknown_chief")
    s = services.create_section(request.user, code=body.code, name=body.name, water_body=water_body_named(body.water_body), lng=body.lng,
                                lat=body.lat, target_class=body.target_class, chief=chief, reach=reach_named(body.reach))
    return Status(201, section_out(Section.objects.select_related(*_SITE_RELATED, "chief__person").get(pk=s.pk)))


@router.get("/outfalls", response=Page[OutfallOut], summary="入河排污口")
def outfalls(request, filters: OutfallFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Outfall.objects.select_related(*_SITE_RELATED, "unit")))
    return paginate(qs.distinct(), page, outfall_out)


@router.get("/outfalls/{code}", response=OutfallOut, summary="入河排污口详情")
def outfall(request, code: str):
    return outfall_out(policy.get_visible(request.user, Outfall.objects.select_related(*_SITE_RELATED, "unit"), code=code))


class OutfallIn(Schema):
    code: str
    name: str
    kind: str = Field(..., description="industrial 工业 / wwtp 城镇污水处理厂 / rain 雨水 / combined 合流 / other 其他")
    water_body: str
    lng: float
    lat: float
    unit: str = Field(..., description="责任单位编码")
    reach: Optional[str] = None


@router.post("/outfalls", response={201: OutfallOut}, summary="登记入河排污口")
def create_outfall(request, body: OutfallIn):
    unit = unit_named(body.unit)
    o = services.create_outfall(request.user, code=body.code, name=body.name, kind=body.kind, water_body=water_body_named(body.water_body),
                                lng=body.lng, lat=body.lat, unit=unit, reach=reach_named(body.reach))
    return Status(201, outfall_out(Outfall.objects.select_related(*_SITE_RELATED, "unit").get(pk=o.pk)))


@router.get("/map/sections", summary="断面图层（GeoJSON，按最新水质类别着色）")
def map_sections(request):
    return queries.section_features(list(policy.visible(request.user, Section.objects.select_related("water_body").filter(active=True))))


@router.get("/map/outfalls", summary="排污口图层（GeoJSON，按状态着色）")
def map_outfalls(request):
    return queries.outfall_features(list(policy.visible(request.user, Outfall.objects.select_related("water_body", "unit").filter(active=True))))


@router.get("/map/water-bodies", summary="水体（GeoJSON）")
def map_water_bodies(request):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(b.geometry), "properties": {"code": b.code, "name": b.name, "kind": b.kind}}
        for b in WaterBody.objects.exclude(geometry="")]}


class AggregateOut(Schema):
    start: dt.datetime
    period: str
    means: dict[str, float]
    water_class: Optional[int] = None
    label: str
    limiting: list[str]
    target_class: Optional[int] = None
    compliant: Optional[bool] = None
    excluded: int


def _site_for(request, site_kind: str, code: str):
    model = {"section": Section, "outfall": Outfall}.get(site_kind)
    if model is None:
        raise NotFound()
    return policy.get_visible(request.user, model.objects.select_related("water_body"), code=code)


@router.get("/sites/{site_kind}/{code}/aggregates", response=list[AggregateOut], summary="评价汇总（小时/日/月）")
def aggregates(request, site_kind: Literal["section", "outfall"], code: str, period: Literal["hour", "day", "month"] = "day",
               start: Optional[dt.datetime] = None, end: Optional[dt.datetime] = None):
    site = _site_for(request, site_kind, code)
    end = end or timezone.now() + dt.timedelta(hours=1)
    start = start or end - {"hour": dt.timedelta(days=2), "day": dt.timedelta(days=31), "month": dt.timedelta(days=366)}[period]
    if (end - start).days > 400:
        raise Invalid("查询时段不能超过 400 天", code="range_too_long")
    return [{"start": a.start, "period": a.period, "means": a.means, "water_class": a.water_class, "label": a.label, "limiting": a.limiting,
             "target_class": a.target_class, "compliant": a.compliant, "excluded": a.excluded}
            for a in queries.trend(site.SITE_KIND, site.code, period, start, end)]


@router.get("/sites/{site_kind}/{code}/series", summary="因子曲线与 GB 3838 各类限值（图表用）")
def series(request, site_kind: Literal["section", "outfall"], code: str, period: Literal["hour", "day", "month"] = "hour", days: int = Query(7, ge=1, le=400)):
    site = _site_for(request, site_kind, code)
    end = timezone.now() + dt.timedelta(hours=1)
    aggs = queries.trend(site.SITE_KIND, site.code, period, end - dt.timedelta(days=days), end)
    body = site.water_body.gb3838_body if site_kind == "section" else None
    return {"classes": [[a.start.isoformat(), a.water_class] for a in aggs], "target_class": getattr(site, "target_class", None),
            "factors": queries.factor_series(aggs, body)}


class LinkIn(Schema):
    mn: str = Field(..., description="监测设备 MN")


class LinkOut(Schema):
    mn: str
    site_kind: str
    site_code: str
    hours_evaluated: int


@router.post("/sites/{site_kind}/{code}/devices", response=LinkOut, summary="关联监测设备（并评价其已有数据）")
def link_device(request, site_kind: Literal["section", "outfall"], code: str, body: LinkIn):
    site = _site_for(request, site_kind, code)
    device = services.link_device(request.user, body.mn, site)
    hours = Aggregate.objects.filter(site_kind=site.SITE_KIND, site_code=site.code, period=Aggregate.Period.HOUR).count()
    return {"mn": device.mn, "site_kind": device.site_kind, "site_code": device.site_code, "hours_evaluated": hours}


# ---- edits by the ops center (PATCH changes only the fields given)

class SitePatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    name: Optional[str] = Field(None, max_length=100)
    water_body: Optional[str] = Field(None, description="水体编码")
    reach: Optional[str] = Field(None, description="河段编码；null 清除")
    active: Optional[bool] = None
    lng: Optional[float] = None
    lat: Optional[float] = None


class SectionPatch(SitePatch):
    target_class: Optional[int] = Field(None, ge=1, le=5)
    chief_id: Optional[int] = Field(None, description="责任河长（河湖长编号）；null 清除")


class OutfallPatch(SitePatch):
    kind: Optional[str] = None
    unit: Optional[str] = Field(None, description="责任单位编码")


def _site_changes(body: SitePatch) -> dict[str, Any]:
    changes = changed_fields(body)
    for key in ("name", "water_body", "target_class", "kind", "unit", "active", "lng", "lat"):
        if key in changes and changes[key] is None:
            raise Invalid(f"{key} 不能为 null", code="invalid_field", detail={"field": key})
    if "water_body" in changes:
        changes["water_body"] = water_body_named(changes["water_body"])
    if "reach" in changes:
        changes["reach"] = reach_named(changes["reach"])
    if "chief_id" in changes:
        changes["chief"] = chief_named(changes.pop("chief_id"))
    if "unit" in changes:
        changes["unit"] = unit_named(changes["unit"])
    return changes


@router.patch("/sections/{code}", response=SectionOut, summary="修改监测断面：名称、目标类别、责任河长、河段、启用（城运中心）")
def patch_section(request, code: str, body: SectionPatch):
    s = policy.get_visible(request.user, Section.objects.select_related(*_SITE_RELATED, "chief__person"), code=code)
    services.update_site(request.user, s, **_site_changes(body))
    return section_out(Section.objects.select_related(*_SITE_RELATED, "chief__person").get(pk=s.pk))


@router.patch("/outfalls/{code}", response=OutfallOut, summary="修改入河排污口：名称、类型、河段、责任单位、启用（城运中心）")
def patch_outfall(request, code: str, body: OutfallPatch):
    o = policy.get_visible(request.user, Outfall.objects.select_related(*_SITE_RELATED, "unit"), code=code)
    services.update_site(request.user, o, **_site_changes(body))
    return outfall_out(Outfall.objects.select_related(*_SITE_RELATED, "unit").get(pk=o.pk))
