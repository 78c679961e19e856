"""/api/v1/waste/: compounds (sorting register and rates), surveys, demonstration areas, 无废城市 indicators."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Query, Router, Schema

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy

from . import services
from .filters import CheckFilter, SortingCompoundFilter
from .models import DemoArea, SortingCheck, SortingCompound, ZeroWasteIndicator

router = Router(tags=["垃圾分类与无废城市"])


class WasteCompoundOut(Schema):
    code: str
    name: str
    community: str
    street: str
    households: int
    sorting_since: Optional[dt.date]
    demo_area: Optional[str]
    joined_area_on: Optional[dt.date]
    awareness: Optional[float]
    participation: Optional[float]
    accuracy: Optional[float]
    compliant: bool
    assessed_on: Optional[dt.date]


class WasteEnrolIn(Schema):
    sorting_since: Optional[dt.date] = None
    demo_area: str = ""
    joined_area_on: Optional[dt.date] = None


def _compound(s: SortingCompound) -> dict:
    c = s.compound
    return {"code": c.code, "name": c.name, "community": c.community.code, "street": s.street.code, "households": c.households,
            "sorting_since": s.sorting_since, "demo_area": s.demo_area.code if s.demo_area_id else None, "joined_area_on": s.joined_area_on,
            "awareness": s.awareness, "participation": s.participation, "accuracy": s.accuracy, "compliant": s.compliant, "assessed_on": s.assessed_on}


def _compounds_qs(user):
    return policy.visible(user, SortingCompound.objects.select_related("compound__community", "street", "demo_area"))


@router.get("/compounds", response=Page[WasteCompoundOut], summary="分类小区：知晓率、参与率、准确率与达标")
def compounds(request, filters: SortingCompoundFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(_compounds_qs(request.user)), page, _compound)


@router.get("/compounds/{code}", response=WasteCompoundOut, summary="一个小区的分类情况")
def compound_detail(request, code: str):
    return _compound(policy.get_visible(request.user, _compounds_qs(request.user), compound__code=code))


@router.put("/compounds/{code}", response=WasteCompoundOut, summary="实施分类或纳入示范片区")
def compound_enrol(request, code: str, body: WasteEnrolIn):
    policy.get_visible(request.user, SortingCompound.objects.all(), compound__code=code)
    services.enrol_compound(request.user, compound=code, **body.dict())
    return _compound(_compounds_qs(request.user).get(compound__code=code))


class WasteCheckOut(Schema):
    code: str
    compound: str
    kind: str
    checked_on: dt.date
    sample: int
    aware: Optional[int]
    participating: Optional[int]
    correct: Optional[int]
    inspector: str


class WasteCheckIn(Schema):
    compound: str
    kind: str
    checked_on: dt.date
    sample: int
    inspector: str
    aware: Optional[int] = None
    participating: Optional[int] = None
    correct: Optional[int] = None


def _check(c: SortingCheck) -> dict:
    return {"code": c.code, "compound": c.compound.code, "kind": c.kind, "checked_on": c.checked_on, "sample": c.sample, "aware": c.aware,
            "participating": c.participating, "correct": c.correct, "inspector": c.inspector}


@router.get("/surveys", response=Page[WasteCheckOut], summary="入户调查与桶边检查")
def surveys(request, filters: CheckFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, SortingCheck.objects.select_related("compound"))), page, _check)


@router.post("/surveys", response={201: WasteCheckOut}, summary="登记调查或检查（重新评定小区是否达标）")
def survey_create(request, body: WasteCheckIn):
    return 201, _check(services.record_check(request.user, **body.dict()))


class WasteAreaOut(Schema):
    code: str
    name: str
    street: str
    level: str
    designated_on: dt.date
    compounds: int


class WasteAreaIn(Schema):
    code: str
    name: str
    street: str
    designated_on: dt.date
    level: str = "district"
    note: str = ""


def _area(a: DemoArea) -> dict:
    return {"code": a.code, "name": a.name, "street": a.street.code, "level": a.level, "designated_on": a.designated_on, "compounds": a.compounds.count()}


@router.get("/areas", response=list[WasteAreaOut], summary="垃圾分类示范片区")
def areas(request):
    return [_area(a) for a in policy.visible(request.user, DemoArea.objects.select_related("street"))]


@router.post("/areas", response={201: WasteAreaOut}, summary="命名示范片区")
def area_create(request, body: WasteAreaIn):
    return 201, _area(services.create_demo_area(request.user, **body.dict()))


class WasteValueOut(Schema):
    year: int
    target: Optional[float]
    actual: Optional[float]
    met: Optional[bool]


class WasteIndicatorOut(Schema):
    code: str
    name: str
    unit_label: str
    direction: str
    category: str
    basis: str
    values: list[WasteValueOut]


class WasteValueIn(Schema):
    target: Optional[float] = None
    actual: Optional[float] = None
    note: str = ""


def _indicator(i: ZeroWasteIndicator) -> dict:
    return {"code": i.code, "name": i.name, "unit_label": i.unit_label, "direction": i.direction, "category": i.category, "basis": i.basis,
            "values": [{"year": v.year, "target": v.target, "actual": v.actual, "met": v.met} for v in i.values.all()]}


@router.get("/indicators", response=list[WasteIndicatorOut], summary="无废城市指标（年度目标与实际）")
def indicators(request):
    return [_indicator(i) for i in policy.visible(request.user, ZeroWasteIndicator.objects.filter(active=True).prefetch_related("values"))]


@router.put("/indicators/{code}/{year}", response=WasteValueOut, summary="填报年度目标或实际值")
def indicator_value(request, code: str, year: int, body: WasteValueIn):
    ind = policy.get_visible(request.user, ZeroWasteIndicator.objects.all(), code=code)
    v = services.set_value(request.user, ind, year=year, **body.dict())
    return {"year": v.year, "target": v.target, "actual": v.actual, "met": v.met}


class WasteCoverageOut(Schema):
    community: str
    name: str
    street: str
    compounds: int
    sorting: int
    compliant: int
    coverage: Optional[float]


@router.get("/coverage", response=list[WasteCoverageOut], summary="各社区垃圾分类覆盖率")
def coverage(request, on: Optional[dt.date] = None):
    from chengyun.geo.models import Community

    rows = services.coverage_by_community(on or dt.date.today(), Community.objects.select_related("street").order_by("code"))
    return [{"community": r["community"].code, "name": r["community"].name, "street": r["community"].street.code, "compounds": r["compounds"],
             "sorting": r["sorting"], "compliant": r["compliant"], "coverage": r["coverage"]} for r in rows]
