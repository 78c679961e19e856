"""The portfolio's wiring, called once from RenewalConfig.ready(): a policy Rule per model, the
problem ledger's project resolver, computed-indicator providers and the supervision metric."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from . import project_types as pt
from . import project_workflow as pw

PER_AREA = ("community", "street", "district")
_mounted = False


def register_portfolio_policy() -> None:
    from chengyun.people import policy
    from chengyun.people import roles as R

    from . import models as m

    handler = frozenset({R.DEPT_HANDLER})
    local = frozenset({R.DEPT_HANDLER, R.STREET_CHIEF, R.COMMUNITY_GRID_WORKER})
    # The portfolio is the district's plan: every signed-in person reads it; the responsible
    # unit writes its own projects (the renewal office — services.access — writes all).
    policy.register(m.Project, policy.Rule(read=R.ALL_ROLES, write=handler, unit="responsible_unit_id", everyone_reads=True))
    for model in (m.ProjectTarget, m.ProjectFunding, m.ProgressReport, m.ProjectEvent, m.ProjectAsset, m.ProjectAcceptance):
        policy.register(model, policy.Rule(read=R.ALL_ROLES, write=handler, unit="project__responsible_unit_id", everyone_reads=True))
    # Residents' participation is run by the community and street with the responsible unit.
    for model in (m.ResidentConsultation, m.ResidentSupervisor):
        policy.register(model, policy.Rule(read=R.ALL_ROLES, write=local, unit="project__responsible_unit_id", everyone_reads=True,
                                           area={"community": "project__community_id", "street": "project__street_id"}))
    # A lift belongs to a building of a compound: its community and street, and its competent unit.
    lift_area = {"community": "compound__community_id", "street": "compound__community__street_id"}
    policy.register(m.LiftProject, policy.Rule(read=R.ALL_ROLES, write=local, area=lift_area, unit="responsible_unit_id"))
    for model in (m.LiftOwner, m.LiftObjection):
        policy.register(model, policy.Rule(read=R.ALL_ROLES, write=local, unit="lift__responsible_unit_id",
                                           area={k: f"lift__{v}" for k, v in lift_area.items()}))
    policy.register(m.ParkingSupply, policy.Rule(read=R.ALL_ROLES, write=local, area={"community": "community_id", "street": "community__street_id"},
                                                 everyone_reads=True))
    policy.register(m.ChargingSite, policy.Rule(read=R.ALL_ROLES, write=local, area={"community": "community_id", "street": "community__street_id"},
                                                everyone_reads=True))
    register_hooks()


def register_hooks() -> None:
    from django.apps import apps
    from django.utils.translation import gettext_lazy as _

    from chengyun.core.registry import NavItem

    from . import providers
    from .api import router
    from .api_portfolio import router as portfolio_router
    from .services import portfolio, register_project_resolver

    # Mounted here rather than in api.py so the two halves of the app merge without touching
    # each other's files: /api/v1/renewal/projects etc. sit beside the health-check endpoints.
    global _mounted
    if not _mounted:
        router.add_router("", portfolio_router)
        _mounted = True
    config = apps.get_app_config("renewal")
    if not any(item.url_name == "renewal:projects" for item in config.nav):
        config.nav = [*config.nav, NavItem(_("城市更新项目库"), "renewal:projects", order=50, group="renewal")]
    # One demo generator per app: run the health-check demo (whatever the config names), then
    # the portfolio's on the compounds and problems it made.
    from . import demo_portfolio

    if getattr(config, "demo_generator", None) != demo_portfolio.CHAINED:
        demo_portfolio.HEALTH_CHECK_DEMO = getattr(config, "demo_generator", None)
        config.demo_generator = demo_portfolio.CHAINED
    register_project_resolver(portfolio.resolve)
    try:  # the health-check report's chapter 城市更新项目库 (renewal.reporting, when present)
        from . import reporting
    except ImportError:
        pass
    else:
        reporting.register_projects(portfolio.report_source)
    providers.register("renewal.old_gas_mains_renewal_rate", "老旧燃气管网改造完成率（更新项目库）", old_gas_mains_renewal_rate)
    providers.register("renewal.parking_space_gap", "停车泊位缺口数（泊位供给与需求）", parking_space_gap)
    providers.register("renewal.charger_gap", "新能源汽车充电桩缺口数（泊位与充电桩）", charger_gap)
    providers.register("renewal.old_compounds_renewed", "老旧小区改造完成数（更新项目库）", old_compounds_renewed)
    providers.register("renewal.old_compound_renewal_rate", "老旧小区改造完成率（更新项目库）", old_compound_renewal_rate)
    try:
        from chengyun.supervision import metrics
    except ImportError:  # supervision not installed: completion is still on the portfolio pages
        return
    metrics.register("renewal.project_completion", "城市更新项目完成率", project_completion_metric)


# -- computed indicators --------------------------------------------------------------------------

def _district_code() -> str:
    from chengyun.geo.models import District

    return District.objects.order_by("code").values_list("code", flat=True).first() or ""


def _spread(pairs: list[tuple[str, str, float]], unit_kind: str, fill: list[str]) -> dict[str, float]:
    """(community code, street code, value) → sum per unit of unit_kind, 0 for the units in fill."""
    out: dict[str, float] = {code: 0.0 for code in fill}
    for community, street, value in pairs:
        key = community if unit_kind == "community" else street if unit_kind == "street" else _district_code()
        if key:
            out[key] = out.get(key, 0.0) + value
    return out


def _units(unit_kind: str) -> list[str]:
    from chengyun.geo.models import Community, Street

    if unit_kind == "community":
        return list(Community.objects.values_list("code", flat=True))
    if unit_kind == "street":
        return list(Street.objects.values_list("code", flat=True))
    return [c for c in [_district_code()] if c]


def _done_by(project: Any, year: int) -> bool:
    return project.completed and project.completed_on is not None and project.completed_on.year <= year


def old_gas_mains_renewal_rate(year: int, unit_kind: str) -> dict[str, float]:
    """% of the km of gas mains in the portfolio's gas projects that passed 竣工验收 by the year's end."""
    if unit_kind not in ("street", "district"):
        return {}
    from .models import Project

    total: dict[str, float] = defaultdict(float)
    done: dict[str, float] = defaultdict(float)
    for p in Project.objects.filter(type=pt.GAS).exclude(state=pw.WITHDRAWN).select_related("street"):
        key = (p.street.code if p.street_id else "") if unit_kind == "street" else _district_code()
        if not key:
            continue
        km = float(p.metrics.get("main_km", 0))
        total[key] += km
        if _done_by(p, year):
            done[key] += km
    return {k: round(100.0 * done[k] / v, 1) for k, v in total.items() if v > 0}


def parking_space_gap(year: int, unit_kind: str) -> dict[str, float]:
    if unit_kind not in PER_AREA:
        return {}
    from .services.parking import gaps

    return _spread([(g.community, g.street, float(g.gap)) for g in gaps()], unit_kind, _units(unit_kind))


def charger_gap(year: int, unit_kind: str) -> dict[str, float]:
    if unit_kind not in PER_AREA:
        return {}
    from .services.parking import gaps

    return _spread([(g.community, g.street, float(g.charger_gap)) for g in gaps()], unit_kind, _units(unit_kind))


def _renewed_compounds(year: int) -> set[int]:
    from .models import Project

    out: set[int] = set()
    for p in Project.objects.filter(type=pt.OLD_COMPOUND, state__in=pw.COMPLETED_STATES).prefetch_related("compounds"):
        if _done_by(p, year):
            out |= {c.pk for c in p.compounds.all()}
    return out


def old_compounds_renewed(year: int, unit_kind: str) -> dict[str, float]:
    if unit_kind not in PER_AREA:
        return {}
    from chengyun.geo.models import Compound

    renewed = _renewed_compounds(year)
    rows = Compound.objects.filter(pk__in=renewed).values_list("community__code", "community__street__code")
    return _spread([(c, s, 1.0) for c, s in rows], unit_kind, _units(unit_kind))


def old_compound_renewal_rate(year: int, unit_kind: str) -> dict[str, float]:
    """% of eligible 老旧小区 (built by RENEWAL_OLD_COMPOUND_BUILT_BY) renewed by the year's end."""
    if unit_kind not in PER_AREA:
        return {}
    from .services.participation import eligible_compounds

    renewed = _renewed_compounds(year)
    total: dict[str, int] = defaultdict(int)
    done: dict[str, int] = defaultdict(int)
    for pk, comm, street in eligible_compounds().values_list("pk", "community__code", "community__street__code"):
        key = comm if unit_kind == "community" else street if unit_kind == "street" else _district_code()
        total[key] += 1
        done[key] += pk in renewed
    return {k: round(100.0 * done[k] / v, 1) for k, v in total.items() if v}


# -- supervision's measurable target ----------------------------------------------------------------

def project_completion_metric(as_of: dt.date) -> dict[str, tuple[float, float]]:
    """Per street (and "" for the district): (done, total) over the open and completed projects,
    a project counting 1 when it passed 竣工验收 by ``as_of``, else its last reported progress."""
    from .models import Project

    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    qs = Project.objects.exclude(state=pw.WITHDRAWN).select_related("street").prefetch_related("progress_reports")
    for p in qs:
        if p.completed and p.completed_on is not None and p.completed_on <= as_of:
            done = 1.0
        else:
            reports = [r for r in p.progress_reports.all() if r.reported_on <= as_of]
            done = max((r.percent for r in reports), default=0) / 100.0
        for key in {p.street.code if p.street_id else "", ""}:
            out[key][0] += done
            out[key][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}
