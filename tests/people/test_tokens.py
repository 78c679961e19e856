"""API tokens: stored hashed, shown once, with expiry and scopes enforced for every router."""
import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from chengyun.core.registry import api_routers
from chengyun.people import roles as R
from chengyun.people import scopes
from chengyun.people.models import ApiToken

pytestmark = pytest.mark.django_db


def test_every_router_declares_its_scope_in_one_place():
    mounted = {prefix for prefix, _router in api_routers()}
    assert mounted == set(scopes.ROUTER_SCOPES)


def test_a_token_is_shown_once_and_only_its_hash_is_stored(make_user, api_client):
    user = make_user(R.OPS_DISPATCHER)
    api_client.as_user(user)
    r = api_client.post("people/tokens", {"name": "报表集成", "scopes": ["cases:read"], "expires_in_days": 30})
    assert r.status_code == 201
    body = r.json()
    key = body["token"]
    token = ApiToken.objects.get(prefix=body["prefix"])
    assert token.key_hash == ApiToken.hash(key) and key not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert body["scopes"] == ["cases:read"] and abs((token.expires_at - timezone.now()) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)
    # Listing never shows it again.
    out = io.StringIO()
    call_command("token", "list", user.username, stdout=out)
    assert body["prefix"] in out.getvalue() and key not in out.getvalue() and "cases:read" in out.getvalue()
    out = io.StringIO()
    call_command("token", "create", user.username, "--scope", "drone:upload", "--expires-days", "90", stdout=out)
    made = ApiToken.objects.get(key_hash=ApiToken.hash(out.getvalue().strip()))
    assert made.scopes == ["drone:upload"] and made.expires_at is not None
    r = api_client.post("people/tokens", {"scopes": ["cases:everything"]})
    assert r.status_code == 422 and r.json()["code"] == "bad_scope"


def test_a_drone_token_uploads_flights_and_cannot_read_cases(district, make_user, client):
    from chengyun.people.services import create_token

    pilot = make_user(R.DRONE_OPERATOR, streets=["630105001"])
    _, key = create_token(None, pilot.username, "无人机机场", scopes=["drone:upload"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    r = client.get("/api/v1/cases/", **auth)
    assert r.status_code == 403 and r.json()["code"] == "token_scope" and "cases:read" in r.json()["message"]
    assert client.get("/api/v1/people/me", **auth).status_code == 403
    r = client.post("/api/v1/cases/drone-flights", json.dumps({"flight_id": "F-scope", "detections": []}), content_type="application/json", **auth)
    assert r.status_code == 200 and r.json()["created"] == 0


def test_a_read_scope_does_not_write(district, make_user, client):
    from chengyun.people.services import create_token

    user = make_user(R.OPS_DISPATCHER)
    _, key = create_token(None, user.username, scopes=["people:read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/people/me", **auth).status_code == 200
    r = client.patch(f"/api/v1/people/{user.person.id}", json.dumps({"phone": "1"}), content_type="application/json", **auth)
    assert r.status_code == 403 and r.json()["code"] == "token_scope"


def test_an_expired_token_is_refused(district, make_user, client):
    from chengyun.people.services import create_token

    user = make_user(R.OPS_DISPATCHER)
    token, key = create_token(None, user.username, expires_in_days=1)
    assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_open311_api_key_needs_the_open311_scope(district, make_user, client):
    from chengyun.people.services import create_token

    user = make_user(R.COMMUNITY_GRID_WORKER, unit="S01")
    _, cases_only = create_token(None, user.username, scopes=["cases:read"])
    _, reader = create_token(None, user.username, scopes=["open311:read"])
    r = client.get("/open311/v2/requests.json", {"api_key": cases_only})
    assert r.status_code == 403 and "open311:read" in r.json()[0]["description"]
    assert client.get("/open311/v2/requests.json", {"api_key": reader}).status_code == 200
    r = client.post("/open311/v2/requests.json", {"api_key": reader, "service_code": "0113"})
    assert r.status_code == 403 and "open311:write" in r.json()[0]["description"]
