"""River-chief patrols (巡河): the rule per chief level, a patrol started and finished with its
GPS track (or entered afterwards by the ops center, or abandoned), problems found on patrol
filed as city-management cases at once, and the month's compliance per chief.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from chengyun.core.uploads import validated_image
from chengyun.core import audit
from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.people import policy
from chengyun.people import roles as R

from .. import geometry
from ..evaluation import SHANGHAI
from ..models import ChiefLevel, Patrol, PatrolProblem, PatrolRule, PatrolRuleVersion, Reach, RiverChief
from .checks import OPS, clean_text, require_ops, site_place


def set_patrol_rule(user: Any, level: str, *, patrols_per_month: int, min_duration_min: int, min_distance_m: int,
                    effective_month: dt.date | None = None) -> PatrolRule:
    """Change a level's rule from the first of ``effective_month`` on (default: the current
    month). Months before it keep the rule they were judged by; a past month given here
    corrects the record from then on (the audit entry says from when)."""
    require_ops(user, PatrolRule)
    today = timezone.localdate()
    effective_month = (effective_month or today).replace(day=1)
    if effective_month > today:
        raise Invalid("巡河规则不能从未来的月份生效", code="future_period", detail={"field": "effective_month"})
    since = dt.datetime(effective_month.year, effective_month.month, 1, tzinfo=SHANGHAI)
    if level not in ChiefLevel.values:
        raise Invalid(f"河长层级 {level!r} 无效", code="invalid_level", detail={"field": "level"})
    for name, value in (("patrols_per_month", patrols_per_month), ("min_duration_min", min_duration_min), ("min_distance_m", min_distance_m)):
        if not isinstance(value, int) or value < 0:
            raise Invalid(f"{name} 应为非负整数", code="invalid_rule", detail={"field": name})
    with transaction.atomic():
        found = PatrolRule.objects.filter(level=level).first()
        if found is None:
            found = PatrolRule.objects.create(level=level, patrols_per_month=patrols_per_month, min_duration_min=min_duration_min, min_distance_m=min_distance_m)
            audit.created(found)
        else:
            before = audit.snapshot(found)
            found.patrols_per_month, found.min_duration_min, found.min_distance_m = patrols_per_month, min_duration_min, min_distance_m
            found.save()
            audit.updated(found, before)
        version = PatrolRuleVersion.objects.create(level=level, effective_from=since, patrols_per_month=patrols_per_month,
                                                   min_duration_min=min_duration_min, min_distance_m=min_distance_m)
        audit.created(version)
    return found


def _chief_of(user: Any) -> RiverChief:
    chief = RiverChief.objects.select_related("person").filter(person__user=user, active=True).first() if user is not None else None
    if chief is None:
        raise Forbidden("您不是在任的河湖长，不能记录巡河", code="not_river_chief")
    return chief


def start_patrol(user: Any, *, chief: RiverChief | None = None, reach: Reach | None = None, started_at: dt.datetime | None = None) -> Patrol:
    """Start a patrol: by the chief themself, or entered for a chief without a login by the
    ops center (or the system, user None)."""
    if chief is None:
        chief = _chief_of(user)
    elif user is not None and chief.person.user_id != user.pk:
        policy.require_role(user, OPS, "只能为自己记录巡河")
    if reach is not None and reach.chief_id != chief.pk:
        raise Forbidden(f"河段“{reach.name}”不由{chief.person.name}负责", code="not_your_reach")
    if Patrol.objects.filter(chief=chief, status=Patrol.Status.ONGOING).exists():
        raise Conflict("该河湖长有一次巡河尚未结束，请先结束它", code="patrol_ongoing")
    with transaction.atomic():
        patrol = Patrol.objects.create(chief=chief, reach=reach, started_at=started_at or timezone.now())
        audit.created(patrol)
    return patrol


def finish_patrol(user: Any, patrol: Patrol, *, track: Any, ended_at: dt.datetime | None = None, note: str = "") -> Patrol:
    """End a patrol with its GPS track (a GeoJSON LineString or a list of [lng, lat]).
    Duration and geodesic distance are computed here, never taken from the client."""
    if user is not None:
        policy.require_write(user, patrol, "只能结束自己的巡河")
    if patrol.status != Patrol.Status.ONGOING:
        raise Conflict("该巡河已结束", code="bad_transition")
    line = geometry.clean_track(track)
    ended_at = ended_at or timezone.now()
    if ended_at < patrol.started_at:
        raise Invalid("结束时间早于开始时间", code="invalid_time", detail={"field": "ended_at"})
    with transaction.atomic():
        before = audit.snapshot(patrol)
        patrol.track = json.dumps(line, separators=(",", ":"))
        patrol.distance_m = round(geometry.length_m(patrol.track), 1)
        patrol.ended_at = ended_at
        patrol.duration_s = int((ended_at - patrol.started_at).total_seconds())
        patrol.note = note
        patrol.status = Patrol.Status.FINISHED
        patrol.save()
        audit.action(patrol, "finish", before=before, after={"distance_m": patrol.distance_m, "duration_s": patrol.duration_s})
    return patrol


def record_patrol(user: Any, *, chief: RiverChief, started_at: dt.datetime, ended_at: dt.datetime, track: Any,
                  reach: Reach | None = None, note: str = "") -> Patrol:
    """The ops center enters a patrol walked without the phone page (a paper log, a chief with
    no login): started and finished at once, judged by the same rules as any other."""
    if user is not None:
        policy.require_role(user, OPS, "只有城运中心可以补录巡河记录")
    if not chief.active:
        raise Invalid(f"{chief.person.name} 已不在任", code="chief_not_active", detail={"field": "chief"})
    # A paper log's times are China time.
    started_at, ended_at = (t if timezone.is_aware(t) else t.replace(tzinfo=SHANGHAI) for t in (started_at, ended_at))
    if ended_at > timezone.now():
        raise Invalid("结束时间不能晚于现在", code="invalid_time", detail={"field": "ended_at"})
    with transaction.atomic():
        patrol = start_patrol(None, chief=chief, reach=reach, started_at=started_at)
        patrol = finish_patrol(None, patrol, track=track, ended_at=ended_at, note=note or "城运中心补录")
    return patrol


# 四乱 → 河道违建 / 违采乱堆; water problems → 河道污染 / 乱排污水.
PROBLEM_CATEGORY = {
    PatrolProblem.Kind.ENCROACHMENT: "0181",
    PatrolProblem.Kind.CONSTRUCTION: "0181",
    PatrolProblem.Kind.MINING: "0182",
    PatrolProblem.Kind.DUMPING: "0182",
    PatrolProblem.Kind.POLLUTION: "0126",
    PatrolProblem.Kind.FLOATING: "0126",
    PatrolProblem.Kind.DISCHARGE: "0130",
}


def case_source(chief: RiverChief) -> str:
    """The case source a chief's patrol finding is filed under. The case catalogue has no
    river-chief source: a street-level chief is the street's office (street_chief); the
    others report as community-level field staff (community_grid_worker). "leader" is kept
    for leaders' instructions, which a patrol finding is not."""
    return "street_chief" if chief.level == ChiefLevel.STREET else "community_grid_worker"


# The role cases.report expects of a user filing under each source; a chief without it has
# the system file the case on their behalf (their name and phone stay on the case).
_SOURCE_ROLE = {"street_chief": R.STREET_CHIEF, "community_grid_worker": R.COMMUNITY_GRID_WORKER}


def report_problem(user: Any, patrol: Patrol, *, kind: str, description: str, lng: float, lat: float, photo=None,
                   found_at: dt.datetime | None = None) -> PatrolProblem:
    """Record a problem found on patrol and file it as a city-management case at once."""
    if user is not None:
        policy.require_write(user, patrol, "只能在自己的巡河中上报问题")
    if patrol.status != Patrol.Status.ONGOING:
        raise Conflict("该巡河已结束，不能再添加问题；请在新的巡河中上报，或直接上报案件", code="patrol_not_ongoing")
    if kind not in PatrolProblem.Kind.values:
        raise Invalid(f"问题类型 {kind!r} 无效", code="invalid_kind", detail={"field": "kind"})
    description = (description or "").strip()
    if not description:
        raise Invalid("请描述发现的问题", code="missing_fields", detail={"field": "description"})
    place = site_place(lng, lat)
    source = case_source(patrol.chief)
    reporter = user if user is not None and policy.principal(user).has({_SOURCE_ROLE[source]}) else None
    photo_bytes = b""
    if photo is not None:
        photo_bytes, _info = validated_image(photo, field="photo")
    problem = PatrolProblem(patrol=patrol, kind=kind, description=description, lng=place["lng"], lat=place["lat"],
                            grid_id=place["grid_id"], found_at=found_at or timezone.now())
    try:
        return _file_problem(patrol, problem, photo, photo_bytes, source, reporter)
    except BaseException:
        # The rolled-back row leaves its photo behind on disk otherwise.
        if problem.photo:
            problem.photo.storage.delete(problem.photo.name)
        raise


def _file_problem(patrol: Patrol, problem: PatrolProblem, photo, photo_bytes: bytes, source: str, reporter) -> PatrolProblem:
    from chengyun.cases import services as cases

    with transaction.atomic():
        if photo is not None:
            problem.photo.save(getattr(photo, "name", "photo.jpg") or "photo.jpg", photo, save=False)
        problem.save()
        case_lng, case_lat = geometry.point_in_grid(problem.lng, problem.lat, problem.grid)
        case = cases.report(
            reporter, source=source, category_code=PROBLEM_CATEGORY[problem.kind], lng=case_lng, lat=case_lat,
            description=f"【河长巡河】{problem.get_kind_display()}：{problem.description}", reporter_name=patrol.chief.person.name,
            reporter_phone=patrol.chief.person.phone, external_id=f"water.patrol_problem:{problem.pk}", occurred_at=problem.found_at,
            attachments=[photo_bytes] if photo_bytes else (), extra={"patrol": patrol.pk, "reach": patrol.reach.code if patrol.reach_id else ""},
        )
        problem.case_id, problem.case_number = case.pk, str(case.number)
        problem.save(update_fields=["case_id", "case_number"])
        audit.created(problem)
    return problem


def cancel_patrol(user: Any, patrol: Patrol, *, reason: str) -> Patrol:
    """Abandon an ongoing patrol (e.g. too few GPS points for a track): it is kept as
    cancelled with the reason, never counts in ``compliance`` (finished only), and the chief may
    start a new one. The chief themself or the ops center may cancel."""
    if user is not None and not policy.can_write(user, patrol):
        if not policy.can_read(user, patrol):
            raise NotFound()
        policy.require_role(user, OPS, "只能放弃自己的巡河")
    reason = clean_text(reason, "放弃原因", "reason", 500)
    with transaction.atomic():
        patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
        if patrol.status != Patrol.Status.ONGOING:
            raise Conflict(f"该巡河{patrol.get_status_display()}，不能放弃", code="bad_transition")
        before = audit.snapshot(patrol)
        patrol.status = Patrol.Status.CANCELLED
        patrol.ended_at = max(timezone.now(), patrol.started_at)
        patrol.note = reason
        patrol.save()
        audit.action(patrol, "cancel", before={"status": before["status"]}, after={"status": patrol.status, "reason": reason})
    return patrol
