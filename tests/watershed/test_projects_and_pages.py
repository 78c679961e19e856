"""Soil-erosion supervision (workflow, checks, escalation, drone findings), the pages, the cockpit panel
and the monthly joint report."""
from __future__ import annotations

import datetime as dt

import pytest

from chengyun.core.errors import Conflict, Invalid
from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(units, watershed):
    from chengyun.geo.models import Street
    from chengyun.watershed.services import erosion

    area = {"type": "Polygon", "coordinates": [[[101.701, 36.501], [101.705, 36.501], [101.705, 36.504], [101.701, 36.504], [101.701, 36.501]]]}
    return erosion.create_project(None, code="SB-1", name="滨河路改扩建", developer="区交通运输局", street=Street.objects.order_by("code").first(),
                                  supervisor=units["D01"], lng=101.703, lat=36.502, disturbed_area=area, watershed=watershed)


def test_a_project_closes_only_after_the_acceptance(project):
    from chengyun.watershed.services import erosion

    with pytest.raises(Conflict):
        erosion.transition(None, project, "close")
    with pytest.raises(Invalid) as e:
        erosion.transition(None, project, "approve_plan")
    assert e.value.detail["field"] == "plan_number"
    erosion.transition(None, project, "approve_plan", plan_number="河水保〔2026〕3号")
    erosion.transition(None, project, "start")
    erosion.transition(None, project, "apply")
    with pytest.raises(Invalid):
        erosion.transition(None, project, "accept")  # the acceptance opinion is required
    erosion.transition(None, project, "reject", note="排水沟未完工")
    erosion.transition(None, project, "apply")
    erosion.transition(None, project, "accept", note="同意验收")
    p = erosion.transition(None, project, "close")
    assert p.state == "closed" and p.accepted_on is not None and p.plan_number == "河水保〔2026〕3号"
    assert project.disturbed_ha > 10  # 0.004° × 0.003° ≈ 358 m × 334 m


def test_a_violation_blocks_acceptance_until_escalated_as_a_key_task(project, units):
    from chengyun.supervision.models import KeyTask
    from chengyun.watershed.services import erosion

    for a in ("approve_plan", "start", "apply"):
        erosion.transition(None, project, a, plan_number="X1")
    c = erosion.record_check(None, project, checked_on=dt.date.today(), inspector="监督站", findings="弃渣入河", verdict="violation")
    with pytest.raises(Conflict):
        erosion.transition(None, project, "accept", note="同意")
    erosion.escalate(None, c, to="task", deadline=dt.date.today() + dt.timedelta(days=20))
    c.refresh_from_db()
    task = KeyTask.objects.get(code=c.task_code)
    assert task.lead_unit == units["D01"] and task.links.filter(kind="watershed.project", code="SB-1").exists()
    with pytest.raises(Conflict):
        erosion.escalate(None, c, to="case")
    erosion.transition(None, project, "accept", note="整改完成，同意验收")


def test_drone_spoil_inside_the_disturbed_area_becomes_a_candidate_finding(project, make_user):
    from chengyun.cases.services import import_drone_flight
    from chengyun.watershed.models import SupervisionCheck
    from chengyun.watershed.services import erosion

    import_drone_flight(None, {"flight_id": "F1", "detections": [
        {"id": "in", "category_code": "0305", "lng": 101.703, "lat": 36.502},
        {"id": "out", "category_code": "0305", "lng": 101.735, "lat": 36.535},
        # 0111 is also a component class (垃圾箱): not spoil.
        {"id": "bin", "category_kind": "component", "category_code": "0111", "lng": 101.7035, "lat": 36.5025},
    ]})
    assert erosion.collect_drone_findings() == 1
    assert erosion.collect_drone_findings() == 0  # once per drone case
    c = SupervisionCheck.objects.get()
    assert c.candidate and c.source == "drone" and c.project == project
    erosion.confirm_candidate(None, c, verdict="rectify", findings="确为施工弃土")
    c.refresh_from_db()
    assert not c.candidate and c.verdict == "rectify"


def test_pages_render_in_chinese(client, make_user, watershed, sheet, project, neighbour, boundary):
    from chengyun.watershed.services import exchange

    exchange.receive(neighbour, {"format": exchange.FORMAT, "message_id": "p1", "sender": "UP", "kind": "reading",
                                 "body": {"section": "JJ01", "time": "2026-11-02T08:00:00+08:00", "values": {"COD": 45}}})
    client.force_login(make_user(R.SYSADMIN))
    inc = boundary.incidents.get()
    for url in ("/watershed/", f"/watershed/{watershed.code}/?year=2025", "/watershed/projects/", f"/watershed/projects/{project.pk}/",
                "/watershed/joint/", f"/watershed/joint/{inc.uid}/"):
        r = client.get(url)
        assert r.status_code == 200, url
    r = client.post(f"/watershed/joint/{inc.uid}/", {"action": "entry", "kind": "patrol", "text": "联合巡查", "participants": ""})
    assert r.status_code == 422 and not inc.entries.filter(kind="patrol").exists()  # a joint patrol names both sides' people
    client.post(f"/watershed/joint/{inc.uid}/", {"action": "entry", "kind": "patrol", "text": "联合巡查", "participants": "双方河长办"})
    assert inc.entries.filter(kind="patrol").exists()


def test_the_cockpit_figures_equal_their_lists(client, make_user, watershed, sheet, project, neighbour, boundary):
    from chengyun.core.registry import PanelScope
    from chengyun.watershed.cockpit import governance
    from chengyun.watershed.services import exchange

    exchange.receive(neighbour, {"format": exchange.FORMAT, "message_id": "c1", "sender": "UP", "kind": "reading",
                                 "body": {"section": "JJ01", "time": "2026-11-02T08:00:00+08:00", "values": {"COD": 45}}})
    user = make_user(R.DISTRICT_LEADER)
    client.force_login(user)
    data = governance(PanelScope(user=user, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)))
    figures = {str(f.label): f for f in data.figures}
    incidents = figures["处置中联防联控事件"]
    assert incidents.value == 1
    assert f"共 {incidents.value} 个事件" in client.get(incidents.url).content.decode()
    active = figures["在建生产建设项目"]
    assert active.value == 1 and f"共 {active.value} 个项目" in client.get(active.url).content.decode()
    api = client.get("/api/v1/watersheds/incidents/", {"active": "true"}).json()
    assert api["count"] == incidents.value


def test_the_monthly_joint_report(neighbour, boundary):
    from chengyun.reports import kinds
    from chengyun.watershed.services import exchange

    exchange.receive(neighbour, {"format": exchange.FORMAT, "message_id": "r1", "sender": "UP", "kind": "reading",
                                 "body": {"section": "JJ01", "time": "2026-11-02T08:00:00+08:00", "values": {"COD": 45}}})
    exchange.receive(neighbour, {"format": exchange.FORMAT, "message_id": "r2", "sender": "UP", "kind": "reading",
                                 "body": {"section": "JJ01", "time": "2026-11-12T08:00:00+08:00", "values": {"COD": 12}}})
    g = kinds.get("watershed-joint").build({"month": "2026-11"})
    assert g.docx and g.xlsx and g.summary["incidents"] == 1
    from chengyun.watershed.reporting import _bounds, compliance

    (row,) = compliance(*_bounds("2026-11"))
    assert row["samples"] == 2 and row["compliant"] == 1 and row["rate"] == 50.0
    with pytest.raises(Invalid):
        kinds.get("watershed-joint").build({"month": "11/2026"})
