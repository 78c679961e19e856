"""The API's answers: bad input is a 4xx naming the rule with nothing stored; workflow 409; scopes."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from property_helpers import valid_code

pytestmark = pytest.mark.django_db


def test_a_wrong_check_digit_is_a_422_naming_the_rule(api_client, office):
    from chengyun.property.models import Company

    good = valid_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    resp = api_client.as_user(office).post("property/companies", {"name": "错码物业", "credit_code": bad})
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "credit_code_check" and body["detail"]["field"] == "credit_code" and "校验位" in body["message"]
    assert not Company.objects.exists()
    resp = api_client.post("property/companies", {"name": "对码物业", "credit_code": good, "base_score": 81})
    assert resp.status_code == 422 and resp.json()["code"] == "base_score_out_of_range"
    resp = api_client.post("property/companies", {"name": "对码物业", "credit_code": good, "base_score": 70})
    assert resp.status_code == 201 and resp.json()["grade"] == "A"


def test_a_score_above_the_items_maximum_is_a_422_and_nothing_is_stored(api_client, managed, make_user):
    from chengyun.people import roles as R
    from chengyun.property.models import Assessment
    from chengyun.property.services.assessments import period_of

    grid = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=["630109001001001"])
    body = {"compound": managed.code, "period": period_of(timezone.localdate()), "survey_sample": 30, "survey_satisfied": 24,
            "scores": {"infrastructure": 24, "safety": 12, "response": 12, "co_governance": 12, "fees": 7}}
    resp = api_client.as_user(grid).post("property/assessments", body)
    assert resp.status_code == 422
    assert resp.json()["code"] == "score_above_max" and resp.json()["detail"]["rule"] == "item_max"
    assert "超过该项满分 23" in resp.json()["message"]
    assert not Assessment.objects.exists()
    body["scores"]["infrastructure"] = 22
    resp = api_client.post("property/assessments", body)
    assert resp.status_code == 201 and resp.json()["scores"]["satisfaction"] == 19.2


def test_assessments_and_files_are_written_only_in_ones_area(api_client, compound_out, make_user):
    from chengyun.people import roles as R
    from chengyun.property.models import Assessment

    chief = make_user(R.STREET_CHIEF, unit="S01", streets=["630109001"])
    resp = api_client.as_user(chief).post("property/assessments", {
        "compound": compound_out.code, "period": "2025Q1", "survey_sample": 30, "survey_satisfied": 24,
        "scores": {"infrastructure": 20, "safety": 12, "response": 12, "co_governance": 12, "fees": 7}})
    assert resp.status_code == 403 and not Assessment.objects.exists()


def test_a_file_action_the_state_does_not_allow_is_a_409(api_client, units, make_user):
    from chengyun.people import roles as R
    from property_helpers import G1, make_compound

    c = make_compound(G1, "XQ-N", mode="none")
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=["630109001"])
    api = api_client.as_user(chief)
    resp = api.post("property/coverage/files", {"compound": c.code, "owner_unit": "S01",
                                                "target_date": (timezone.localdate() + dt.timedelta(days=30)).isoformat()})
    assert resp.status_code == 201 and resp.json()["state"] == "filed"
    fid = resp.json()["id"]
    resp = api.post(f"property/coverage/files/{fid}/close", {})
    assert resp.status_code == 409 and resp.json()["code"] == "bad_transition"
    resp = api.post(f"property/coverage/files/{fid}/choose_path", {"path": "self_managed"})
    assert resp.status_code == 200 and resp.json()["state"] == "path_chosen"
    cov = api.get("property/coverage").json()
    assert cov["files"]["path_chosen"] == 1 and cov["total"] == 1 and cov["rate"] == 0.0


def test_the_scheme_is_configurable_and_regrades_everyone(api_client, office, company):
    resp = api_client.as_user(office).put("property/records/scheme", {"thresholds": [["AAA", 95], ["AA", 90], ["A", 68], ["B", 50]]})
    assert resp.status_code == 200
    company.refresh_from_db()
    assert company.grade == "A"
    resp = api_client.put("property/records/scheme", {"thresholds": [["AAA", 60], ["AA", 80]]})
    assert resp.status_code == 422 and resp.json()["code"] == "bad_thresholds"
    resp = api_client.put("property/records/scheme", {"red_grades": ["AAA"], "black_grades": ["AAA", "C"]})
    assert resp.status_code == 422 and resp.json()["code"] == "boards_overlap"


def test_company_list_filters_by_grade_and_board(api_client, office, company):
    from chengyun.property import services

    other = services.create_company(None, name="黑榜物业", credit_code=valid_code("MA0000009"), base_score=50)
    data = api_client.as_user(office).get("property/companies", {"board": "black"}).json()
    assert [r["id"] for r in data["results"]] == [other.pk]
    data = api_client.get("property/companies", {"grade": "A"}).json()
    assert [r["id"] for r in data["results"]] == [company.pk]
