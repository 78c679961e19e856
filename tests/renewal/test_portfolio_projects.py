"""Projects: per-type metrics, lifecycle table (409 out of order), targets, funding, progress,
links to the problem ledger (竣工验收 accepts the remedy), compounds, assets, supervision."""
from __future__ import annotations

import datetime as dt

import pytest
from portfolio_support import C11, advance, compound, project

from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.renewal import project_workflow as pw
from chengyun.renewal import workflow
from chengyun.renewal.models import ProblemRemedy, Project
from chengyun.renewal.services import participation, portfolio


def test_create_project_with_plan_and_funding_is_audited(district, units):
    p = project("gas", name="老旧燃气管网更新一期", community=C11)
    assert p.code == "GX2026-001" and p.state == pw.RESERVE and p.street.code == C11[:9]
    assert [t.year for t in p.targets.all()] == [2026, 2027]
    assert sorted(f.source for f in p.funding.all()) == ["central_budget", "residents"]
    assert AuditEntry.objects.filter(object_type="renewal.project", action="create").count() == 1
    assert AuditEntry.objects.filter(object_type="renewal.projectfunding").count() == 2
    assert project("gas").code == "GX2026-002"


@pytest.mark.parametrize("type_, metrics, code", [
    ("gas", {}, "missing_metric"),
    ("gas", {"main_km": 2, "parking_spaces": 4}, "bad_metric"),
    ("parking", {"parking_spaces": 2.5}, "bad_metric"),
    ("old_compound", {"households": -1, "buildings": 2, "floor_area_m2": 100}, "bad_metric"),
    ("charging", {"chargers": "many"}, "bad_metric"),
])
def test_metrics_are_validated_per_type(district, units, type_, metrics, code):
    with pytest.raises(Invalid) as e:
        project(type_, metrics=metrics)
    assert e.value.code == code
    assert not Project.objects.exists()


@pytest.mark.parametrize("over, code", [
    ({"type": "skyscraper"}, "bad_type"),
    ({"end_year": 2025}, "bad_year"),
    ({"targets": [{"year": 2030, "quantity": 1}]}, "target_out_of_plan"),
    ({"targets": [{"year": 2026, "quantity": 1}, {"year": 2026, "quantity": 2}]}, "duplicate_target"),
    ({"funding": [{"source": "lottery", "year": 2026, "amount_wan": 1}]}, "bad_funding_source"),
    ({"funding": [{"source": "special_bonds", "year": 2026, "amount_wan": -5}]}, "bad_amount"),
    ({"contents": ["teleporter"]}, "bad_contents"),
    ({"compounds": ["NOPE"]}, "unknown_compound"),
])
def test_bad_project_input_stores_nothing(district, units, over, code):
    with pytest.raises(Invalid) as e:
        if "type" in over:
            portfolio.create_project(None, name="x", start_year=2026, end_year=2027, **over)
        else:
            project("old_compound", **over)
    assert e.value.code == code
    assert not Project.objects.exists() and not AuditEntry.objects.filter(object_type__startswith="renewal.").exists()


def test_funding_source_accepts_chinese_label_and_contents_only_for_old_compounds(district, units):
    p = project("old_compound", contents=["lift", "gas", "community_service"],
                funding=[{"source": "地方政府专项债券", "year": 2026, "amount_wan": 100}])
    assert p.contents == ["gas", "lift", "community_service"] and p.funding.get().source == "special_bonds"
    with pytest.raises(Invalid):
        project("gas", contents=["gas"])


def test_lifecycle_runs_in_order_and_rejects_out_of_order_with_409(district, units):
    p = project("drainage")
    with pytest.raises(Conflict) as e:
        portfolio.transition(None, p, "start")
    assert e.value.code == "bad_transition" and e.value.status == 409
    p = advance(p, pw.OPERATION)
    assert list(p.events.values_list("to_state", flat=True)) == [pw.APPROVED, pw.FUNDED, pw.TENDERING, pw.CONSTRUCTION, pw.ACCEPTED, pw.OPERATION]
    assert p.completed and p.completed_on == dt.date.today()
    verbs = list(AuditEntry.objects.filter(object_type="renewal.project", action="action").order_by("id").values_list("verb", flat=True))
    assert verbs == ["approve", "fund", "tender", "start", "accept", "handover"]
    with pytest.raises(Invalid):
        portfolio.transition(None, p, "teleport")


def test_fund_needs_funding_and_withdraw_needs_a_note(district, units):
    p = project("gas", funding=[])
    p = portfolio.transition(None, p, "approve")
    with pytest.raises(Conflict) as e:
        portfolio.transition(None, p, "fund")
    assert e.value.code == "no_funding"
    with pytest.raises(Invalid):
        portfolio.transition(None, p, "withdraw")
    p = portfolio.transition(None, p, "withdraw", note="并入片区统筹项目")
    assert p.state == pw.WITHDRAWN


def test_old_compound_acceptance_needs_resident_representatives(district, units):
    p = advance(project("old_compound"), pw.CONSTRUCTION)
    with pytest.raises(Invalid) as e:
        portfolio.transition(None, p, "accept")
    assert e.value.code == "representatives_required"
    p.refresh_from_db()
    from chengyun.renewal.models import ProjectAcceptance

    assert p.state == pw.CONSTRUCTION and not ProjectAcceptance.objects.exists()
    p = portfolio.transition(None, p, "accept", representatives=["张桂兰", "李建国"], conclusion="合格")
    assert p.acceptance.representatives == ["张桂兰", "李建国"]


def test_acceptance_accepts_the_remedy_of_linked_problems(problem, office):
    p = project("old_compound")
    remedy = portfolio.link_problem(office, p, problem)
    problem.refresh_from_db()
    assert remedy.project_key == p.key and problem.state == workflow.IN_PROGRESS
    assert [x.code for x in portfolio.linked_problems(p)] == [problem.code]
    # The ledger asks the portfolio: not completed yet → accept_remedy refuses.
    from chengyun.renewal import services

    with pytest.raises(Conflict):
        services.accept_remedy(office, remedy)
    advance(p, pw.ACCEPTED, representatives=["王秀英"])
    remedy.refresh_from_db()
    problem.refresh_from_db()
    assert remedy.accepted_at is not None and problem.state == workflow.REVIEWING


def test_linking_to_an_already_completed_project_accepts_at_once(problem, office):
    p = advance(project("drainage"), pw.ACCEPTED)
    remedy = portfolio.link_problem(office, p, problem)
    remedy.refresh_from_db()
    assert remedy.accepted_at is not None


def test_resolver_and_unknown_project_keys(problem, office):
    from chengyun.renewal import services

    p = project("gas")
    info = portfolio.resolve(p.key)
    assert info.label.startswith(p.code) and info.completed is False and info.url.endswith(f"/{p.pk}/")
    assert portfolio.resolve("renewal.project:99999") is None
    with pytest.raises(Invalid) as e:
        services.link_remedy(office, problem, project_key="renewal.project:99999")
    assert e.value.code == "unknown_project"
    assert not ProblemRemedy.objects.exists()


def test_targets_funding_progress(district, units):
    p = project("parking")
    portfolio.set_targets(None, p, [{"year": 2026, "quantity": 40}, {"year": 2027, "quantity": 40}, {"year": 2028, "quantity": 0}])
    assert [t.quantity for t in p.targets.all()] == [40, 40, 0]
    with pytest.raises(Invalid):
        portfolio.set_targets(None, p, [{"year": 2029, "quantity": 1}])
    assert p.targets.count() == 3
    portfolio.set_funding(None, p, [{"source": "social_capital", "year": 2026, "amount_wan": 500, "secured": True}])
    assert p.funding.get().secured
    with pytest.raises(Conflict):
        portfolio.report_progress(None, p, percent=10)
    p = advance(p, pw.CONSTRUCTION)
    portfolio.report_progress(None, p, percent=40, quantity_done=30)
    assert portfolio.latest_percent(p) == 40
    with pytest.raises(Invalid) as e:
        portfolio.report_progress(None, p, percent=20)
    assert e.value.code == "progress_backwards"
    with pytest.raises(Invalid):
        portfolio.report_progress(None, p, percent=140)
    assert AuditEntry.objects.filter(object_type="renewal.project", verb__in=["set_targets", "set_funding"]).count() == 2


def test_compounds_and_assets(district, units):
    from chengyun.drainage.models import Pipe

    p = project("drainage")
    c = compound("XQ001")
    portfolio.link_compounds(None, p, ["XQ001"])
    assert list(p.compounds.all()) == [c]
    with pytest.raises(Invalid):
        portfolio.link_asset(None, p, kind="drainage.pipe", code="NO-SUCH-PIPE")
    with pytest.raises(Invalid):
        portfolio.link_asset(None, p, kind="gas.valve", code="X")
    assert not p.assets.exists()
    fields = {f.name for f in Pipe._meta.concrete_fields}
    assert "length_m" in fields


def test_line_layer_feature_is_linked_with_its_length(district, units):
    import json

    from chengyun.renewal.models import Feature, Layer

    layer = Layer.objects.create(code="GAS-MAINS", name="燃气中压管网", kind=Layer.Kind.ROAD)
    line = {"type": "LineString", "coordinates": [[101.70, 36.50], [101.71, 36.50]]}
    Feature.objects.create(layer=layer, code="G1", geometry=json.dumps(line), lng=101.705, lat=36.5)
    Feature.objects.create(layer=layer, code="P1", geometry=json.dumps({"type": "Point", "coordinates": [101.7, 36.5]}), lng=101.7, lat=36.5)
    p = project("gas")
    a = portfolio.link_asset(None, p, kind="renewal.feature", code="GAS-MAINS/G1")
    assert 890 < a.length_m < 900  # 0.01° of longitude at 36.5°N
    with pytest.raises(Invalid):
        portfolio.link_asset(None, p, kind="renewal.feature", code="GAS-MAINS/P1")


def test_supervise_creates_a_key_task_linked_back_with_the_completion_metric(district, units, make_user):
    from chengyun.supervision import metrics
    from chengyun.supervision.models import KeyTask

    p = project("gas", community=C11)
    ops = make_user(R.OPS_SHIFT_LEADER)
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    with pytest.raises(Forbidden):
        portfolio.supervise(handler, p, deadline=dt.date(2027, 12, 31))
    task = portfolio.supervise(ops, p, deadline=dt.date(2027, 12, 31))
    assert task.links.get().kind == "renewal.project" and task.links.get().code == str(p.pk)
    assert task.metric_key == "renewal.project_completion" and task.metric_street == p.street.code
    p.refresh_from_db()
    assert p.supervision_task == task.code and KeyTask.objects.count() == 1
    with pytest.raises(Conflict):
        portfolio.supervise(ops, p, deadline=dt.date(2027, 12, 31))
    assert metrics.measure("renewal.project_completion", dt.date.today(), p.street.code) == (0.0, 1.0)
    advance(p, pw.ACCEPTED)
    assert metrics.measure("renewal.project_completion", dt.date.today(), p.street.code) == (1.0, 1.0)


def test_three_questions_and_supervisors_for_old_compounds(district, units):
    p = project("old_compound")
    c = participation.record_consultation(None, p, stage="needs_survey", held_on=dt.date(2026, 3, 1), households_reached=120,
                                          responses=100, favourable=90)
    assert c.favourable_rate == 90.0
    with pytest.raises(Conflict):  # satisfaction is asked after acceptance
        participation.record_consultation(None, p, stage="satisfaction", held_on=dt.date(2026, 3, 1), households_reached=1, responses=1, favourable=1)
    with pytest.raises(Invalid):
        participation.record_consultation(None, p, stage="needs_survey", held_on=dt.date(2026, 3, 1), households_reached=10, responses=20, favourable=5)
    participation.appoint_supervisor(None, p, name="赵大爷", appointed_on=dt.date(2026, 4, 1), building="3号楼")
    assert p.supervisors.count() == 1
    with pytest.raises(Conflict):
        participation.record_consultation(None, project("gas"), stage="needs_survey", held_on=dt.date(2026, 3, 1), households_reached=1,
                                          responses=1, favourable=1)


def test_eligibility_built_by_end_of_2000_is_a_setting(district, units, settings):
    old, new = compound("OLD", built_year=2000), compound("NEW", built_year=2001)
    assert participation.is_eligible(old) and not participation.is_eligible(new)
    settings.RENEWAL_OLD_COMPOUND_BUILT_BY = 2005
    assert participation.is_eligible(new)


def test_report_rows_for_the_health_check_report(district, units):
    project("gas", name="燃气一期")
    project("parking", name="停车场", start_year=2027, end_year=2027, targets=[])
    rows = portfolio.report_rows(2026)
    assert [r["name"] for r in rows] == ["燃气一期"]
    assert rows[0]["type_label"] == "燃气管网/设施更新" and rows[0]["targets"] == {2026: 1, 2027: 2}
    assert rows[0]["funding"]["central_budget"] == 300
    assert len(portfolio.report_rows()) == 2


def test_report_source_rows_for_chapter_four(problem, office):
    p = project("gas", name="燃气二期")
    portfolio.link_problem(office, p, problem)
    rows = portfolio.report_source(2026)
    assert rows == [{"code": p.code, "name": "燃气二期", "type": "燃气管网/设施更新", "state": "谋划储备",
                     "responsible_unit": "区住房和城乡建设局", "linked_problems": 1}]


def test_portfolio_is_mounted_in_the_renewal_api_and_nav():
    from django.apps import apps
    from django.urls import reverse

    assert reverse("api:api-root") and any(i.url_name == "renewal:projects" for i in apps.get_app_config("renewal").nav)


def test_plan_period_cannot_shrink_below_its_targets(district, units):
    p = project("gas")  # targets 2026 and 2027
    with pytest.raises(Invalid) as e:
        portfolio.update_project(None, p, end_year=2026)
    assert e.value.code == "target_out_of_plan"
    p.refresh_from_db()
    assert p.end_year == 2028
    assert portfolio.update_project(None, p, end_year=2027).end_year == 2027
