import pytest

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.people.models import Person
from support import DIVISION

pytestmark = pytest.mark.django_db


def test_administrator_creates_and_assigns_a_grid_worker(make_user, api_client):
    api_client.as_user(make_user(R.SYSADMIN))
    r = api_client.post("people/", {"name": "李网格", "unit": "S01", "roles": [R.COMMUNITY_GRID_WORKER], "username": "lwg",
                                    "password": "long-enough-1", "grids": [f"{DIVISION}001001001"]})
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert r.json()["grids"] == [f"{DIVISION}001001001"]
    r = api_client.put(f"people/{pid}/assignment", {"grids": [f"{DIVISION}001001002", f"{DIVISION}001001003"]})
    assert r.status_code == 200 and r.json()["grids"] == [f"{DIVISION}001001002", f"{DIVISION}001001003"]
    assert r.json()["roles"] == [{"code": R.COMMUNITY_GRID_WORKER, "name": "社区网格员"}]
    entry = AuditEntry.objects.filter(object_type="people.person", verb="assign").get()
    assert entry.after["grids"] != entry.before["grids"]


def test_bad_input_is_named(make_user, api_client):
    api_client.as_user(make_user(R.SYSADMIN))
    count = Person.objects.count()
    r = api_client.post("people/", {"name": "王", "unit": "S01", "roles": ["wizard"]})
    assert r.status_code == 422 and r.json()["code"] == "bad_role" and "wizard" in r.json()["message"]
    r = api_client.post("people/", {"name": "王", "unit": "S01", "roles": [R.STREET_CHIEF], "grids": ["630109999999999"]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_area" and "630109999999999" in r.json()["message"]
    r = api_client.post("people/", {"name": "王", "unit": "NOPE", "roles": [R.STREET_CHIEF]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_unit" and r.json()["detail"] == {"field": "unit"}
    assert r.json()["message"] == "单位编码 NOPE 不存在"
    r = api_client.post("people/", {"unit": "S01", "roles": [R.STREET_CHIEF]})
    assert r.status_code == 422 and "name" in r.json()["message"]
    assert Person.objects.count() == count


def test_only_administrators_create_or_assign(make_user, api_client):
    target = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[f"{DIVISION}001001001"])
    api_client.as_user(make_user(R.OPS_SHIFT_LEADER))
    assert api_client.post("people/", {"name": "王", "unit": "S01", "roles": [R.STREET_CHIEF]}).status_code == 403
    assert api_client.put(f"people/{target.person.id}/assignment", {"grids": []}).status_code == 403
    assert target.person.grids.count() == 1
