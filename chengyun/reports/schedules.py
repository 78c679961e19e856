"""Scheduled reports: each kind's schedule (configurable per kind), the periodic run that
generates what is due, archives it and tells its audience through the notification centre."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chengyun.core import audit, current
from chengyun.core.errors import Invalid
from chengyun.core.notify import notify
from chengyun.people import policy
from chengyun.people import roles as R

from . import kinds, services
from .models import ReportRun, ReportSchedule

GENERATORS = services.GENERATORS
_SPEC = re.compile(r"^(daily|weekly|monthly)(?:\s+(\d{1,2}))?\s+(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Plan:
    kind: str
    enabled: bool
    frequency: str
    day: int
    at: dt.time
    recipients: tuple[str, ...]
    last_period: str = ""


def parse_spec(spec: str) -> tuple[str, int, dt.time]:
    m = _SPEC.match(spec.strip())
    if not m:
        raise ValueError(f"bad schedule {spec!r}")
    return m.group(1), int(m.group(2) or 1), dt.time(int(m.group(3)), int(m.group(4)))


def plan_for(kind: kinds.ReportKind, row: ReportSchedule | None = None) -> Plan | None:
    if row is not None:
        return Plan(kind.key, row.enabled, row.frequency, row.day, row.at, tuple(row.recipients), row.last_period)
    if not kind.schedule or kind.default_options is None:
        return None
    freq, day, at = parse_spec(kind.schedule)
    return Plan(kind.key, True, freq, day, at, tuple(sorted(kind.audience)))


WEEKDAYS = (gettext_lazy("周一"), gettext_lazy("周二"), gettext_lazy("周三"), gettext_lazy("周四"), gettext_lazy("周五"),
            gettext_lazy("周六"), gettext_lazy("周日"))


def describe(plan: Plan) -> str:
    """每日 18:30 / 每周五 16:00 / 每月1日 09:00, in the reader's language."""
    at = plan.at.strftime("%H:%M")
    if plan.frequency == "weekly":
        return _("每%(day)s %(at)s") % {"day": WEEKDAYS[plan.day - 1], "at": at}
    if plan.frequency == "monthly":
        return _("每月%(day)s日 %(at)s") % {"day": plan.day, "at": at}
    return _("每日 %(at)s") % {"at": at}


def plans() -> list[Plan]:
    rows = {r.kind: r for r in ReportSchedule.objects.all()}
    out = []
    for kind in kinds.all_kinds():
        p = plan_for(kind, rows.get(kind.key))
        if p is not None:
            out.append(p)
    return out


def is_due(plan: Plan, moment: dt.datetime) -> bool:
    """Whether the plan's time on this day has come (the period check stops a second run)."""
    local = timezone.localtime(moment)
    if local.time() < plan.at:
        return False
    if plan.frequency == "weekly":
        return local.isoweekday() == plan.day
    if plan.frequency == "monthly":
        return local.day == plan.day
    return True


def set_schedule(user: Any, kind: str, *, frequency: str, at: Any, day: int = 1, enabled: bool = True,
                 recipients: Iterable[str] = ()) -> ReportSchedule:
    policy.require_role(user, GENERATORS, "只有城运中心值班长、调度员和区领导可以设置报告计划")
    report = _kind(kind)
    if report.default_options is None:
        raise Invalid(f"报告“{report.label}”需要手工指定期间，不能定时生成", code="not_schedulable", detail={"field": "kind"})
    if frequency not in ReportSchedule.Frequency.values:
        raise Invalid("频次应为 daily、weekly 或 monthly", code="bad_frequency", detail={"field": "frequency"})
    limit = {"daily": 1, "weekly": 7, "monthly": 28}[frequency]
    if not isinstance(day, int) or not 1 <= day <= limit:
        raise Invalid(f"日应在 1 到 {limit} 之间", code="bad_day", detail={"field": "day"})
    if isinstance(at, str):
        try:
            at = dt.time.fromisoformat(at)
        except ValueError:
            raise Invalid(f"时间“{at}”格式有误，应为 HH:MM", code="bad_time", detail={"field": "at"}) from None
    roles = sorted(set(recipients))
    unknown = sorted(set(roles) - set(R.ALL_ROLES))
    if unknown:
        raise Invalid(f"未知的角色：{'、'.join(unknown)}", code="bad_role", detail={"field": "recipients", "unknown": unknown})
    with transaction.atomic():
        row, made = ReportSchedule.objects.get_or_create(kind=kind, defaults={"frequency": frequency, "at": at})
        before = audit.snapshot(row)
        row.enabled, row.frequency, row.day, row.at, row.recipients = bool(enabled), frequency, day if frequency != "daily" else 1, at, roles
        row.save()
        audit.created(row, verb="set_report_schedule") if made else audit.updated(row, before, verb="set_report_schedule")
    return row


def _kind(key: str) -> kinds.ReportKind:
    try:
        return kinds.get(key)
    except LookupError:
        raise Invalid(f"未知的报告类型：{key}", code="unknown_kind", detail={"field": "kind"}) from None


def _audience(roles: Iterable[str]) -> list[Any]:
    from chengyun.people.models import Person

    people = Person.objects.filter(active=True, user__isnull=False, roles__code__in=list(roles)).select_related("user").distinct()
    return [p.user for p in people]


def run_due(moment: dt.datetime | None = None) -> list[ReportRun]:
    """Generate every scheduled report whose time has come and whose period is not archived yet."""
    moment = moment or timezone.now()
    day = timezone.localtime(moment).date()
    made = []
    for plan in plans():
        if not plan.enabled or not is_due(plan, moment):
            continue
        kind = kinds.get(plan.kind)
        options = kind.default_options(day)
        if ReportRun.objects.filter(kind=plan.kind, params=kind.params(options)).exists():
            continue  # this period is archived already (by an earlier tick or by hand)
        with current.acting(None, source="job"):
            generated = kind.build(options)
            run = services.archive(None, kind=plan.kind, generated=generated, params=kind.params(options))
            ReportSchedule.objects.filter(kind=plan.kind).update(last_period=generated.period, last_run_at=moment)
        notify(_audience(plan.recipients), f"{generated.title}已生成", url=f"/reports/{run.pk}/docx" if run.docx else f"/reports/{run.pk}/xlsx",
               kind="report_ready", dedup_key=f"report:{plan.kind}:{generated.period}")
        made.append(run)
    return made
