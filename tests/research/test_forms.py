"""Every write of /api/v1/research/ from a page: a new plan (leaders and the ops centre), visits (the
team, while in the field, with photos), the report and measures (becoming action items). A refusal
re-renders the page naming the field with nothing stored; a role that may not write has no form."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from chengyun.people import roles as R
from chengyun.research import services
from chengyun.research.models import ResearchMeasure, ResearchPlan, ResearchVisit
from chengyun.supervision import services as supervision

pytestmark = pytest.mark.django_db
D = dt.date
G1 = "630109001001001"


@pytest.fixture
def people(make_user, units):
    return {"leader": make_user(R.DISTRICT_LEADER), "member": make_user(R.DEPT_HANDLER, unit="D01"), "auditor": make_user(R.AUDITOR),
            "outsider": make_user(R.DEPT_HANDLER, unit="D02"), "units": units}


@pytest.fixture
def plan(people, monkeypatch):
    monkeypatch.setattr(supervision.dates, "today", lambda: D(2026, 3, 1))
    return services.create_plan(people["leader"], topic="壮大村集体经济", leader=people["leader"].person, lead_unit=people["units"]["OPS"],
                                start_date=D(2026, 3, 2), end_date=D(2026, 3, 20), team=[people["member"].person])


def _jpeg():
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(buf, "JPEG")
    buf.seek(0)
    buf.name = "visit.jpg"
    return buf


def test_a_leader_makes_a_plan_from_the_list(client, people):
    client.force_login(people["leader"])
    assert 'id="research-plan-form"' in client.get("/research/").content.decode()
    form = {"action": "plan", "topic": "城市更新中的物业管理", "leader_id": people["leader"].person.pk, "lead_unit_id": people["units"]["OPS"].pk,
            "team_ids": [people["member"].person.pk], "start_date": "2026-04-01", "end_date": "2026-04-20", "places": "一村\n二村",
            "questions": "物业覆盖\n收费"}
    r = client.post("/research/", form)
    plan = ResearchPlan.objects.get(topic="城市更新中的物业管理")
    assert r.status_code == 302 and r["Location"] == plan.get_absolute_url()
    assert plan.place_list == ["一村", "二村"] and list(plan.team.all()) == [people["member"].person]


def test_a_plan_refused_names_the_field_and_keeps_the_input(client, people):
    client.force_login(people["leader"])
    base = {"action": "plan", "topic": "课题", "leader_id": people["leader"].person.pk, "lead_unit_id": people["units"]["OPS"].pk,
            "start_date": "2026-04-20", "end_date": "2026-04-01", "team_ids": [people["member"].person.pk]}
    r = client.post("/research/", base)
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>结束日期</strong>" in html and 'value="课题"' in html
    assert f'value="{people["member"].person.pk}" selected' in html
    r = client.post("/research/", {**base, "end_date": "2026-04-30", "leader_id": "999999"})
    assert r.status_code == 422 and "<strong>带队领导</strong>" in r.content.decode()
    r = client.post("/research/", {**base, "end_date": "2026-04-30", "topic": " "})
    assert r.status_code == 422 and "<strong>调研课题</strong>" in r.content.decode()
    assert not ResearchPlan.objects.exists()


def test_only_the_leaders_and_the_ops_centre_make_plans(client, people):
    client.force_login(people["auditor"])
    assert 'id="research-plan-form"' not in client.get("/research/").content.decode()
    r = client.post("/research/", {"action": "plan", "topic": "x", "leader_id": people["leader"].person.pk,
                                   "lead_unit_id": people["units"]["OPS"].pk, "start_date": "2026-04-01", "end_date": "2026-04-02"})
    assert r.status_code == 403 and not ResearchPlan.objects.exists()


def test_a_team_member_records_a_visit_from_the_plan_page(client, plan, people):
    services.transition(people["leader"], plan, "start")
    client.force_login(people["member"])  # a department's staff on the team: not district-wide
    page = client.get(plan.get_absolute_url())
    assert page.status_code == 200 and 'id="research-visit-form"' in page.content.decode()
    r = client.post(plan.get_absolute_url(), {"action": "visit", "date": "2026-03-05", "place": "一村合作社", "people_met": "村两委",
                                               "findings": "闲置厂房两处", "grid": G1, "photos": [_jpeg()]})
    assert r.status_code == 302
    v = ResearchVisit.objects.get()
    assert v.grid.code == G1 and v.community_id and v.photos.count() == 1
    # Outside the plan's dates, or an unknown grid: named, nothing stored.
    r = client.post(plan.get_absolute_url(), {"action": "visit", "date": "2026-04-05", "place": "二村", "findings": "x"})
    assert r.status_code == 422 and "<strong>走访日期</strong>" in r.content.decode() and 'value="二村"' in r.content.decode()
    r = client.post(plan.get_absolute_url(), {"action": "visit", "date": "2026-03-06", "place": "二村", "findings": "x", "grid": "nope"})
    assert r.status_code == 422 and "<strong>网格编码</strong>" in r.content.decode()
    assert ResearchVisit.objects.count() == 1


def test_someone_outside_the_team_neither_sees_nor_records(client, plan, people):
    services.transition(people["leader"], plan, "start")
    client.force_login(people["outsider"])
    assert client.get(plan.get_absolute_url()).status_code == 403
    r = client.post(plan.get_absolute_url(), {"action": "visit", "date": "2026-03-05", "place": "一村", "findings": "x"})
    assert r.status_code == 403 and not ResearchVisit.objects.exists()
    client.force_login(people["auditor"])  # reads every plan, writes none
    html = client.get(plan.get_absolute_url()).content.decode()
    assert "壮大村集体经济" in html and 'id="research-visit-form"' not in html
    r = client.post(plan.get_absolute_url(), {"action": "visit", "date": "2026-03-05", "place": "一村", "findings": "x"})
    assert r.status_code == 403 and not ResearchVisit.objects.exists()


def test_measures_from_the_page_become_action_items(client, plan, people):
    services.transition(people["leader"], plan, "start")
    services.add_visit(people["leader"], plan, date=D(2026, 3, 5), place="一村", findings="x")
    client.force_login(people["leader"])
    assert 'id="research-measure-form"' not in client.get(plan.get_absolute_url()).content.decode()  # not before the report
    r = client.post(plan.get_absolute_url(), {"action": "report", "report_title": "调研报告", "report_summary": "", "report_problems": "y"})
    assert r.status_code == 422 and "<strong>基本情况</strong>" in r.content.decode() and 'value="调研报告"' in r.content.decode()
    assert client.post(plan.get_absolute_url(), {"action": "report", "report_title": "调研报告", "report_summary": "x",
                                                  "report_problems": "y"}).status_code == 302
    assert 'id="research-measure-form"' in client.get(plan.get_absolute_url()).content.decode()
    d02 = people["units"]["D02"]
    r = client.post(plan.get_absolute_url(), {"action": "measure", "text": "盘活闲置厂房", "outcome": "project", "owner_unit_id": d02.pk,
                                               "deadline": "2026-02-01"})
    assert r.status_code == 422 and "<strong>完成时限</strong>" in r.content.decode() and "盘活闲置厂房" in r.content.decode()
    r = client.post(plan.get_absolute_url(), {"action": "measure", "text": "盘活闲置厂房", "outcome": "project", "owner_unit_id": "",
                                               "deadline": "2026-06-30"})
    assert r.status_code == 422 and "<strong>责任单位</strong>" in r.content.decode()
    assert not ResearchMeasure.objects.exists()
    r = client.post(plan.get_absolute_url(), {"action": "measure", "text": "盘活闲置厂房", "outcome": "project", "owner_unit_id": d02.pk,
                                               "deadline": "2026-06-30"})
    assert r.status_code == 302
    m = ResearchMeasure.objects.get()
    assert m.action_task is not None and m.action_task.lead_unit == d02 and str(m.deadline) == "2026-06-30"
