from __future__ import annotations

import json
from typing import Literal, Optional, Union

from django.db.models import Q
from django.http import HttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from chengyun.core.apischema import ErrorOut
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy
from chengyun.people.models import Person

from . import services
from .filters import GridFilter, UnitFilter
from .importers import read_geojson
from .models import Community, Grid, Street, Unit

router = Router(tags=["区域"])


class NamedCode(Schema):
    code: str
    name: str


class LocateOut(Schema):
    lng: float
    lat: float
    street: NamedCode
    community: NamedCode
    grid: NamedCode


@router.get("/locate", response=LocateOut, summary="坐标定位到街道、社区、单元网格")
def locate(request, lng: float, lat: float, crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"):
    return services.locate(lng, lat, crs).to_dict()


def _feature_collection(rows, props) -> HttpResponse:
    # The geometry is stored as GeoJSON text: splice it in rather than parse and re-dump it.
    parts = []
    for r in rows:
        parts.append('{"type":"Feature","geometry":%s,"properties":%s}' % (r.geometry, json.dumps(props(r), ensure_ascii=False)))
    body = '{"type":"FeatureCollection","features":[%s]}' % ",".join(parts)
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")


@router.get("/grids", summary="单元网格（GeoJSON FeatureCollection）")
def grids(request, filters: GridFilter = Query(...)):
    qs = filters.filter(policy.visible(request.user, Grid.objects.select_related("community", "street")))
    return _feature_collection(qs, lambda g: {
        "code": g.code, "name": g.name, "community": g.community.name, "community_code": g.community.code,
        "street": g.street.name, "street_code": g.street.code, "area_m2": round(g.area_m2, 1),
    })


@router.get("/streets", summary="街道（GeoJSON FeatureCollection）")
def streets(request):
    qs = policy.visible(request.user, Street.objects.all())
    return _feature_collection(qs, lambda s: {"code": s.code, "name": s.name, "area_m2": round(s.area_m2, 1)})


@router.get("/communities", summary="社区（GeoJSON FeatureCollection）")
def communities(request, street: Optional[str] = None):
    qs = policy.visible(request.user, Community.objects.select_related("street"))
    if street:
        qs = qs.filter(street__code=street)
    return _feature_collection(qs, lambda c: {"code": c.code, "name": c.name, "street": c.street.name, "street_code": c.street.code, "area_m2": round(c.area_m2, 1)})


class PersonBrief(Schema):
    id: int
    name: str
    phone: str
    unit: str
    roles: list[str]


class GridDetail(Schema):
    code: str
    name: str
    area_m2: float
    community: NamedCode
    street: NamedCode
    people: list[PersonBrief]
    units: list[NamedCode]


@router.get("/grids/{code}", response=GridDetail, summary="单元网格详情（含责任人员）")
def grid_detail(request, code: str):
    g = policy.get_visible(request.user, Grid.objects.select_related("community", "street"), code=code)
    assigned = Q(grids=g) | Q(communities=g.community_id) | Q(streets=g.street_id)
    people = policy.visible(request.user, Person.objects.filter(assigned, active=True)).select_related("unit").prefetch_related("roles")
    from chengyun.people.roles import ROLE_NAMES

    return {
        "code": g.code, "name": g.name, "area_m2": g.area_m2,
        "community": {"code": g.community.code, "name": g.community.name},
        "street": {"code": g.street.code, "name": g.street.name},
        "people": [
            {"id": p.id, "name": p.name, "phone": p.phone, "unit": p.unit.name, "roles": [str(ROLE_NAMES[r.code]) for r in p.roles.all()]}
            for p in people.order_by("name")
        ],
        "units": [{"code": u.code, "name": u.name} for u in Unit.objects.filter(grids=g)],
    }


class ContactSchema(Schema):
    name: str
    phone: str
    title: str = ""
    on_duty: bool = False


class UnitOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    kind_display: str
    specialty: str
    address: str
    district_wide: bool
    contacts: list[ContactSchema]


def _unit_out(u: Unit) -> dict:
    return {
        "code": u.code, "name": u.name, "short_name": u.short_name, "kind": u.kind, "kind_display": str(u.get_kind_display()),
        "specialty": u.specialty, "address": u.address, "district_wide": u.district_wide,
        "contacts": [{"name": c.name, "phone": c.phone, "title": c.title, "on_duty": c.on_duty} for c in u.contacts.all()],
    }


@router.get("/units", response=Page[UnitOut], summary="责任单位列表")
def units(request, filters: UnitFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Unit.objects.prefetch_related("contacts"))).distinct()
    return paginate(qs, page, _unit_out)


@router.get("/units/{code}", response=UnitOut, summary="责任单位详情")
def unit_detail(request, code: str):
    return _unit_out(policy.get_visible(request.user, Unit.objects.prefetch_related("contacts"), code=code))


@router.put("/units/{code}/contacts", response=UnitOut, summary="更新单位联系人（本单位人员或管理员）")
def unit_contacts(request, code: str, contacts: list[ContactSchema]):
    unit = policy.get_visible(request.user, Unit.objects.all(), code=code)
    services.set_unit_contacts(request.user, unit, [c.dict() for c in contacts])
    return _unit_out(Unit.objects.prefetch_related("contacts").get(pk=unit.pk))


class ImportOut(Schema):
    level: str
    dry_run: bool
    ok: bool
    written: bool
    total: int
    created: int
    updated: int
    unchanged: int
    errors: list[str]
    warnings: list[str]


@router.post("/boundaries/import", response={200: ImportOut, 422: Union[ImportOut, ErrorOut]}, summary="导入边界（GeoJSON），先试运行")
def import_boundaries(request, level: Literal["district", "street", "community", "grid"], dry_run: bool = True, file: UploadedFile = File(...)):
    report = services.import_boundaries(read_geojson(file.read()), level, dry_run=dry_run, user=request.user)
    return Status(200 if report.ok else 422, report.to_dict())


class TilingOut(Schema):
    ok: bool
    counts: dict[str, int]
    problems: list[str]


@router.get("/validate", response=TilingOut, summary="检查区划：有效性、包含关系、重叠与缝隙")
def validate(request):
    from chengyun.people import roles as R

    policy.require_role(request.user, {R.SYSADMIN, R.OPS_SHIFT_LEADER}, "只有系统管理员或值班长可以检查区划")
    r = services.validate_tiling()
    return {"ok": r.ok, "counts": r.counts, "problems": r.problems}
