"""/api/v1/renewal/: a thin router over services; reads go through the policy."""
from __future__ import annotations

from typing import Optional

from ninja import Query, Router, Schema

from chengyun.core.pagination import Page, PageParams, paginate

from . import services
from .models import Indicator, IndicatorSet, Problem
from .services import access

router = Router(tags=["城市体检"])


class IndicatorSetOut(Schema):
    id: int
    year: int
    name: str
    indicators: int


@router.get("/indicator-sets", response=list[IndicatorSetOut], summary="体检指标体系")
def indicator_sets(request):
    qs = access.visible(request.user, IndicatorSet.objects.all())
    return [{"id": s.id, "year": s.year, "name": s.name, "indicators": s.indicators.count()} for s in qs]


class IndicatorOut(Schema):
    id: int
    set_id: int
    year: int
    code: str
    dimension: str
    aspect: str
    name: str
    unit: str
    kind: str
    value_kind: str
    direction: str
    source: str
    responsible_unit: Optional[str]
    data_source: str
    target_value: Optional[float]
    computed_by: str


def indicator_dict(i: Indicator) -> dict:
    return {"id": i.id, "set_id": i.indicator_set_id, "year": i.indicator_set.year, "code": i.code, "dimension": i.dimension,
            "aspect": i.aspect, "name": i.name, "unit": i.unit, "kind": i.kind, "value_kind": i.value_kind, "direction": i.direction,
            "source": i.source, "responsible_unit": i.responsible_unit.code if i.responsible_unit_id else None,
            "data_source": i.data_source, "target_value": i.target_value, "computed_by": i.computed_by}


@router.get("/indicators", response=Page[IndicatorOut], summary="体检指标")
def indicators(request, year: Optional[int] = None, dimension: Optional[str] = None, page: PageParams = Query(...)):
    qs = access.visible(request.user, Indicator.objects.select_related("indicator_set", "responsible_unit"))
    if year:
        qs = qs.filter(indicator_set__year=year)
    if dimension:
        qs = qs.filter(dimension=dimension)
    return paginate(qs, page, indicator_dict)


class ActionIn(Schema):
    note: str = ""


@router.post("/problems/{problem_id}/{action}", summary="问题流转：start 开始整改 / close 复核销号 / return 复核退回（状态不允许时 409）")
def problem_action(request, problem_id: int, action: str, payload: ActionIn):
    problem = access.get_visible(request.user, Problem.objects.all(), pk=problem_id)
    problem = services.transition(request.user, problem, action, note=payload.note)
    return {"id": problem.id, "code": problem.code, "state": problem.state}
