"""Each role's home page (角色首页): the work the role acts on, not the district's plain counts.

    区领导            → the cockpit
    受理员、派遣员、值班长 → the desk: cases whose stage deadline is near or past, by state
    部门处置人员        → the unit's cases to handle, and today's daily entries for the tasks it leads
    网格员、监督员        → (phone) the grid's cases to verify or check, its open cases, the report button
    河长              → their reaches, this month's patrols against the rule, open alerts
    街长              → their streets' open and overdue cases (and the street board where it exists)
    无人机飞手          → the report button and the drone's cases

Other roles (auditor, administrators) get None: the plain home page with their menu.
Every number is the count of the list it links to (the same filter, on what the user may see)."""
from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chengyun.core.panels import given, list_url
from chengyun.people import policy
from chengyun.people import roles as R

from . import access

DESK = frozenset({R.OPS_ACCEPTOR, R.OPS_DISPATCHER, R.OPS_SHIFT_LEADER})
GRID_WORKERS = frozenset({R.COMMUNITY_GRID_WORKER, R.OPS_GRID_WORKER})
SHOWN = 15


def url_if_exists(name: str, *args) -> str:
    """A page another module may or may not provide yet (e.g. the street chief's board)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def home(request):
    p = policy.principal(request.user)
    if R.DISTRICT_LEADER in p.roles and p.has(access.VIEWERS):
        return redirect("cockpit:screen")
    if not apps.is_installed("chengyun.cases"):
        return None
    for roles, page in ((DESK, desk), (frozenset({R.DEPT_HANDLER}), handler), (frozenset({R.STREET_CHIEF}), street_chief),
                        (frozenset({R.RIVER_CHIEF}), river_chief), (GRID_WORKERS, grid_worker), (frozenset({R.DRONE_OPERATOR}), drone)):
        if p.has(roles):
            return page(request, p)
    return None


def _cases(user, **params):
    from chengyun.cases.api import list_queryset
    from chengyun.cases.filters import CaseFilter

    return list_queryset(user, CaseFilter(**given(params)))


def _figure(label, qs, url, status=""):
    return {"label": label, "value": qs.order_by().count(), "url": url, "status": status}


def desk(request, p):
    from chengyun.cases import workflow

    desk_states = ",".join([workflow.REPORTED, workflow.ACCEPTED, workflow.FILED, workflow.CHECKED])
    near = {"status": desk_states, "clock": "warning"}
    late = {"status": desk_states, "clock": "overdue"}
    urgent = _cases(request.user, status=desk_states).filter(clock_status__in=["warning", "overdue"])
    figures = [
        _figure(_("待受理"), _cases(request.user, status=workflow.REPORTED), list_url("cases:list", status=workflow.REPORTED)),
        _figure(_("待派遣"), _cases(request.user, status=workflow.FILED), list_url("cases:list", status=workflow.FILED)),
        _figure(_("即将超时"), _cases(request.user, **near), list_url("cases:list", **near), "yellow"),
        _figure(_("已超时"), _cases(request.user, **late), list_url("cases:list", **late), "red"),
    ]
    return render(request, "cockpit/home_desk.html", {
        "figures": figures, "cases": urgent.order_by("stage_deadline", "reported_at")[:SHOWN],
        "queue_url": reverse("cases:queue"), "cockpit_url": reverse("cockpit:screen") if p.has(access.VIEWERS) else "",
    })


def _entries_due(user, p) -> list:
    """The tasks the user's unit leads that still need today's daily entry (on a working day)."""
    if not apps.is_installed("chengyun.supervision") or p.unit_id is None:
        return []
    from chengyun.core.calendar import get_calendar
    from chengyun.supervision.models import DailyEntry, KeyTask
    from chengyun.supervision.services import dates

    today = dates.today()
    if not get_calendar().is_workday(today):
        return []
    done = DailyEntry.objects.filter(date=today, unit_id=p.unit_id).values("task_id")
    return list(policy.visible(user, KeyTask.objects.filter(state=KeyTask.State.ACTIVE, lead_unit_id=p.unit_id, start_date__lte=today))
                .exclude(pk__in=done).order_by("status", "deadline")[:SHOWN])


def handler(request, p):
    from chengyun.cases import workflow
    from chengyun.geo.models import Unit

    unit = Unit.objects.filter(pk=p.unit_id).first()
    code = unit.code if unit else ""
    with_unit = ",".join(sorted(workflow.WITH_UNIT))
    mine = {"unit": code, "status": with_unit}
    late = {**mine, "clock": "overdue"}
    cases = _cases(request.user, **mine) if unit else _cases(request.user).none()
    figures = [_figure(_("本单位待处置"), cases, list_url("cases:list", **mine)),
               _figure(_("已超期"), _cases(request.user, **late) if unit else cases, list_url("cases:list", **late), "red")]
    return render(request, "cockpit/home_handler.html", {
        "unit": unit, "figures": figures, "cases": cases.order_by("stage_deadline", "reported_at")[:SHOWN],
        "entries": _entries_due(request.user, p), "inbox_url": reverse("cases:inbox"),
        "entry_url": url_if_exists("supervision:daily_entry"),
    })


def grid_worker(request, p):
    from chengyun.cases import workflow

    grids = sorted(p.grid_ids)
    to_do = _cases(request.user, status=f"{workflow.VERIFYING},{workflow.CHECKING}").filter(grid_id__in=grids)
    open_cases = _cases(request.user, status="open").filter(grid_id__in=grids)
    return render(request, "cockpit/home_grid.html", {
        "to_do": to_do.order_by("stage_deadline")[:SHOWN], "n_to_do": to_do.order_by().count(),
        "open_cases": open_cases.order_by("-reported_at")[:SHOWN], "n_open": open_cases.order_by().count(),
        "report_url": reverse("cases:report"), "inbox_url": reverse("cases:inbox"),
    })


def street_chief(request, p):
    from chengyun.geo.models import Street

    streets = list(Street.objects.filter(pk__in=p.street_ids).order_by("code"))
    today = timezone.localdate()
    blocks = []
    for s in streets:
        open_ = {"street": s.code, "status": "open"}
        late = {**open_, "clock": "overdue"}
        reported = {"street": s.code, "start": today, "end": today}
        blocks.append({"street": s, "board_url": url_if_exists("streets:board", s.code) or url_if_exists("streets:board"),
                       "figures": [_figure(_("未结案件"), _cases(request.user, **open_), list_url("cases:list", **open_)),
                                   _figure(_("超期未结"), _cases(request.user, **late), list_url("cases:list", **late), "red"),
                                   _figure(_("今日上报"), _cases(request.user, **reported), list_url("cases:list", **reported))],
                       "cases": _cases(request.user, **late).order_by("stage_deadline")[:SHOWN]})
    return render(request, "cockpit/home_street.html", {"blocks": blocks, "report_url": reverse("cases:report")})


def river_chief(request, p):
    reaches, rows, alerts, n_alerts, alerts_url = [], [], [], 0, ""
    if apps.is_installed("chengyun.water"):
        from chengyun.water.filters import AlertFilter
        from chengyun.water.models import Alert, Reach, RiverChief
        from chengyun.water.services.compliance import compliance

        chief = RiverChief.objects.filter(person_id=p.person_id, active=True).select_related("person").first()
        if chief is not None:
            reaches = list(Reach.objects.filter(chief=chief).select_related("water_body").order_by("code"))
            now = timezone.localtime()
            rows = compliance(now.year, now.month, [chief])
        visible = AlertFilter(open=True).filter(policy.visible(request.user, Alert.objects.select_related("section", "outfall")))
        n_alerts, alerts = visible.count(), list(visible.order_by("-last_seen_at")[:SHOWN])
        alerts_url = list_url("water:alerts", open=True)
    return render(request, "cockpit/home_river.html", {
        "reaches": reaches, "compliance": rows[0] if rows else None, "alerts": alerts, "n_alerts": n_alerts, "alerts_url": alerts_url,
        "patrol_url": url_if_exists("water:patrol_mobile"), "patrols_url": url_if_exists("water:patrols"),
    })


def drone(request, p):
    today = timezone.localdate()
    week = {"source": "drone", "start": today - dt.timedelta(days=6), "end": today}
    return render(request, "cockpit/home_drone.html", {
        "figures": [_figure(_("近 7 天无人机发现"), _cases(request.user, **week), list_url("cases:list", **week))],
        "report_url": reverse("cases:report"),
    })
