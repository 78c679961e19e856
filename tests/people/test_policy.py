"""The permission matrix: each role × read and write of scoped records.

Out-of-scope reads are 404 (indistinguishable from missing); forbidden writes are 403 with a
Chinese message. The rules are declared once (people.policy) and exercised here through the API.
"""
import pytest

from chengyun.people import roles as R
from chengyun.people.models import Person
from support import DIVISION

pytestmark = pytest.mark.django_db

G = lambda s, c, q: f"{DIVISION}{s:03d}{c:03d}{q:03d}"  # noqa: E731
HOME_GRID = G(1, 1, 1)
OTHER_GRID = G(2, 2, 4)

# Where each role sits in the matrix: its unit and its area.
PLACEMENT = {
    R.DISTRICT_LEADER: dict(unit="OPS"),
    R.OPS_ACCEPTOR: dict(unit="OPS"),
    R.OPS_SHIFT_LEADER: dict(unit="OPS"),
    R.OPS_DISPATCHER: dict(unit="OPS"),
    R.DEPT_HANDLER: dict(unit="D01"),
    R.STREET_CHIEF: dict(unit="S01", grids=[HOME_GRID]),
    R.COMMUNITY_GRID_WORKER: dict(unit="S01", grids=[HOME_GRID]),
    R.OPS_GRID_WORKER: dict(unit="OPS", grids=[HOME_GRID]),
    R.DRONE_OPERATOR: dict(unit="OPS", streets=[G(1, 1, 1)[:9]]),
    R.RIVER_CHIEF: dict(unit="S01", communities=[G(1, 1, 1)[:12]]),
    R.AUDITOR: dict(unit="OPS"),
    R.SYSADMIN: dict(unit="OPS"),
    R.SECURITY_ADMIN: dict(unit="OPS"),
    R.VILLAGE_CADRE: dict(unit="S01", communities=[G(1, 1, 1)[:12]]),
    R.STREET_OFFICER: dict(unit="S01", streets=[G(1, 1, 1)[:9]]),
}
WIDE = R.DISTRICT_WIDE
# The security administrator reads the people directory (to find whose lock to lift) and
# nothing else district-wide.
PEOPLE_WIDE = WIDE | {R.SECURITY_ADMIN}


@pytest.fixture
def people(make_user):
    """Two people to look at: one working in street 1's first grid (unit S01), one far away in street 2 (unit S02)."""
    near = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[HOME_GRID]).person
    far = make_user(R.COMMUNITY_GRID_WORKER, unit="S02", grids=[OTHER_GRID]).person
    return near, far


@pytest.mark.parametrize("role", sorted(R.ALL_ROLES))
def test_reading_people(role, people, make_user, api_client):
    near, far = people
    me = make_user(role, **PLACEMENT[role])
    api_client.as_user(me)
    # Everyone reads their own record.
    assert api_client.get("people/me").json()["id"] == me.person.id
    near_status = api_client.get(f"people/{near.id}").status_code
    far_response = api_client.get(f"people/{far.id}")
    if role in PEOPLE_WIDE:
        assert (near_status, far_response.status_code) == (200, 200)
    elif role == R.DEPT_HANDLER:
        # Unit-bound: sees only the people of the own unit (D01), not field staff of streets.
        assert (near_status, far_response.status_code) == (404, 404)
    else:
        assert near_status == 200, role
        assert far_response.status_code == 404, role
        assert far_response.json() == {"code": "not_found", "message": "对象不存在或您无权查看", "detail": None}
    listed = {p["id"] for p in api_client.get("people/", {"limit": 500}).json()["results"]}
    assert (far.id in listed) == (role in PEOPLE_WIDE)


@pytest.mark.parametrize("role", sorted(R.ALL_ROLES))
def test_changing_a_person(role, people, make_user, api_client):
    near, far = people
    me = make_user(role, **PLACEMENT[role])
    api_client.as_user(me)
    # One's own phone: always allowed.
    assert api_client.patch(f"people/{me.person.id}", {"phone": "13800000000"}).status_code == 200
    # One's own name: administrators only.
    r = api_client.patch(f"people/{me.person.id}", {"name": "改名"})
    assert r.status_code == (200 if role == R.SYSADMIN else 403), role
    if r.status_code == 403:
        assert "无权" in r.json()["message"]
    # Someone else's record: visible → 403 unless administrator; invisible → 404.
    r = api_client.patch(f"people/{far.id}", {"phone": "13900000000"})
    expected = 200 if role == R.SYSADMIN else (403 if role in PEOPLE_WIDE else 404)
    assert r.status_code == expected, role
    assert Person.objects.get(pk=far.id).phone == ("13900000000" if expected == 200 else far.phone)


@pytest.mark.parametrize("role", sorted(R.ALL_ROLES))
def test_unit_contacts_are_kept_by_the_unit_itself(role, make_user, api_client):
    me = make_user(role, **PLACEMENT[role])
    api_client.as_user(me)
    own_unit = me.person.unit.code
    other_unit = "D02"
    contacts = [{"name": "值班员甲", "phone": "0971-1234567", "on_duty": True}]
    assert api_client.get(f"geo/units/{other_unit}").status_code == 200  # the directory is public
    assert api_client.put(f"geo/units/{own_unit}/contacts", contacts).status_code == 200
    r = api_client.put(f"geo/units/{other_unit}/contacts", contacts)
    assert r.status_code == (200 if role == R.SYSADMIN else 403), role


@pytest.mark.parametrize("role", sorted(R.ALL_ROLES))
def test_audit_log_is_for_auditors(role, make_user, api_client):
    api_client.as_user(make_user(role, **PLACEMENT[role]))
    r = api_client.get("people/audit")
    assert r.status_code == (200 if role in (R.AUDITOR, R.SYSADMIN) else 403), role


@pytest.mark.parametrize("role", sorted(R.ALL_ROLES))
def test_boundaries_are_read_by_all_and_changed_by_administrators(role, make_user, api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    user = make_user(role, **PLACEMENT[role])
    api_client.as_user(user)
    assert len(api_client.get("geo/grids").json()["features"]) == 16
    c = Client()
    c.force_login(user)
    empty = SimpleUploadedFile("g.geojson", b'{"type":"FeatureCollection","features":[]}')
    r = c.post("/api/v1/geo/boundaries/import?level=grid", {"file": empty})
    assert r.status_code == (422 if role == R.SYSADMIN else 403), role  # administrators get to the file's own error


def test_anonymous_gets_401_json(district, client):
    r = client.get("/api/v1/people/")
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated" and "登录" in r.json()["message"]


def test_bearer_token(district, make_user, client):
    from chengyun.people import services

    user = make_user(R.OPS_DISPATCHER)
    _, key = services.create_token(None, user.username, "集成测试")
    r = client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200 and r.json()["username"] == user.username
    assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION="Bearer cy_wrong").status_code == 401


def test_revoked_token_no_longer_works(district, make_user, client):
    from chengyun.people import services

    user = make_user(R.OPS_DISPATCHER)
    token, key = services.create_token(None, user.username)
    services.revoke_token(None, token)
    assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_session_writes_need_csrf(district, make_user):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    user = make_user(R.SYSADMIN)
    c.force_login(user)
    r = c.patch(f"/api/v1/people/{user.person.id}", '{"phone": "1"}', content_type="application/json")
    assert r.status_code in (401, 403)
