"""The project's table through the API: who takes each step, 409 out of state, the decision
record blocking submission, returns for revision, the joint review of three departments."""
from __future__ import annotations

import pytest

from chengyun.villagefund import workflow as wf
from chengyun.villagefund.models import Meeting, Project, Review

from .conftest import MEETINGS

pytestmark = pytest.mark.django_db


def step(api_client, user, p, action, **body):
    return api_client.as_user(user).post(f"villagefund/projects/{p.pk}/{action}", body)


def test_every_state_has_a_way_in_and_the_table_is_consistent():
    targets = {t.target for t in wf.TRANSITIONS.values() if t.target}
    assert set(wf.ORDER) - {wf.DRAFT} <= targets
    for t in wf.TRANSITIONS.values():
        assert t.sources <= set(wf.STATES) and (t.target is None or t.target in wf.STATES)


def test_the_whole_path_through_the_api(fund, make_project, api_client, today):
    p = make_project()
    assert step(api_client, fund.cadre, p, "submit").status_code == 422  # no decision record yet
    r = api_client.as_user(fund.cadre).put(f"villagefund/projects/{p.pk}/decision", MEETINGS)
    assert r.status_code == 200, r.content
    assert step(api_client, fund.cadre, p, "submit").json()["state"] == wf.SUBMITTED
    assert step(api_client, fund.cadre, p, "town_approve", note="同意").status_code == 403  # not the village's step
    assert step(api_client, fund.officer, p, "town_approve", note="材料齐全").json()["state"] == wf.JOINT_REVIEW
    # Approval needs all three departments' agreement.
    r = step(api_client, fund.reviewers["农业农村"], p, "approve")
    assert r.status_code == 422 and r.json()["code"] == "joint_review_incomplete" and "组织部" in r.json()["message"]
    for user in fund.reviewers.values():
        assert step(api_client, user, p, "joint_opinion", agree=True, note="同意").status_code == 200
    assert step(api_client, fund.handler, p, "approve").status_code == 404  # another department does not even see it
    data = step(api_client, fund.reviewers["财政"], p, "approve").json()
    assert data["state"] == wf.APPROVED
    assert {(r["unit"], r["agree"]) for r in data["reviews"] if r["stage"] == "district"} == {("ZZB", True), ("CZJ", True), ("NYJ", True)}
    data = step(api_client, fund.reviewers["农业农村"], p, "publish").json()
    assert data["state"] == wf.PUBLICITY and data["publicity_start"] == "2026-06-10" and data["publicity_end"] == "2026-06-19"
    r = step(api_client, fund.officer, p, "start")
    assert r.status_code == 422 and r.json()["code"] == "publicity_not_over"
    today.set(today.day.replace(day=20))
    assert step(api_client, fund.officer, p, "start").json()["state"] == wf.IMPLEMENTING
    r = step(api_client, fund.officer, p, "accept", note="合格")
    assert r.status_code == 422 and r.json()["code"] == "missing_assets"
    data = step(api_client, fund.officer, p, "accept", note="合格", assets=[{"name": "光伏电站", "value_wan": 100}]).json()
    assert data["state"] == wf.ACCEPTED and data["assets"][0]["owner"] == "上庄村股份经济合作社"
    assert step(api_client, fund.cadre, p, "operate").json()["state"] == wf.OPERATING
    r = api_client.as_user(fund.cadre).post(f"villagefund/projects/{p.pk}/returns", {"year": 2026, "income_wan": 8, "dividend_wan": 8, "jobs": 6})
    assert r.status_code == 201 and r.json()["yield_percent"] == 8.0
    actions = [e["action"] for e in api_client.as_user(fund.cadre).get(f"villagefund/projects/{p.pk}").json()["events"]]
    assert actions[:3] == ["submit", "town_approve", "joint_opinion"] and actions[-1] == "operate"


@pytest.mark.parametrize("state, action", [(wf.DRAFT, "town_approve"), (wf.SUBMITTED, "submit"), (wf.APPROVED, "start"),
                                           (wf.PUBLICITY, "approve"), (wf.OPERATING, "accept")])
def test_a_step_the_state_does_not_allow_is_409(fund, make_project, advance, api_client, state, action):
    p = advance(make_project(), state)
    users = {"town_approve": fund.officer, "submit": fund.cadre, "start": fund.officer, "approve": fund.reviewers["组织"], "accept": fund.officer}
    r = step(api_client, users[action], p, action, note="说明")
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "state_conflict" and "不能" in r.json()["message"]
    assert Project.objects.get(pk=p.pk).state == state


def test_an_unknown_action_is_422(fund, make_project, api_client):
    r = step(api_client, fund.cadre, make_project(), "teleport")
    assert r.status_code == 422 and r.json()["code"] == "unknown_action"


def test_return_for_revision_needs_reasons_and_starts_a_new_round(fund, make_project, advance, api_client):
    p = advance(make_project(), wf.JOINT_REVIEW)
    step(api_client, fund.reviewers["组织"], p, "joint_opinion", agree=True, note="同意")
    r = step(api_client, fund.reviewers["财政"], p, "district_return")
    assert r.status_code == 422 and r.json()["detail"]["field"] == "note"
    data = step(api_client, fund.reviewers["财政"], p, "district_return", note="预算中设备购置单价偏高，请补充询价").json()
    assert data["state"] == wf.DRAFT
    assert Review.objects.filter(project=p, current=True).count() == 0  # the next round starts afresh
    # The village revises and submits again; the town can send it back too.
    r = api_client.as_user(fund.cadre).patch(f"villagefund/projects/{p.pk}", {"expected_return_wan": 9})
    assert r.status_code == 200
    step(api_client, fund.cadre, p, "submit")
    assert step(api_client, fund.officer, p, "town_return", note="补充合作协议").json()["state"] == wf.DRAFT


def test_a_disagreeing_department_blocks_approval(fund, make_project, advance, api_client):
    p = advance(make_project(), wf.JOINT_REVIEW)
    for spec, user in fund.reviewers.items():
        step(api_client, user, p, "joint_opinion", agree=spec != "财政", note="意见")
    r = step(api_client, fund.reviewers["组织"], p, "approve")
    assert r.status_code == 422 and r.json()["code"] == "joint_review_disagrees" and "财政局" in r.json()["message"]


def test_a_decision_below_quorum_is_refused_and_nothing_stored(fund, make_project, api_client):
    p = make_project()
    meetings = [dict(m) for m in MEETINGS]
    meetings[2].update(present=19, agree=15, oppose=2, abstain=1)  # 19 of 30 < 2/3
    r = api_client.as_user(fund.cadre).put(f"villagefund/projects/{p.pk}/decision", meetings)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "below_quorum" and "村民代表会议" in body["message"] and body["detail"]["rule"] == "below_quorum"
    assert not Meeting.objects.filter(project=p).exists()
    meetings[2].update(present=20, agree=10, oppose=8, abstain=2)  # half of those present is not a majority
    r = api_client.as_user(fund.cadre).put(f"villagefund/projects/{p.pk}/decision", meetings)
    assert r.json()["code"] == "not_passed"


def test_a_decision_that_no_longer_meets_a_stricter_rule_blocks_submission(fund, make_project, api_client, settings):
    p = make_project()
    api_client.as_user(fund.cadre).put(f"villagefund/projects/{p.pk}/decision", MEETINGS)
    settings.VILLAGEFUND_DECISION_RULES = {"representatives": {"quorum": ("3/4", False), "majority": ("1/2", True)}}
    r = step(api_client, fund.cadre, p, "submit")
    assert r.status_code == 422 and r.json()["code"] == "below_quorum" and "不少于3/4" in r.json()["message"]
    assert Project.objects.get(pk=p.pk).state == wf.DRAFT


def test_the_application_is_checked(fund, api_client):
    api_client.as_user(fund.cadre)
    base = {"village": fund.v1.pk, "batch": fund.batch.pk, "name": "冷库", "model": "property", "amount_wan": 50}
    r = api_client.post("villagefund/projects", {**base, "budget": [{"item": "建设", "amount_wan": 40}]})
    assert r.status_code == 422 and r.json()["code"] == "budget_mismatch"
    r = api_client.post("villagefund/projects", {**base, "model": "彩票"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "model"
    r = api_client.post("villagefund/projects", {**base, "amount_wan": -1})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "amount_wan"
    assert not Project.objects.exists()
    r = api_client.post("villagefund/projects", {**base, "model": "物业经营"})
    assert r.status_code == 201 and r.json()["state"] == wf.DRAFT and r.json()["code"] == "CJ2026-001"


def test_stalled_flag_and_returns_guarantee(fund, make_project, advance, api_client):
    p = advance(make_project(guaranteed_rate=8, guaranteed_years=3), wf.IMPLEMENTING)
    assert step(api_client, fund.officer, p, "stall", note="合作方停工").json()["stalled"] is True
    assert step(api_client, fund.officer, p, "stall", note="再次").status_code == 409
    data = api_client.as_user(fund.cadre).get("villagefund/projects", {"stalled": "true"}).json()
    assert [x["code"] for x in data["results"]] == [p.code]
    assert step(api_client, fund.officer, p, "resume").json()["stalled"] is False
