"""/api/v1/cockpit/panels: every panel's JSON for a period and a street, or one by key; bad input 4xx."""
from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db


def test_panels_json(filled, api_client):
    api = api_client.as_user(filled["leader"])
    from django.utils import timezone

    start, end = (timezone.localdate() - dt.timedelta(days=60)).isoformat(), timezone.localdate().isoformat()
    r = api.get("cockpit/panels", {"start": start, "end": end, "street": "630109001"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["start"] == start and body["end"] == end and body["street"] == "630109001"
    orders = [p["order"] for p in body["panels"]]
    assert orders == sorted(orders) and not any(p["error"] for p in body["panels"])
    cases = next(p for p in body["panels"] if p["key"] == "cases.today")
    assert all({"label", "value", "url", "status", "counted"} <= set(f) for f in cases["figures"])
    assert all("street=630109001" in f["url"] for f in cases["figures"])  # the street travels into every link
    assert cases["figures"][0]["label"] == "上报" and cases["figures"][0]["value"] > 0
    one = api.get("cockpit/panels", {"key": "water.quality"}).json()
    assert [p["key"] for p in one["panels"]] == ["water.quality"]


@pytest.mark.parametrize("params,status,field", [
    ({"start": "2026-02-30"}, 422, "start"),
    ({"start": "2026-03-02", "end": "2026-03-01"}, 422, "start"),
    ({"start": "2024-01-01", "end": "2026-03-01"}, 422, "start"),
    ({"street": "999"}, 422, "street"),
    ({"start": "9999-12-30", "end": "9999-12-31"}, 422, "start"),
])
def test_bad_input_is_a_chinese_4xx_naming_the_field(filled, api_client, params, status, field):
    r = api_client.as_user(filled["leader"]).get("cockpit/panels", params)
    assert r.status_code == status
    body = r.json()
    assert body["detail"]["field"] == field and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_unknown_panel_is_404_and_other_roles_403(filled, api_client, make_user):
    assert api_client.as_user(filled["leader"]).get("cockpit/panels", {"key": "nope"}).status_code == 404
    r = api_client.as_user(make_user("dept_handler")).get("cockpit/panels")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
