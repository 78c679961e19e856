"""Village cadres see and edit only their village; street officers only their street; the
district's reviewing departments read all; other departments nothing."""
from __future__ import annotations

import pytest

from chengyun.standards import gb32100
from chengyun.villagefund import workflow as wf
from chengyun.villagefund.models import Village

pytestmark = pytest.mark.django_db


def codes(api_client, user, path="villagefund/projects"):
    return {x.get("code") or x.get("name") for x in api_client.as_user(user).get(path).json()["results"]}


def test_reads_follow_the_village_and_the_street(fund, make_project, api_client):
    mine, theirs = make_project(), make_project(village=fund.v2)
    assert codes(api_client, fund.cadre) == {mine.code}
    assert codes(api_client, fund.cadre2) == {theirs.code}
    assert codes(api_client, fund.officer) == {mine.code}
    assert codes(api_client, fund.officer2) == {theirs.code}
    assert codes(api_client, fund.reviewers["财政"]) == {mine.code, theirs.code}
    assert codes(api_client, fund.leader) == {mine.code, theirs.code}
    assert codes(api_client, fund.handler) == set()
    assert api_client.as_user(fund.cadre).get(f"villagefund/projects/{theirs.pk}").status_code == 404
    assert codes(api_client, fund.cadre, "villagefund/villages") == {"上庄村"}


def test_writes_follow_the_village_and_the_street(fund, make_project, advance, api_client):
    theirs = make_project(village=fund.v2)
    api_client.as_user(fund.cadre)
    assert api_client.patch(f"villagefund/projects/{theirs.pk}", {"name": "改名"}).status_code == 404
    r = api_client.post("villagefund/projects", {"village": fund.v2.pk, "batch": fund.batch.pk, "name": "冷库", "model": "property", "amount_wan": 50})
    assert r.status_code == 403
    mine = make_project()
    # The street officer sees the village's draft but does not edit the application.
    assert api_client.as_user(fund.officer).patch(f"villagefund/projects/{mine.pk}", {"name": "改名"}).status_code == 403
    p = advance(theirs, wf.SUBMITTED)
    assert api_client.as_user(fund.officer).post(f"villagefund/projects/{p.pk}/town_approve", {"note": "同意"}).status_code == 404
    assert api_client.as_user(fund.officer2).post(f"villagefund/projects/{p.pk}/town_approve", {"note": "同意"}).status_code == 200


def test_a_department_outside_the_joint_review_cannot_review(fund, make_project, advance, api_client, make_user):
    from chengyun.people import roles as R

    p = advance(make_project(), wf.JOINT_REVIEW)
    other = make_user(R.DEPT_HANDLER, unit="D02")
    assert api_client.as_user(other).post(f"villagefund/projects/{p.pk}/joint_opinion", {"agree": True, "note": "同意"}).status_code == 404
    assert api_client.as_user(fund.officer).post(f"villagefund/projects/{p.pk}/joint_opinion", {"agree": True, "note": "同意"}).status_code == 403


def test_villages_are_registered_by_their_street_with_a_valid_credit_code(fund, api_client):
    from support import DIVISION

    api_client.as_user(fund.officer)
    body = {"community": f"{DIVISION}001002", "name": "下河湾村", "organisation": "下河湾村股份经济合作社"}
    good = gb32100.make("N2630109MA0000003")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    r = api_client.post("villagefund/villages", {**body, "credit_code": wrong})
    assert r.status_code == 422 and r.json()["code"] == "credit_code_check" and "校验位" in r.json()["message"]
    assert r.json()["detail"] == {"field": "credit_code", "rule": "GB 32100-2015"}
    assert not Village.objects.filter(name="下河湾村").exists()
    assert api_client.post("villagefund/villages", {**body, "credit_code": good.lower()}).status_code == 201
    other = {**body, "community": f"{DIVISION}002002", "name": "外街村", "credit_code": gb32100.make("N2630109MA0000004")}
    assert api_client.post("villagefund/villages", other).status_code == 403
    assert api_client.as_user(fund.cadre).post("villagefund/villages", other).status_code == 403


def test_batches_are_registered_by_the_district(fund, api_client):
    body = {"year": 2027, "name": "2027年度", "central_wan": 100}
    assert api_client.as_user(fund.officer).post("villagefund/batches", body).status_code == 403
    assert api_client.as_user(fund.reviewers["财政"]).post("villagefund/batches", body).status_code == 201
    assert api_client.as_user(fund.reviewers["财政"]).post("villagefund/batches", {**body, "central_wan": 0}).status_code == 422
