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


class OverrideIn(Schema):
    is_workday: bool
    note: str = ""


class OverrideOut(Schema):
    date: str
    is_workday: bool
    note: str


class DayOut(Schema):
    date: str
    is_workday: bool
    overridden: bool


@router.get("/calendar/days", response=list[DayOut], summary="某月每天是否工作日（含法定节假日、调休和人工调整）")
def calendar_days(request, month: str):
    """month: YYYY-MM."""
    import calendar as pycal
    import datetime as dt

    from .calendar import get_calendar
    from .errors import Invalid
    from .models import CalendarOverride

    try:
        year, mon = (int(x) for x in month.split("-"))
        days = pycal.monthrange(year, mon)[1]
    except (ValueError, pycal.IllegalMonthError):
        raise Invalid("month 应为 YYYY-MM，如 2026-10", code="bad_month") from None
    cal = get_calendar()
    overridden = set(CalendarOverride.objects.filter(date__year=year, date__month=mon).values_list("date", flat=True))
    out = []
    for d in range(1, days + 1):
        day = dt.date(year, mon, d)
        out.append({"date": day.isoformat(), "is_workday": cal.is_workday(day), "overridden": day in overridden})
    return out


@router.put("/calendar/overrides/{day}", response=OverrideOut, summary="调整某日是否上班（系统管理员、值班长）")
def put_override(request, day: str, body: OverrideIn):
    from .calendar import set_override
    from .dates import parse_date

    date = parse_date(day, "日期应为 YYYY-MM-DD")
    o = set_override(request.user, date, body.is_workday, body.note)
    return {"date": o.date.isoformat(), "is_workday": o.is_workday, "note": o.note}


@router.delete("/calendar/overrides/{day}", response={204: None}, summary="取消对某日的调整")
def delete_override(request, day: str):
    from ninja import Status

    from .calendar import set_override
    from .dates import parse_date

    date = parse_date(day, "日期应为 YYYY-MM-DD")
    set_override(request.user, date, None)
    return Status(204, None)
