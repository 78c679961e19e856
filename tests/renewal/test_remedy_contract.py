"""The ledger's remedy contract: link → accept → re-check close; nothing closes without an accepted remedy."""
from __future__ import annotations

import pytest

from chengyun.cases import services as case_services
from chengyun.cases import workflow as case_workflow
from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.renewal import services, workflow
from chengyun.renewal.models import ProblemRemedy


def test_project_remedy_accepted_then_rechecked_closes(problem, office, make_user):
    remedy = services.link_remedy(office, problem, project_key="renewal.project:7")
    problem.refresh_from_db()
    assert problem.state == workflow.IN_PROGRESS
    assert services.link_remedy(office, problem, project_key="renewal.project:7") == remedy
    with pytest.raises(Conflict) as e:
        services.transition(office, problem, "close")
    assert e.value.code == "bad_transition"
    services.accept_remedy(office, remedy)
    problem.refresh_from_db()
    assert problem.state == workflow.REVIEWING
    with pytest.raises(Conflict):
        services.accept_remedy(office, remedy)
    inspector = make_user(R.OPS_GRID_WORKER, streets=[problem.street.code])
    services.transition(inspector, problem, "close", note="现场复核已清理")
    problem.refresh_from_db()
    assert problem.state == workflow.CLOSED and problem.closed_at is not None
    actions = list(AuditEntry.objects.filter(object_type="renewal.problem").order_by("id").values_list("verb", flat=True))
    assert actions == ["start", "accept_remedy", "close"]
    with pytest.raises(Conflict):
        services.link_remedy(office, problem, project_key="renewal.project:8")


def test_return_voids_the_acceptance_so_close_needs_a_new_one(problem, office, make_user):
    remedy = services.link_remedy(office, problem, project_key="renewal.project:1")
    services.accept_remedy(office, remedy)
    with pytest.raises(Invalid):
        services.transition(office, problem, "return")
    services.transition(office, problem, "return", note="复核仍有堆物")
    problem.refresh_from_db()
    remedy.refresh_from_db()
    assert problem.state == workflow.IN_PROGRESS and remedy.returned_at is not None and not remedy.accepted
    # 整改中 with no accepted remedy: close is not a transition from here.
    with pytest.raises(Conflict):
        services.transition(office, problem, "close")
    services.accept_remedy(office, remedy)
    services.transition(office, problem, "close")
    problem.refresh_from_db()
    assert problem.state == workflow.CLOSED


def test_case_remedy_needs_a_closed_case_and_the_office(problem, office, make_user):
    case = case_services.report(None, source="sensor", category_code="0113", lng=101.705, lat=36.505, description="楼道堆物")
    remedy = services.link_remedy(office, problem, case=case)
    assert remedy.kind == ProblemRemedy.Kind.CASE
    with pytest.raises(Conflict) as e:
        services.accept_remedy(office, remedy)
    assert e.value.code == "case_not_closed"
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=[problem.street.code])
    with pytest.raises(Forbidden):
        services.accept_remedy(chief, remedy)
    type(case).objects.filter(pk=case.pk).update(status=case_workflow.CLOSED)
    services.accept_remedy(office, remedy)
    problem.refresh_from_db()
    assert problem.state == workflow.REVIEWING


def test_link_remedy_checks_target_and_rights(problem, office, make_user):
    with pytest.raises(Invalid) as e:
        services.link_remedy(office, problem)
    assert e.value.code == "remedy_target"
    with pytest.raises(Invalid) as e:
        services.link_remedy(office, problem, project_key="project 7")
    assert e.value.code == "bad_project_key"
    outsider = make_user(R.COMMUNITY_GRID_WORKER, unit="S02", communities=["630109002001"])
    with pytest.raises(Exception) as e:
        services.link_remedy(outsider, problem, project_key="renewal.project:7")
    assert getattr(e.value, "status", None) in (403, 404)
    assert not ProblemRemedy.objects.exists()


def test_problem_action_api_answers_409_out_of_order(problem, office, api_client):
    r = api_client.as_user(office).post(f"renewal/problems/{problem.id}/close", {"note": ""})
    assert r.status_code == 409 and r.json()["code"] == "bad_transition"
    r = api_client.post(f"renewal/problems/{problem.id}/start", {"note": ""})
    assert r.status_code == 200 and r.json()["state"] == workflow.IN_PROGRESS
    r = api_client.post(f"renewal/problems/{problem.id}/fly", {"note": ""})
    assert r.status_code == 422
