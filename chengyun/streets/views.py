"""Pages: the street-chief board, segment and patrol lists, the phone patrol page, the night map
with the "allowed now?" answer, permits and violations, and the meeting agenda. Thin: reads go
through the policy, writes through services; the API's filters are the lists' filters."""
from __future__ import annotations

import datetime as dt
import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chengyun.core.errors import DomainError
from chengyun.geo.models import Street
from chengyun.geo.views import filter_from_query
from chengyun.people import policy
from chengyun.people import roles as R

from . import permit_workflow as wf
from .forms import may
from .filters import StreetsAssignmentFilter, StreetsPatrolFilter, StreetsPermitFilter, StreetsViolationFilter
from .models import ACTIVITIES, NightPolicy, NightZone, Patrol, PatrolFinding, PatrolRule, Permit, SegmentAssignment, Violation
from .services import compliance, meetings, permits
from .services.common import person_of


def posts_service(view):
    """A domain error of a POST becomes a message and the page is shown again."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if request.method != "POST":
                raise
            messages.error(request, exc.message)
            return redirect(request.get_full_path())
    return wrapper


def _period(request) -> tuple[str, dt.date]:
    period = request.GET.get("period") if request.GET.get("period") in ("week", "month") else "week"
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or "")
    except ValueError:
        day = timezone.localdate()
    return period, day


def _assignments(request):
    filters, values = filter_from_query(StreetsAssignmentFilter, request)
    qs = SegmentAssignment.objects.filter(valid_to__isnull=True).select_related("segment", "chief", "team", "street")
    return filters.filter(policy.visible(request.user, qs)).order_by("segment__code"), values


def _features(items) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(s.assignment.segment.geometry),
         "properties": {"code": s.assignment.segment.code, "name": s.assignment.segment.name, "chief": s.assignment.chief.name,
                        "share": s.shares.get("leader", 0), "team_share": s.shares.get("team", 0), "ok": s.compliant}} for s in items]}


@login_required
def board(request):
    """街长工作台: a street chief's own segments; the district's desk sees every chief."""
    from chengyun.cases import workflow as case_flow
    from chengyun.cases.models import Case

    me = person_of(request.user)
    period, day = _period(request)
    is_chief = me is not None and R.STREET_CHIEF in me.role_codes
    qs, values = _assignments(request)
    if is_chief and not request.GET.get("all"):
        qs = qs.filter(chief=me)
    items = compliance.statuses(qs, period, day)
    start, end = compliance.period_bounds(period, day)
    chiefs = compliance.by_chief(items)
    patrols = policy.visible(request.user, Patrol.objects.select_related("patroller"))
    if is_chief:
        patrols = patrols.filter(patroller=me)
    p = policy.principal(request.user)
    cases = policy.visible(request.user, Case.objects.filter(status__in=case_flow.OPEN))
    if not p.has(R.DISTRICT_WIDE):
        cases = cases.filter(street_id__in=p.street_ids)
    streets = Street.objects.filter(id__in=p.street_ids).order_by("code") if not p.has(R.DISTRICT_WIDE) else Street.objects.order_by("code")
    return render(request, "streets/board.html", {
        "me": me, "is_chief": is_chief, "period": period, "day": day, "start": start, "end": end, "items": items, "chiefs": chiefs,
        "behind": sum(1 for s in items if not s.compliant), "patrols": patrols.order_by("-started_at")[:10],
        "cases_open": cases.count(), "cases": cases.select_related("category").order_by("-reported_at")[:10],
        "cases_street": streets.first().code if streets.count() == 1 else "", "features": _features(items), "values": values,
        "rules": {k: compliance.rule_in_force(k, start) for k in PatrolRule.Kind.values}, "kinds": PatrolRule.Kind.choices,
        "may": may(request.user)})


@login_required
def segment_list(request):
    qs, values = _assignments(request)
    period, day = _period(request)
    behind = request.GET.get("behind")
    items = compliance.statuses(qs, period, day)
    if behind == "1":
        items = [s for s in items if not s.compliant]
    elif behind == "0":
        items = [s for s in items if s.compliant]
    start, end = compliance.period_bounds(period, day)
    page = Paginator(items, 100).get_page(request.GET.get("page"))
    return render(request, "streets/segments.html", {"page": page, "values": values, "period": period, "day": day, "start": start, "end": end,
                                                     "behind": behind or "", "streets": Street.objects.order_by("code"), "count": len(items),
                                                     "may": may(request.user)})


@login_required
def patrol_list(request):
    filters, values = filter_from_query(StreetsPatrolFilter, request)
    qs = filters.filter(policy.visible(request.user, Patrol.objects.select_related("patroller", "street"))).order_by("-started_at")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "streets/patrols.html", {"page": page, "values": values, "kinds": PatrolRule.Kind.choices,
                                                    "streets": Street.objects.order_by("code"), "may": may(request.user)})


@login_required
def patrol_detail(request, patrol_id: int):
    patrol = policy.get_visible(request.user, Patrol.objects.select_related("patroller", "street", "team"), pk=patrol_id)
    layer = {"track": json.loads(patrol.track) if patrol.track else None,
             "dropped": [{"lng": d["lng"], "lat": d["lat"], "label": d["reason_label"]} for d in patrol.dropped],
             "segments": [{"type": "Feature", "geometry": json.loads(c.segment.geometry), "properties": {"name": c.segment.name, "share": c.share}}
                          for c in patrol.coverage.select_related("segment")]}
    dropped = [{**d, "local": dt.datetime.fromisoformat(d["t"]).astimezone(timezone.get_current_timezone()).strftime("%H:%M:%S")} for d in patrol.dropped[:20]]
    return render(request, "streets/patrol_detail.html", {"patrol": patrol, "layer": layer, "dropped": dropped, "coverage": patrol.coverage.select_related("segment").order_by("-share"),
                                                          "findings": patrol.findings.all()})


@login_required
def patrol_phone(request):
    me = person_of(request.user)
    ongoing = Patrol.objects.filter(patroller=me, status=Patrol.Status.ONGOING).first() if me else None
    mine = []
    if me is not None:
        mine = [{"type": "Feature", "geometry": json.loads(a.segment.geometry), "properties": {"name": a.segment.name}}
                for a in SegmentAssignment.objects.filter(chief=me, valid_to__isnull=True).select_related("segment")]
    kinds = [(k, v) for k, v in PatrolFinding.Kind.choices]
    return render(request, "streets/patrol_phone.html", {"me": me, "ongoing": ongoing, "segments": {"type": "FeatureCollection", "features": mine},
                                                         "finding_kinds": kinds, "activities": list(ACTIVITIES.items()),
                                                         "rules": list(permits.OBSERVED_RULES.items())})


@login_required
def night_map(request):
    zones = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(z.geometry), "properties": {"code": z.code, "name": z.name, "kind": z.kind, "kind_label": z.get_kind_display(), "reason": z.reason}}
        for z in policy.visible(request.user, NightZone.objects.all())]}
    pols = list(policy.visible(request.user, NightPolicy.objects.prefetch_related("windows")))
    policies = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(p.geometry), "properties": {"code": p.code, "name": p.name}} for p in pols]}
    season = timezone.localdate().year
    permitted = policy.visible(request.user, Permit.objects.filter(state=wf.APPROVED, season=season).select_related("shop"))
    spots = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(p.geometry), "properties": {"number": p.number, "shop": p.shop.name, "tables": p.tables,
                                                                               "area": p.area_m2, "valid_to": str(p.valid_to)}} for p in permitted]}
    return render(request, "streets/night_map.html", {
        "layers": {"zones": zones, "policies": policies, "permits": spots}, "policies": pols, "activities": list(ACTIVITIES.items()),
        "season": season, "zone_kinds": NightZone.Kind.choices, "may": may(request.user),
        "counts": {"permits": permitted.count(), "violations": policy.visible(request.user, Violation.objects.filter(season=season)).count()}})


@login_required
def permit_list(request):
    filters, values = filter_from_query(StreetsPermitFilter, request)
    qs = filters.filter(policy.visible(request.user, Permit.objects.select_related("shop", "policy", "street")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "streets/permits.html", {"page": page, "values": values, "states": list(wf.STATES.items()),
                                                    "policies": NightPolicy.objects.order_by("code"), "count": qs.count(), "may": may(request.user)})


@login_required
@posts_service
def permit_detail(request, number: str):
    permit = policy.get_visible(request.user, Permit.objects.select_related("shop", "policy", "street"), number=number)
    if request.method == "POST":
        action = request.POST.get("action", "")
        permits.transition(request.user, permit, action, note=request.POST.get("note", ""))
        messages.success(request, _("已%(label)s") % {"label": wf.TRANSITIONS[action].label})
        return redirect(reverse("streets:permit", args=[permit.number]))
    return render(request, "streets/permit_detail.html", {
        "permit": permit, "state_label": wf.STATES[permit.state], "events": [{"at": e.at, "actor": e.actor_name, "note": e.note, "to": wf.STATES.get(e.to_state, ""),
                                                                                 "action": wf.TRANSITIONS[e.action].label if e.action in wf.TRANSITIONS else _("申请外摆")}
                                                                                for e in permit.events.all()], "actions": _my_actions(request.user, permit),
        "violations": permit.violations.all(), "strikes": permits.strikes(permit.shop, permit.season), "layer": json.loads(permit.geometry)})


def _my_actions(user, permit: Permit) -> list:
    """The steps the state table allows now that this user's role may take (others see no button)."""
    if not policy.can_write(user, permit):
        return []
    p = policy.principal(user)
    return [t for t in wf.allowed_from(permit.state) if p.has(t.roles | wf.DISTRICT)]


@login_required
def violation_list(request):
    filters, values = filter_from_query(StreetsViolationFilter, request)
    qs = filters.filter(policy.visible(request.user, Violation.objects.select_related("shop", "permit", "policy")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "streets/violations.html", {"page": page, "values": values, "policies": NightPolicy.objects.order_by("code"),
                                                       "activities": list(ACTIVITIES.items()), "count": qs.count()})


@login_required
@posts_service
def meeting(request):
    day = timezone.localdate()
    if request.method == "POST":
        m = meetings.hold(request.user, day=day, chair=request.POST.get("chair", ""), location=request.POST.get("location", ""))
        messages.success(request, _("已生成城管工作例会及议题"))
        return redirect(reverse("supervision:meeting", args=[m.pk]))
    return render(request, "streets/meeting.html", {"day": day, "agenda": meetings.agenda(day),
                                                    "may_hold": policy.principal(request.user).has(R.OPS_CENTER | {R.DISTRICT_LEADER, R.SYSADMIN})})
