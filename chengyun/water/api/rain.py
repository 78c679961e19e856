"""Dry weather: the rain days the ops center records, and the rain outfalls flowing on dry days."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from ninja import Schema

from chengyun.people import policy

from .. import services
from ..models import Outfall, RainDay
from .common import router


class DryFlowOut(Schema):
    outfall: str
    evidence: str


@router.get("/dry-weather-flow", response=list[DryFlowOut], summary="旱天出流的雨水排口")
def dry_weather_flow(request, since: dt.datetime):
    visible = set(policy.visible(request.user, Outfall.objects.all()).values_list("code", flat=True))
    return [{"outfall": c, "evidence": e} for c, e in services.dry_weather_flow_outfalls(since) if c in visible]


class RainDayIn(Schema):
    rained: bool
    precipitation_mm: Optional[float] = None
    note: str = ""


class RainDayOut(Schema):
    date: dt.date
    rained: bool
    precipitation_mm: Optional[float] = None
    note: str


@router.get("/rain-days", response=list[RainDayOut], summary="降雨记录")
def rain_days(request, start: Optional[dt.date] = None, end: Optional[dt.date] = None):
    qs = RainDay.objects.all()
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    return list(qs[:400])


@router.put("/rain-days/{day}", response=RainDayOut, summary="登记某日有无降雨（城运中心）")
def put_rain_day(request, day: dt.date, body: RainDayIn):
    return services.set_rain_day(request.user, day, rained=body.rained, precipitation_mm=body.precipitation_mm, note=body.note)
