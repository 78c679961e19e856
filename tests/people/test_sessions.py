"""Sessions: idle timeout, absolute lifetime, logout ends the session on the server, one's sessions
listed and revocable, the security administrator revokes anyone's."""
import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.people.models import UserSession

pytestmark = pytest.mark.django_db


def _sign_in(user, **extra) -> Client:
    c = Client(**extra)
    assert c.post("/login/", {"username": user.username, "password": "pw-test-123"}).status_code == 302
    return c


def test_defaults_are_thirty_minutes_idle_and_twelve_hours_absolute():
    from django.conf import settings

    assert settings.SESSION_IDLE_TIMEOUT_SECONDS == 1800 and settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600


def test_idle_session_ends(make_user):
    user = make_user(R.OPS_DISPATCHER)
    c = _sign_in(user)
    assert c.get("/cases/").status_code == 200
    UserSession.objects.filter(user=user).update(last_seen_at=timezone.now() - dt.timedelta(minutes=31))
    r = c.get("/cases/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert c.get("/cases/").status_code == 302  # and stays ended
    assert UserSession.objects.get(user=user).end_reason == "idle"
    assert AuditEntry.objects.filter(verb="session_timeout", after__reason="idle").exists()


def test_absolute_lifetime_ends_an_active_session(make_user):
    user = make_user(R.OPS_DISPATCHER)
    c = _sign_in(user)
    UserSession.objects.filter(user=user).update(created_at=timezone.now() - dt.timedelta(hours=12, minutes=1))
    r = c.get("/api/v1/people/me")
    assert r.status_code == 401 and r.json()["code"] == "session_expired"
    assert UserSession.objects.get(user=user).end_reason == "absolute"


def test_logout_invalidates_the_session_on_the_server(make_user):
    user = make_user(R.OPS_DISPATCHER)
    c = _sign_in(user)
    cookie = c.cookies["sessionid"].value
    c.get("/logout/")
    assert not Session.objects.filter(session_key=cookie).exists()
    stolen = Client()
    stolen.cookies["sessionid"] = cookie
    assert stolen.get("/cases/").status_code == 302
    assert UserSession.objects.get(user=user).end_reason == "logout"
    assert list(AuditEntry.objects.filter(object_repr=user.username, verb__in=["login", "logout"]).order_by("seq").values_list("verb", flat=True)) == ["login", "logout"]


def test_my_sessions_are_listed_with_device_and_address_and_revocable(make_user, api_client):
    user = make_user(R.OPS_DISPATCHER)
    phone = _sign_in(user, HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) 手机", REMOTE_ADDR="10.8.0.7")
    desk = _sign_in(user, HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) 桌面")
    page = desk.get("/people/account/").content.decode()
    assert "Android 14" in page and "10.8.0.7" in page and "当前会话" in page
    rows = desk.get("/api/v1/people/security/sessions").json()
    assert len(rows) == 2 and sum(r["current"] for r in rows) == 1
    phone_row = next(r for r in rows if "Android" in r["device"])
    assert desk.post(f"/people/account/sessions/{phone_row['id']}/revoke").status_code == 302
    assert phone.get("/cases/").status_code == 302  # the phone is signed out
    assert desk.get("/cases/").status_code == 200
    # Someone else's session is not one's to end (and is not revealed).
    other = make_user(R.OPS_DISPATCHER)
    _sign_in(other)
    theirs = UserSession.objects.get(user=other)
    assert desk.delete(f"/api/v1/people/security/sessions/{theirs.pk}").status_code == 404
    assert AuditEntry.objects.filter(verb="session_revoke", object_id=str(user.pk)).count() == 1


def test_security_administrator_revokes_a_persons_sessions(make_user, api_client):
    user = make_user(R.OPS_DISPATCHER)
    a, b = _sign_in(user), _sign_in(user)
    api_client.as_user(make_user(R.OPS_SHIFT_LEADER))
    assert api_client.post(f"people/security/users/{user.username}/sessions/revoke").status_code == 403
    admin = make_user(R.SECURITY_ADMIN)
    api_client.as_user(admin)
    assert len(api_client.get(f"people/security/users/{user.username}/sessions").json()) == 2
    assert api_client.post(f"people/security/users/{user.username}/sessions/revoke").json() == {"count": 2}
    assert a.get("/cases/").status_code == 302 and b.get("/cases/").status_code == 302
    page = Client()
    page.force_login(admin)
    c = _sign_in(user, REMOTE_ADDR="10.6.6.6")
    assert "10.6.6.6" in page.get(f"/people/security/?user={user.username}").content.decode()
    assert page.post(f"/people/security/users/{user.username}/sessions/revoke").status_code == 302
    assert c.get("/cases/").status_code == 302


def test_ended_session_records_are_dropped_after_the_audit_retention(make_user):
    from chengyun.people.sessions import forget_ended

    user = make_user(R.OPS_DISPATCHER)
    _sign_in(user).get("/logout/")
    _sign_in(user)
    UserSession.objects.filter(ended_at__isnull=False).update(ended_at=timezone.now() - dt.timedelta(days=181))
    assert forget_ended() == 1 and UserSession.objects.filter(user=user).count() == 1
