"""/api/v1/renewal/: projects (type, state, targets, funding), transitions (409), lift projects
with the tally (422 on unknown owners / negative areas, nothing stored), parking gaps,
charging plan, compounds; and every write permission-checked and audited."""
from __future__ import annotations

import pytest
from portfolio_support import C11, C21, compound, project

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.renewal.models import LiftOwner, Project

NEW = {"name": "河湟路燃气管网更新", "type": "gas", "start_year": 2026, "end_year": 2028, "metrics": {"main_km": 4.2},
       "responsible_unit": "D02", "community": C11,
       "targets": [{"year": 2026, "quantity": 1.2}, {"year": 2027, "quantity": 1.5}, {"year": 2028, "quantity": 1.5}],
       "funding": [{"source": "central_budget", "year": 2026, "amount_wan": 800}, {"source": "special_bonds", "year": 2027, "amount_wan": 1200}]}


@pytest.fixture
def office(make_user):
    return make_user(R.DEPT_HANDLER, unit="D02")


def test_create_list_and_detail_carry_type_state_targets_funding(api_client, office):
    api = api_client.as_user(office)
    r = api.post("renewal/projects", NEW)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["type"] == "gas" and body["state"] == "reserve" and body["key"] == f"renewal.project:{body['id']}"
    assert [t["year"] for t in body["targets"]] == [2026, 2027, 2028]
    assert {f["source"] for f in body["funding"]} == {"central_budget", "special_bonds"}
    listing = api.get("renewal/projects", {"type": "gas", "year": 2027}).json()
    assert listing["count"] == 1 and listing["results"][0]["code"] == body["code"]
    assert api.get("renewal/projects", {"year": 2030}).json()["count"] == 0
    assert api.get(f"renewal/projects/{body['id']}").json()["events"] == []


def test_bad_project_is_422_with_code_and_nothing_stored(api_client, office):
    api = api_client.as_user(office)
    r = api.post("renewal/projects", {**NEW, "metrics": {"parking_spaces": 3}})
    assert r.status_code == 422 and r.json()["code"] == "bad_metric" and r.json()["message"]
    r = api.post("renewal/projects", {**NEW, "funding": [{"source": "x", "year": 2026, "amount_wan": 1}]})
    assert r.status_code == 422 and r.json()["code"] == "bad_funding_source"
    assert not Project.objects.exists()


def test_transitions_via_post_action_and_409_out_of_order(api_client, office):
    api = api_client.as_user(office)
    pid = api.post("renewal/projects", NEW).json()["id"]
    r = api.post(f"renewal/projects/{pid}/start", {})
    assert r.status_code == 409 and r.json()["code"] == "bad_transition"
    for action in ("approve", "fund", "tender", "start"):
        r = api.post(f"renewal/projects/{pid}/{action}", {})
        assert r.status_code == 200, r.content
    assert r.json()["state"] == "construction"
    assert api.post(f"renewal/projects/{pid}/progress", {"percent": 55}).status_code == 201
    r = api.post(f"renewal/projects/{pid}/accept", {"conclusion": "合格"})
    assert r.json()["state"] == "accepted"
    assert api.get(f"renewal/projects/{pid}").json()["progress"] == 100
    assert api.post(f"renewal/projects/{pid}/bogus", {}).status_code == 422


def test_permissions_on_project_writes(api_client, make_user, units):
    p = project("gas", unit="D02")
    other_dept = make_user(R.DEPT_HANDLER, unit="D01")
    api = api_client.as_user(other_dept)
    # Reads are open to staff; writes only for the responsible unit or the office.
    assert api.get(f"renewal/projects/{p.pk}").status_code == 200
    assert api.post(f"renewal/projects/{p.pk}/fund", {}).status_code == 403
    assert api.patch(f"renewal/projects/{p.pk}", {"name": "改名"}).status_code == 403
    assert api.post("renewal/projects", {**NEW, "responsible_unit": "D02"}).status_code == 403
    assert api.post("renewal/projects", {**NEW, "responsible_unit": "D01"}).status_code == 201
    # The responsible unit's handler (not the office) may move its own project but not 立项 it.
    street_office = make_user(R.DEPT_HANDLER, unit="S01")
    mine = project("drainage", unit="S01")
    api = api_client.as_user(street_office)
    r = api.post(f"renewal/projects/{mine.pk}/approve", {})
    assert r.status_code == 403 and r.json()["code"] == "not_office"
    assert api.patch(f"renewal/projects/{mine.pk}", {"name": "排水改造（调整）"}).status_code == 200
    grid = make_user(R.COMMUNITY_GRID_WORKER, communities=[C11])
    assert api_client.as_user(grid).patch(f"renewal/projects/{mine.pk}", {"name": "x"}).status_code == 403
    assert AuditEntry.objects.filter(object_type="renewal.project", action="update").count() == 1


def test_lift_api_with_tally_and_bad_votes(api_client, make_user, district, units):
    compound("XQL", C11)
    chief = make_user(R.STREET_CHIEF, streets=[C11[:9]])
    api = api_client.as_user(chief)
    r = api.post("renewal/lift-projects", {"compound": "XQL", "building": "2", "unit_no": "1", "floors": 6})
    assert r.status_code == 201, r.content
    lid = r.json()["id"]
    owners = [{"part": f"{i}01", "owner": f"业主{i}", "area_m2": "90.25"} for i in range(1, 7)]
    assert api.put(f"renewal/lift-projects/{lid}/owners", owners).status_code == 200
    r = api.put(f"renewal/lift-projects/{lid}/owners", [{"part": "101", "owner": "甲", "area_m2": -5}])
    assert r.status_code == 422 and r.json()["code"] == "bad_area"
    assert LiftOwner.objects.count() == 6
    r = api.post(f"renewal/lift-projects/{lid}/votes", [{"owner": "业主1", "vote": "agree"}, {"owner": "路人", "vote": "agree"}])
    assert r.status_code == 422 and r.json()["code"] == "unknown_owner"
    assert set(LiftOwner.objects.values_list("vote", flat=True)) == {"absent"}
    r = api.post(f"renewal/lift-projects/{lid}/votes", [{"owner": f"业主{i}", "vote": "agree"} for i in range(1, 5)])
    tally = r.json()["tally"]
    assert tally["participation_owners"]["fraction"] == "2/3" and tally["approved"] is True
    listing = api.get("renewal/lift-projects").json()
    assert listing["results"][0]["tally"]["approval_area"]["fraction"] == "1/1"
    assert api.post(f"renewal/lift-projects/{lid}/permits", {"on": "2026-05-01", "planning_permit": "x"}).status_code == 409
    assert api.post(f"renewal/lift-projects/{lid}/publicity", {"on": "2026-04-01"}).json()["publicity_end"] == "2026-04-21"
    # A grid worker of another street cannot see it; a chief elsewhere cannot write it.
    far = make_user(R.STREET_CHIEF, streets=[C21[:9]])
    assert api_client.as_user(far).post(f"renewal/lift-projects/{lid}/votes", []).status_code == 404


def test_parking_gaps_charging_plan_and_compounds(api_client, office, district):
    compound("XP", C11, households=100)
    api = api_client.as_user(office)
    gaps = {g["community"]: g for g in api.get("renewal/parking-gaps").json()}
    assert gaps[C11]["demand"] == 100 and gaps[C11]["gap"] == 100
    plan = {"k": 1, "radius_m": 400, "demand": [{"lng": 101.705, "lat": 36.505, "weight": 8}],
            "candidates": [{"id": "S1", "lng": 101.7052, "lat": 36.505, "capacity": 10}, {"id": "S2", "lng": 101.8, "lat": 36.6, "capacity": 10}]}
    out = api.post("renewal/charging-plan", plan).json()
    assert out["method"] == "exact" and out["covered_after"] == 8 and out["gap"] == 0
    assert api.post("renewal/charging-plan", {**plan, "k": 0}).status_code == 422
    comp = api.get("renewal/compounds", {"community": C11}).json()
    assert comp["results"][0]["eligible_old_compound"] is True


def test_anonymous_gets_401(client, district):
    assert client.get("/api/v1/renewal/projects").status_code == 401
    assert client.post("/api/v1/renewal/charging-plan", "{}", content_type="application/json").status_code == 401
