"""A section's target class changed: its compliance history is judged again by the new target.

``update_site`` calls ``target_changed`` inside its transaction. A short history (at most
``rejudge_inline_hours`` hourly aggregates) is re-judged at once; a longer one is handed to a
Huey job after the commit, and the section says ``rejudge_pending`` until the job is done.

What the re-judgement does (docs/water.md, "Changing a target class"):

- every hour, day and month of the section's stored readings is rebuilt with the new target,
  so its compliance reads as if the new target had always been in force;
- the open target-exceeded alert is closed by the system when nothing since it was first seen
  exceeds the new target (a looser target: the alert no longer holds); otherwise it stays;
- exceedances of the new target in the ``target_alert_hours`` before the change raise (or count
  on) the target-exceeded alert as a fresh reading would; older ones are visible in the
  re-judged compliance but raise nothing — an alert is a call to act now, not a finding about
  last year;
- disposed alerts stay as they were: they were right under the target in force then;
- alerts of the other kinds (jumps, dry-weather flow, overflow) do not depend on the target and
  are left alone.

The audit log gets one ``rejudge_target`` entry on the section: old and new target, the
hours/days/months re-judged, how many of them changed verdict, and the alerts closed or raised.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from huey.contrib.djhuey import db_task

from chengyun.core import audit, current
from chengyun.standards.gb3838 import LABELS

from .. import evaluation
from ..models import Aggregate, Alert, Section
from ..rules import rule
from .alerts import auto_close, raise_alert


def _history_span(section: Section) -> tuple[dt.datetime, dt.datetime] | None:
    from chengyun.monitoring import services as monitoring

    times = monitoring.readings(site_kind=Section.SITE_KIND, site_code=section.code).aggregate(first=Min("data_time"), last=Max("data_time"))
    return (times["first"], times["last"]) if times["first"] is not None else None


def _verdicts(section: Section) -> dict[tuple[str, dt.datetime], bool | None]:
    return {(p, s): c for p, s, c in Aggregate.objects.filter(site_kind=Section.SITE_KIND, site_code=section.code)
            .values_list("period", "start", "compliant")}


def target_changed(user: Any, section: Section, old_target: int) -> None:
    """Called by ``update_site`` (in its transaction) after ``section.target_class`` changed."""
    hours = Aggregate.objects.filter(site_kind=Section.SITE_KIND, site_code=section.code, period=Aggregate.Period.HOUR).count()
    if hours <= int(rule("rejudge_inline_hours")):
        rejudge(section, old_target)
        return
    Section.objects.filter(pk=section.pk).update(rejudge_pending=True)
    section.rejudge_pending = True
    audit.action(section, "rejudge_target_queued", before={"target_class": old_target},
                 after={"target_class": section.target_class, "hours": hours})
    user_id = getattr(user, "pk", None)
    transaction.on_commit(lambda: rejudge_target_job(section.pk, old_target, user_id))


def rejudge(section: Section, old_target: int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Re-judge the section's whole history by its current target; returns what the audit entry says."""
    now = now or timezone.now()
    section = Section.objects.select_related("water_body", "chief__person", "reach__chief__person").get(pk=section.pk)
    new_target = section.target_class
    summary: dict[str, Any] = {"target_class": new_target, "hours": 0, "days": 0, "months": 0,
                               "hours_changed": 0, "days_changed": 0, "months_changed": 0, "alerts_closed": [], "alerts_raised": []}
    with transaction.atomic():
        span = _history_span(section)
        if span is not None:
            before = _verdicts(section)
            _, events = evaluation.evaluate_history(section, *span)
            after = _verdicts(section)
            for period, key in ((Aggregate.Period.HOUR, "hours"), (Aggregate.Period.DAY, "days"), (Aggregate.Period.MONTH, "months")):
                starts = [k for k in after if k[0] == period]
                summary[key] = len(starts)
                summary[f"{key}_changed"] = sum(before.get(k) != after[k] for k in starts)
            summary["alerts_closed"] = _close_outdated(section, old_target)
            summary["alerts_raised"] = _raise_recent(section, events, now)
        else:
            summary["alerts_closed"] = _close_outdated(section, old_target)
        if section.rejudge_pending:
            Section.objects.filter(pk=section.pk).update(rejudge_pending=False)
        audit.action(section, "rejudge_target", before={"target_class": old_target}, after=summary)
    return summary


def _close_outdated(section: Section, old_target: int) -> list[int]:
    """Close the open target-exceeded alert when no hour or day since it was first seen exceeds the new target."""
    closed = []
    for alert in Alert.objects.filter(section=section, kind=Alert.Kind.TARGET_EXCEEDED, open_key__isnull=False):
        still = Aggregate.objects.filter(site_kind=Section.SITE_KIND, site_code=section.code, period__in=["hour", "day"],
                                         start__gte=evaluation.floor_hour(alert.first_seen_at), compliant=False).exists()
        if still:
            continue
        note = (f"目标水质类别由{LABELS[old_target]}类调整为{LABELS[section.target_class]}类，"
                f"复核后自首次发现以来均未超过新目标，系统关闭")
        ctx = current.get()
        with current.acting(None, source=ctx.source, request_id=ctx.request_id):
            if auto_close(alert, note, name="target_changed") is not None:
                closed.append(alert.pk)
    return closed


def _raise_recent(section: Section, events: list[evaluation.Event], now: dt.datetime) -> list[int]:
    since = now - dt.timedelta(hours=int(rule("target_alert_hours")))
    recent = sorted((e for e in events if e.kind == Alert.Kind.TARGET_EXCEEDED and e.at >= since), key=lambda e: e.at)
    if not recent:
        return []
    last = recent[-1]
    alert = raise_alert(section, last.kind, at=last.at, message=last.message, factor=last.factor, value=last.value,
                        threshold=last.threshold, dedup_factor=last.dedup_factor, times=[e.at for e in recent])
    return [alert.pk]


def _job(section_id: int, old_target: int, user_id: int | None) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    section = Section.objects.filter(pk=section_id).first()
    if section is None:
        return
    with current.acting(user, source="job"):
        rejudge(section, old_target)


# The job lives beside the work it runs: water.tasks imports services, so services must not
# import water.tasks back.
@db_task()
def rejudge_target_task(section_id: int, old_target: int, user_id: int | None) -> None:
    """A section's long history judged again after its target class changed."""
    _job(section_id, old_target, user_id)


def rejudge_target_job(section_id: int, old_target: int, user_id: int | None) -> None:
    """Enqueue the long re-judgement (run at once where Huey is immediate, as in the tests)."""
    rejudge_target_task(section_id, old_target, user_id)
