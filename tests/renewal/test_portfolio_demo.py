"""The portfolio demo on the demo district: every type and state, lift votes failing each
threshold, parking and charging data, supervision — deterministic and skipped when present."""
from __future__ import annotations

import pytest

from chengyun.demo.context import DemoContext
from chengyun.geo import demo as geo_demo
from chengyun.people import demo as people_demo
from chengyun.renewal import demo_portfolio
from chengyun.renewal import project_types as pt
from chengyun.renewal import project_workflow as pw
from chengyun.renewal.models import ChargingSite, LiftProject, ParkingSupply, Project
from chengyun.renewal.services import charging, parking

pytestmark = pytest.mark.django_db


def test_portfolio_demo():
    logs: list[str] = []
    ctx = DemoContext(log=logs.append)
    geo_demo.generate(ctx)
    people_demo.generate(ctx)
    demo_portfolio.generate(ctx)
    assert 75 <= Project.objects.count() <= 85
    assert set(Project.objects.values_list("type", flat=True)) == set(pt.TYPES)
    assert set(pw.STATES) <= set(Project.objects.values_list("state", flat=True))
    for p in Project.objects.prefetch_related("targets", "funding"):
        assert p.targets.exists() and p.funding.exists()
        assert {t.year for t in p.targets.all()} <= {2026, 2027, 2028}
    lifts = list(LiftProject.objects.all())
    assert len(lifts) == 12
    t = [lift.tally for lift in lifts]
    assert any(x["approved"] for x in t)
    assert any(x["participation_area"]["value"] < 2 / 3 <= x["participation_owners"]["value"] for x in t)
    assert any(x["participation_owners"]["value"] < 2 / 3 <= x["participation_area"]["value"] for x in t)
    assert any(x["participation_ok"] and x["approval_area"]["value"] < 0.75 <= x["approval_owners"]["value"] for x in t)
    assert any(x["participation_ok"] and x["approval_owners"]["value"] < 0.75 <= x["approval_area"]["value"] for x in t)
    assert any(lift.registered_on for lift in lifts)
    assert ParkingSupply.objects.exists() and ChargingSite.objects.filter(existing=True).exists()
    assert sum(g.gap for g in parking.gaps()) > 0
    plan = charging.plan(k=5)
    assert plan["covered_after"] >= plan["covered_before"] and plan["total_demand"] == demo_portfolio.charger_demand_total()
    assert Project.objects.exclude(supervision_task="").count() == 3
    before = Project.objects.count()
    demo_portfolio.generate(ctx)
    assert Project.objects.count() == before and "已存在" in logs[-1]


def test_the_app_demo_generator_runs_the_health_check_demo_then_the_portfolio(monkeypatch):
    from chengyun.core.registry import demo_generators

    fns = dict(demo_generators())
    assert fns["renewal"] is demo_portfolio.generate_with_health_check
    calls = []
    monkeypatch.setattr(demo_portfolio, "HEALTH_CHECK_DEMO", "builtins.print")
    monkeypatch.setattr(demo_portfolio, "generate", lambda ctx: calls.append("portfolio"))
    demo_portfolio.generate_with_health_check("ctx")
    assert calls == ["portfolio"]
