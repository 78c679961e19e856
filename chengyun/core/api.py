from __future__ import annotations

from django.db import connection
from ninja import Router, Schema

from chengyun import __version__

router = Router(tags=["平台"])


class Health(Schema):
    status: str
    database: str
    version: str


@router.get("/health", response=Health, auth=None, summary="健康检查")
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": "postgresql" if connection.vendor == "postgresql" else connection.vendor, "version": __version__}


class DeadlineOut(Schema):
    deadline: str | None


@router.get("/calendar/deadline", response=DeadlineOut, summary="按工作时间计算期限")
def deadline(request, start: str, amount: float, unit: str):
    """start: ISO 8601 with offset; unit: urgent_hour | work_hour | work_day | natural_day."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from .calendar import get_calendar
    from .errors import Invalid
    from .workcalendar import UNITS

    try:
        start_at = dt.datetime.fromisoformat(start.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Invalid("start 应为带时区的 ISO 8601 时间，如 2026-01-05T09:00:00+08:00", code="bad_start") from None
    if start_at.tzinfo is None:
        raise Invalid("start 必须带时区偏移，如 +08:00", code="bad_start")
    if unit not in UNITS:
        raise Invalid(f"unit 应为 {' | '.join(UNITS)} 之一", code="bad_unit")
    try:
        result = get_calendar().add(start_at, amount, unit)
    except ValueError as exc:
        raise Invalid(f"参数有误：{exc}", code="bad_amount") from None
    return {"deadline": result.astimezone(ZoneInfo("Asia/Shanghai")).isoformat() if result else None}
