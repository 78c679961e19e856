"""The fund's configurable rules, each read from a setting with the default the district's draft
《村集体经济扶持资金使用管理办法》 starts from (see docs/villagefund.md for the sources).

    VILLAGEFUND_DECISION_RULES    quorum and majority per meeting (decision.py)
    VILLAGEFUND_PUBLICITY_DAYS    公示期 length, default 10
    VILLAGEFUND_PUBLICITY_COUNTS  "calendar" (default: the sources say 不少于10天) or "working"
    VILLAGEFUND_PREPAY_SHARE      预拨 share of the approved amount after publicity, default 0.30
    VILLAGEFUND_FORBIDDEN_USES    {code: label} of uses the fund may never pay for
    VILLAGEFUND_INCOME_TARGET_WAN a village's 经营性收入 below this (万元) is flagged, default 5
    VILLAGEFUND_REVIEW_UNITS      {specialty: label} of the district's joint-review departments
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

CALENDAR_DAYS = "calendar"
WORKING_DAYS = "working"

SUPPORT_MODELS = {
    "resource": _("资源发包"),
    "equity": _("资产参股"),
    "property": _("物业经营"),
    "service": _("服务创收"),
    "mixed": _("混合经营"),
}
SOURCES = {
    "central": _("中央"),
    "province": _("省级"),
    "city": _("市级"),
    "district": _("区级"),
}
# Uses the fund pays for: what builds or buys an income-earning collective asset.
ALLOWED_USES = {
    "construction": _("工程建设"),
    "equipment": _("设备购置"),
    "equity": _("入股投资"),
    "asset_purchase": _("购置经营性资产"),
    "design": _("勘察设计监理"),
}
DEFAULT_FORBIDDEN_USES = {
    "debt": _("偿还债务"),
    "personal_subsidy": _("发放个人补贴/津贴"),
    "cadre_pay": _("村干部工资"),
    "buildings": _("楼堂馆所"),
    "vehicles": _("购置交通通讯工具"),
    "village_running": _("村级运转"),
}
DEFAULT_REVIEW_UNITS = {"组织": _("组织部"), "财政": _("财政局"), "农业农村": _("农业农村局")}


def forbidden_uses() -> dict[str, object]:
    return dict(getattr(settings, "VILLAGEFUND_FORBIDDEN_USES", DEFAULT_FORBIDDEN_USES))


def all_uses() -> dict[str, object]:
    return {**ALLOWED_USES, **forbidden_uses()}


def review_units() -> dict[str, object]:
    return dict(getattr(settings, "VILLAGEFUND_REVIEW_UNITS", DEFAULT_REVIEW_UNITS))


def prepay_share() -> Decimal:
    return Decimal(str(getattr(settings, "VILLAGEFUND_PREPAY_SHARE", "0.30")))


def income_target_wan() -> Decimal:
    return Decimal(str(getattr(settings, "VILLAGEFUND_INCOME_TARGET_WAN", "5")))


def publicity_days() -> int:
    return int(getattr(settings, "VILLAGEFUND_PUBLICITY_DAYS", 10))


def publicity_counts() -> str:
    counts = getattr(settings, "VILLAGEFUND_PUBLICITY_COUNTS", CALENDAR_DAYS)
    if counts not in (CALENDAR_DAYS, WORKING_DAYS):
        raise ValueError(f"VILLAGEFUND_PUBLICITY_COUNTS must be {CALENDAR_DAYS!r} or {WORKING_DAYS!r}, not {counts!r}")
    return counts


def publicity_end(start: dt.date, days: int | None = None, counts: str | None = None, is_workday=None) -> dt.date:
    """The last day of a publicity period that begins on ``start`` (day 1).

    Calendar days: start + days − 1 (10 days from Friday the 5th end on Sunday the 14th).
    Working days: the ``days``-th working day counting ``start`` itself when it is one, on the
    district's working calendar (weekends, 法定节假日 and 调休 from core.calendar).
    """
    days = publicity_days() if days is None else days
    counts = publicity_counts() if counts is None else counts
    if days < 1:
        raise ValueError("a publicity period lasts at least one day")
    if counts == CALENDAR_DAYS:
        return start + dt.timedelta(days=days - 1)
    if is_workday is None:
        from chengyun.core.calendar import get_calendar

        is_workday = get_calendar().is_workday
    day, counted = start, 0
    while True:
        if is_workday(day):
            counted += 1
            if counted == days:
                return day
        day += dt.timedelta(days=1)
