"""Registry administration by the ops center: water bodies, river chiefs (appoint, change,
end an appointment) and reaches. Reads follow the policy (the registry is reference data);
every write goes through services (policy, write, audit). PATCH changes only the fields given.
Sections and outfalls are in ``sites``, cameras in ``cameras``."""
from __future__ import annotations

import json
from typing import Any, Optional

from django.db.models import Count
from ninja import Query, Schema, Status
from pydantic import ConfigDict, Field

from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.geo.models import Community, Street
from chengyun.people import policy
from chengyun.people.lookup import referenced
from chengyun.people.models import Person

from .. import services
from ..filters import ChiefFilter, ReachFilter, WaterBodyFilter
from ..models import Reach, RiverChief, WaterBody
from .common import changed_fields, chief_named, router, water_body_named


def _geometry_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _geometry_obj(text: str) -> Optional[dict]:
    return json.loads(text) if text else None


class WaterBodyOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    description: str
    reaches: int
    geometry: Optional[dict] = None


class WaterBodyIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    kind: str = Field(..., description="river（河流）或 lake（湖泊/水库）")
    geometry: Optional[Any] = Field(None, description="GeoJSON：河流 LineString/MultiLineString，湖库 Polygon/MultiPolygon")
    description: str = ""


class WaterBodyPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    name: Optional[str] = Field(None, max_length=100)
    kind: Optional[str] = None
    geometry: Optional[Any] = Field(None, description="GeoJSON；null 或空串清除")
    description: Optional[str] = None


def water_body_out(b: WaterBody, with_geometry: bool = False) -> dict[str, Any]:
    n = b.n_reaches if hasattr(b, "n_reaches") else b.reaches.count()
    return {"code": b.code, "name": b.name, "kind": b.kind, "kind_label": b.get_kind_display(), "description": b.description,
            "reaches": n, "geometry": _geometry_obj(b.geometry) if with_geometry else None}


@router.get("/water-bodies", response=Page[WaterBodyOut], summary="水体")
def water_bodies(request, filters: WaterBodyFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, WaterBody.objects.annotate(n_reaches=Count("reaches")).order_by("code")))
    return paginate(qs, page, water_body_out)


@router.post("/water-bodies", response={201: WaterBodyOut}, summary="登记水体（城运中心）")
def create_water_body(request, body: WaterBodyIn):
    b = services.create_water_body(request.user, code=body.code, name=body.name, kind=body.kind, geometry_json=_geometry_text(body.geometry),
                                description=body.description)
    return Status(201, water_body_out(b, with_geometry=True))


@router.get("/water-bodies/{code}", response=WaterBodyOut, summary="水体详情（含几何）")
def water_body(request, code: str):
    return water_body_out(policy.get_visible(request.user, WaterBody.objects.all(), code=code), with_geometry=True)


@router.patch("/water-bodies/{code}", response=WaterBodyOut, summary="修改水体（城运中心）")
def patch_water_body(request, code: str, body: WaterBodyPatch):
    b = policy.get_visible(request.user, WaterBody.objects.all(), code=code)
    changes = changed_fields(body)
    if "geometry" in changes:
        changes["geometry_json"] = _geometry_text(changes.pop("geometry"))
    return water_body_out(services.update_water_body(request.user, b, **changes), with_geometry=True)


# ---- river chiefs

class ChiefOut(Schema):
    id: int
    person_id: int
    name: str
    username: Optional[str] = None
    phone: str
    level: str
    level_label: str
    title: str
    active: bool
    reaches: list[str]


class ChiefIn(Schema):
    person_id: Optional[int] = Field(None, description="人员编号（与 username 二选一）")
    username: Optional[str] = Field(None, description="人员的登录账号")
    level: str = Field(..., description="district 区级 / street 街道（乡镇）级 / community 社区（村）级")
    title: str = Field("", max_length=60)


class ChiefPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    level: Optional[str] = None
    title: Optional[str] = Field(None, max_length=60)
    active: Optional[bool] = Field(None, description="false 结束任职（其河段交给 successor_id 或空缺待任命）；true 重新任命")
    successor_id: Optional[int] = Field(None, description="结束任职时接任其河段与断面的河湖长编号（同一层级）")


_CHIEF_RELATED = ("person__user",)


def chief_out(c: RiverChief) -> dict[str, Any]:
    return {"id": c.pk, "person_id": c.person_id, "name": c.person.name, "username": c.person.user.get_username() if c.person.user_id else None,
            "phone": c.person.phone, "level": c.level, "level_label": c.get_level_display(), "title": c.title, "active": c.active,
            "reaches": [r.code for r in c.reaches.all()]}


def _person(person_id: Optional[int], username: Optional[str]):
    if person_id:
        return referenced(Person.objects, person_id, what="人员", field="person_id")
    if username:
        return referenced(Person.objects, username, what="人员", field="username", lookup="user__username", code="unknown_person")
    raise Invalid("请提供人员编号 person_id 或登录账号 username", code="missing_fields", detail={"field": "person_id"})


def _chief_qs():
    return RiverChief.objects.select_related(*_CHIEF_RELATED).prefetch_related("reaches")


@router.get("/chiefs", response=Page[ChiefOut], summary="河湖长")
def chiefs(request, filters: ChiefFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, _chief_qs())), page, chief_out)


@router.post("/chiefs", response={201: ChiefOut}, summary="任命河湖长（城运中心）")
def appoint_chief(request, body: ChiefIn):
    c = services.appoint_chief(request.user, person=_person(body.person_id, body.username), level=body.level, title=body.title)
    return Status(201, chief_out(_chief_qs().get(pk=c.pk)))


@router.get("/chiefs/{chief_id}", response=ChiefOut, summary="河湖长详情")
def chief(request, chief_id: int):
    return chief_out(policy.get_visible(request.user, _chief_qs(), pk=chief_id))


@router.patch("/chiefs/{chief_id}", response=ChiefOut, summary="修改层级、职务，或结束任职（城运中心）")
def patch_chief(request, chief_id: int, body: ChiefPatch):
    c = policy.get_visible(request.user, _chief_qs(), pk=chief_id)
    changes = changed_fields(body)
    successor = chief_named(changes.pop("successor_id", None), "successor_id")
    services.update_chief(request.user, c, successor=successor, **changes)
    return chief_out(_chief_qs().get(pk=c.pk))


# ---- reaches

class ReachOut(Schema):
    code: str
    name: str
    water_body: str
    water_body_name: str
    level: str
    level_label: str
    chief_id: Optional[int] = None
    chief: Optional[str] = None
    street: Optional[str] = None
    community: Optional[str] = None
    length_m: float
    geometry: Optional[dict] = None


class ReachIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=100)
    water_body: str = Field(..., description="水体编码")
    level: str
    chief_id: Optional[int] = Field(None, description="河湖长编号（须在任且层级相同）")
    street: Optional[str] = Field(None, description="街道编码")
    community: Optional[str] = Field(None, description="社区编码（可推出街道）")
    geometry: Optional[Any] = Field(None, description="GeoJSON LineString/MultiLineString/Polygon")


class ReachPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not a silent no-op
    name: Optional[str] = Field(None, max_length=100)
    level: Optional[str] = None
    chief_id: Optional[int] = Field(None, description="河湖长编号；null 使河段空缺")
    street: Optional[str] = None
    community: Optional[str] = None
    geometry: Optional[Any] = None


_REACH_RELATED = ("water_body", "chief__person", "street", "community")


def reach_out(r: Reach, with_geometry: bool = False) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "water_body": r.water_body.code, "water_body_name": r.water_body.name, "level": r.level,
            "level_label": r.get_level_display(), "chief_id": r.chief_id, "chief": r.chief.person.name if r.chief_id else None,
            "street": r.street.code if r.street_id else None, "community": r.community.code if r.community_id else None,
            "length_m": round(r.length_m, 1), "geometry": _geometry_obj(r.geometry) if with_geometry else None}


def _street(code: Optional[str]):
    return referenced(Street.objects, code, what="街道", field="street", lookup="code")


def _community(code: Optional[str]):
    return referenced(Community.objects.select_related("street"), code, what="社区", field="community", lookup="code")


@router.get("/reaches", response=Page[ReachOut], summary="河段")
def reaches(request, filters: ReachFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, Reach.objects.select_related(*_REACH_RELATED))), page, reach_out)


@router.post("/reaches", response={201: ReachOut}, summary="登记河段（城运中心）")
def create_reach(request, body: ReachIn):
    r = services.create_reach(request.user, code=body.code, name=body.name, water_body=water_body_named(body.water_body), level=body.level,
                           chief=chief_named(body.chief_id), street=_street(body.street), community=_community(body.community),
                           geometry_json=_geometry_text(body.geometry))
    return Status(201, reach_out(Reach.objects.select_related(*_REACH_RELATED).get(pk=r.pk), with_geometry=True))


@router.get("/reaches/{code}", response=ReachOut, summary="河段详情（含几何）")
def reach(request, code: str):
    return reach_out(policy.get_visible(request.user, Reach.objects.select_related(*_REACH_RELATED), code=code), with_geometry=True)


@router.patch("/reaches/{code}", response=ReachOut, summary="修改河段：指定或更换河湖长、街道、社区、几何（城运中心）")
def patch_reach(request, code: str, body: ReachPatch):
    r = policy.get_visible(request.user, Reach.objects.select_related(*_REACH_RELATED), code=code)
    changes = changed_fields(body)
    if "chief_id" in changes:
        changes["chief"] = chief_named(changes.pop("chief_id"))
    if "street" in changes:
        changes["street"] = _street(changes["street"])
    if "community" in changes:
        changes["community"] = _community(changes["community"])
    if "geometry" in changes:
        changes["geometry_json"] = _geometry_text(changes.pop("geometry"))
    services.update_reach(request.user, r, **changes)
    return reach_out(Reach.objects.select_related(*_REACH_RELATED).get(pk=r.pk), with_geometry=True)
