"""Research work: the plan's workflow table, visits with photos and places, measures becoming
supervised action items, 成果转化, the generated report, the API and its scope."""
from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from PIL import Image

from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.core.models import Notification
from chengyun.people import roles as R
from chengyun.people.models import Person
from chengyun.research import services, workflow
from chengyun.research.models import ResearchMeasure
from chengyun.reports.docx import heading_texts
from chengyun.supervision import services as supervision
from chengyun.supervision.models import KeyTask

pytestmark = pytest.mark.django_db
D = dt.date
G1 = "630109001001001"


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def people(make_user, units):
    leader = make_user(R.DISTRICT_LEADER)
    member = make_user(R.DEPT_HANDLER, unit="D01")
    return {"leader": leader, "member": member, "ops": make_user(R.OPS_SHIFT_LEADER), "owner": make_user(R.DEPT_HANDLER, unit="D02"),
            "outsider": make_user(R.DEPT_HANDLER, unit="D01"), "auditor": make_user(R.AUDITOR), "units": units}


@pytest.fixture
def plan(people, monkeypatch):
    monkeypatch.setattr(supervision.dates, "today", lambda: D(2026, 3, 1))
    return services.create_plan(people["leader"], topic="壮大村集体经济", leader=people["leader"].person, lead_unit=people["units"]["OPS"],
                                start_date=D(2026, 3, 2), end_date=D(2026, 3, 20), team=[people["member"].person],
                                places="一村\n二村", questions="收入构成\n资源盘活")


def _visited(plan, user):
    services.transition(user, plan, "start")
    return services.add_visit(user, plan, date=D(2026, 3, 5), place="一村合作社", people_met="村两委", findings="闲置厂房两处", grid=G1,
                              photos=[jpeg()])


def _reported(plan, user):
    _visited(plan, user)
    return services.transition(user, plan, "report", on=D(2026, 3, 25), report_title="关于壮大村集体经济的调研报告",
                               report_summary="总体增长", report_problems="收入单一\n人才缺乏")


def test_the_workflow_is_one_table():
    assert set(workflow.TRANSITIONS) == {"start", "report", "conclude", "cancel"}
    assert all(t.target in workflow.STATES and t.sources <= set(workflow.STATES) for t in workflow.TRANSITIONS.values())


def test_team_hears_of_the_plan_and_records_visits_with_photos_and_place(plan, people):
    assert Notification.objects.filter(recipient=people["member"], kind="research").count() == 1
    assert plan.code.startswith("DY2026-") and plan.place_list == ["一村", "二村"]
    visit = _visited(plan, people["member"])
    assert visit.grid.code == G1 and visit.community_id == visit.grid.community_id and visit.street_id
    assert visit.photos.count() == 1


def test_visits_only_while_in_the_field_and_within_the_dates(plan, people):
    with pytest.raises(Conflict):
        services.add_visit(people["leader"], plan, date=D(2026, 3, 5), place="一村", findings="x")
    services.transition(people["leader"], plan, "start")
    with pytest.raises(Invalid) as e:
        services.add_visit(people["leader"], plan, date=D(2026, 4, 5), place="一村", findings="x")
    assert e.value.detail["field"] == "date"
    with pytest.raises(Invalid) as e:
        services.add_visit(people["leader"], plan, date=D(2026, 3, 5), place="一村", findings="x", photos=[b"not an image"])
    assert e.value.detail["field"] == "photos" and not plan.visits.exists()
    with pytest.raises(NotFound):  # out of scope: not even seen
        services.transition(people["outsider"], plan, "cancel")
    with pytest.raises(Forbidden):  # the auditor reads research work but does not run it
        services.add_visit(people["auditor"], plan, date=D(2026, 3, 5), place="一村", findings="x")


def test_a_report_needs_visits_and_then_measures_become_action_items(plan, people, monkeypatch):
    services.transition(people["leader"], plan, "start")
    with pytest.raises(Conflict):
        services.transition(people["leader"], plan, "report", report_title="t", report_summary="s", report_problems="p")
    with pytest.raises(Conflict):
        services.add_measure(people["leader"], plan, text="x", outcome="policy", owner_unit=people["units"]["D02"], deadline=D(2026, 6, 1))
    _reported_plan = services.add_visit(people["leader"], plan, date=D(2026, 3, 5), place="一村", findings="x") and \
        services.transition(people["leader"], plan, "report", on=D(2026, 3, 25), report_title="调研报告", report_summary="s", report_problems="p")
    m = services.add_measure(people["leader"], _reported_plan, text="出台三年行动方案", outcome="policy", owner_unit=people["units"]["D02"],
                             deadline=D(2026, 6, 1))
    task = m.action_task
    assert task.lead_unit == people["units"]["D02"] and task.deadline == D(2026, 6, 1) and task.category.code == "research"
    assert task.responsible_leader == people["leader"].person and task.state == KeyTask.State.ACTIVE
    assert Notification.objects.filter(recipient=people["owner"], kind="decision_assigned").exists()
    with pytest.raises(Conflict):
        services.transition(people["leader"], plan, "conclude")
    for milestone in task.milestones.all():
        supervision.complete_milestone(people["ops"], milestone, on=D(2026, 5, 20))
    supervision.transition(people["ops"], task, "complete", on=D(2026, 5, 20))
    [row] = services.conversions(plan)
    assert row.status == "done" and row.progress == 100.0 and row.outcome_label == "出台政策"
    assert services.conversion_totals(plan)["done"] == 1
    assert services.transition(people["leader"], plan, "conclude").state == workflow.CONCLUDED


def test_the_report_docx_and_the_report_centre_kind(plan, people):
    from chengyun.reports import services as reports

    _reported(plan, people["leader"])
    services.add_measure(people["leader"], plan, text="盘活闲置厂房", outcome="project", owner_unit=people["units"]["D02"], deadline=D(2026, 9, 1))
    run, generated = reports.generate_for(people["leader"], "research-report", {"plan": plan.code})
    d = docx.Document(io.BytesIO(generated.docx))
    assert heading_texts(d)[:4] == ["一、基本情况", "二、存在问题", "三、对策建议", "四、成果转化情况"]
    assert run.summary["measures"] == 1 and run.summary["outcome_project"] == 1


def test_api_plans_visits_measures(api_client, plan, people):
    api = api_client.as_user(people["leader"])
    body = api.get("research/plans").json()
    assert body["count"] == 1 and body["results"][0]["topic"] == "壮大村集体经济"
    assert api.post(f"research/plans/{plan.pk}/visits", {"date": "2026-03-05", "place": "一村", "findings": "x"}).status_code == 409
    assert api.post(f"research/plans/{plan.pk}/actions", {"action": "start"}).json()["state"] == "in_field"
    bad = api.post(f"research/plans/{plan.pk}/visits", {"date": "2026-03-05", "place": "一村", "findings": "x", "grid": "nope"})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "grid"
    assert api.post(f"research/plans/{plan.pk}/visits", {"date": "2026-03-05", "place": "一村", "findings": "x", "grid": G1}).status_code == 201
    api.post(f"research/plans/{plan.pk}/actions", {"action": "report", "report_title": "报告", "report_summary": "s", "report_problems": "p"})
    made = api.post(f"research/plans/{plan.pk}/measures", {"text": "组建人才队伍", "outcome": "task", "owner_unit_id": people["units"]["D02"].pk,
                                                          "deadline": "2026-12-31"})
    assert made.status_code == 201 and made.json()["action_task"]
    assert api.get(f"research/plans/{plan.pk}/measures").json()[0]["status"] in {"green", "yellow", "red"}
    assert ResearchMeasure.objects.count() == 1


def test_people_outside_the_district_wide_roles_do_not_see_plans(api_client, plan, people, client):
    api = api_client.as_user(people["outsider"])
    assert api.get("research/plans").json()["count"] == 0
    assert api.get(f"research/plans/{plan.pk}").status_code == 404
    member = api_client.as_user(people["member"])
    assert member.get(f"research/plans/{plan.pk}").status_code == 200  # a team member reads their own plan


def test_pages(client, plan, people):
    _reported(plan, people["leader"])
    client.force_login(people["leader"])
    assert "壮大村集体经济" in client.get("/research/").content.decode()
    page = client.get(f"/research/{plan.pk}/").content.decode()
    assert "成果转化" in page and "一村合作社" in page
    r = client.get(f"/research/{plan.pk}/report.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
