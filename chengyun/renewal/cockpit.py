"""Renewal's panels on the leader's cockpit: the year's renewal projects by stage with their
funding (planned and secured), and the health check's indicator verdicts with its open problems.

Project and problem counts are the lists' own filters (RenewalProjectFilter, ProblemFilter) on
what the user may see, linked to those lists with the same parameters."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from chengyun.core.panels import given, list_url, street_code
from chengyun.core.registry import Figure, PanelData, PanelScope

from . import project_workflow as pw
from . import workflow
from .filters import ProblemFilter
from .filters_portfolio import RenewalProjectFilter
from .models import Dimension, IndicatorSet, Problem, Project, ProjectFunding
from .services import access, verdicts

STAGES = (pw.APPROVED, pw.FUNDED, pw.TENDERING, pw.CONSTRUCTION, pw.ACCEPTED, pw.OPERATION)


def projects(scope: PanelScope) -> PanelData:
    street, year = street_code(scope), scope.end.year
    base = {"year": year, "street": street}
    qs = RenewalProjectFilter(**given(base)).filter(access.visible(scope.user, Project.objects.all()))
    by_state = dict(qs.order_by().values("state").annotate(n=Count("id")).values_list("state", "n"))
    building = {**base, "state": pw.CONSTRUCTION}
    funding = ProjectFunding.objects.filter(project__in=qs.values("pk"), year=year)
    planned = funding.aggregate(s=Sum("amount_wan"))["s"] or Decimal(0)
    secured = funding.filter(secured=True).aggregate(s=Sum("amount_wan"))["s"] or Decimal(0)
    share = round(100 * float(secured) / float(planned), 1) if planned else None
    figures = [
        Figure(_("年度项目"), sum(by_state.values()), _("个"), list_url("renewal:projects", **base)),
        Figure(_("在建"), by_state.get(pw.CONSTRUCTION, 0), _("个"), list_url("renewal:projects", **building)),
        Figure(_("年度计划资金"), round(float(planned), 1), _("万元"), list_url("renewal:projects", **base), counted=False),
        Figure(_("资金到位率"), share if share is not None else "—", "%", list_url("renewal:projects", **base), counted=False,
               status="" if share is None else ("green" if share >= 80 else "yellow" if share >= 50 else "red")),
    ]
    rows = [{"label": pw.STATES[s], "value": by_state.get(s, 0), "url": list_url("renewal:projects", **base, state=s), "group": _("按阶段")}
            for s in STAGES]
    chart = {
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [str(pw.STATES[s]) for s in STAGES]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"type": "bar", "data": [by_state.get(s, 0) for s in STAGES], "itemStyle": {"color": "#3f8fd2"}}],
    }
    points = [{"lng": lng, "lat": lat, "label": name, "status": "yellow" if state == pw.CONSTRUCTION else "green", "url": f"/renewal/projects/{pk}/"}
              for pk, name, state, lng, lat in qs.values_list("pk", "name", "state", "lng", "lat")[:200] if lng is not None]
    return PanelData(figures=figures, rows=rows, chart=chart, points=points, note=_("%(year)s 年度") % {"year": year})


def healthcheck(scope: PanelScope) -> PanelData:
    year = (IndicatorSet.objects.filter(year__lte=scope.end.year).order_by("-year").values_list("year", flat=True).first())
    if year is None:
        return PanelData(note=_("尚未建立体检指标体系"))
    street = street_code(scope)
    # The district's verdicts as the dashboard's district view judges them (verdicts.evaluate).
    per_dimension: dict[str, list[int]] = {code: [0, 0] for code, _label in Dimension.choices}
    for r in verdicts.evaluate(year, unit_kind="district"):
        if r.verdict.status in (verdicts.MET, verdicts.UNMET):
            per_dimension.setdefault(r.indicator.dimension, [0, 0])[r.verdict.status == verdicts.UNMET] += 1
    met = sum(m for m, _u in per_dimension.values())
    unmet = sum(u for _m, u in per_dimension.values())
    board = list_url("renewal:dashboard", year=year)
    problems = access.visible(scope.user, Problem.objects.all())
    open_states = [s for s in workflow.STATES if s in workflow.OPEN_STATES]
    figures = [
        Figure(str(verdicts.STATUS_LABELS[verdicts.MET]), met, _("项"), board, status="green", counted=False),
        Figure(str(verdicts.STATUS_LABELS[verdicts.UNMET]), unmet, _("项"), board, status="red" if unmet else "green", counted=False),
    ]
    for state in open_states:
        params = {"year": year, "state": state, "street": street}
        figures.append(Figure(workflow.STATES[state], ProblemFilter(**given(params)).filter(problems).count(), _("个问题"),
                              list_url("renewal:problems", **params), status="yellow" if state == workflow.PENDING else ""))
    labels = dict(Dimension.choices)
    rows = [{"label": labels.get(code, code), "value": f"{m} / {m + u}", "url": board, "status": "red" if u else "green",
             "group": _("达标 / 已判定")} for code, (m, u) in per_dimension.items() if m + u]
    return PanelData(figures=figures, rows=rows, note=_("%(year)s 年度体检") % {"year": year})
