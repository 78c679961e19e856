"""Lockout after repeated failures: per account, per client address, per API token and Open311
api_key; lock and unlock audited; the security administrator unlocks (page, API, CLI)."""
import io
import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.people.models import Lockout

pytestmark = pytest.mark.django_db


def _fail(c, username, n, **extra):
    """n failed sign-ins; each from its own address unless REMOTE_ADDR is given (so that only
    the account's count grows)."""
    for _ in range(n):
        c.post("/login/", {"username": username, "password": "wrong"}, **{"REMOTE_ADDR": f"10.0.0.{next(_addresses)}", **extra})


_addresses = itertools.count(1)


def test_five_failures_lock_the_account_for_thirty_minutes_by_default(make_user):
    from django.conf import settings

    assert (settings.LOGIN_THROTTLE_ATTEMPTS, settings.LOGIN_THROTTLE_WINDOW_SECONDS, settings.LOGIN_LOCKOUT_SECONDS) == (5, 900, 1800)
    user = make_user(R.OPS_ACCEPTOR)
    c = Client()
    _fail(c, user.username, 4)
    assert c.post("/login/", {"username": user.username, "password": "pw-test-123"}).status_code == 302  # 4 < 5: not locked
    c.get("/logout/")
    _fail(c, user.username, 5)
    # Locked: even the right password, even from another address, is refused.
    r = Client().post("/login/", {"username": user.username, "password": "pw-test-123"}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 429 and "登录失败次数过多" in r.content.decode() and "30 分钟" in r.content.decode()
    lock = Lockout.objects.get(kind="account", subject=user.username)
    assert lock.failures == 5
    assert AuditEntry.objects.filter(verb="lock", object_type="people.lockout").count() == 1
    assert AuditEntry.objects.filter(verb="login_failed", object_repr=user.username).count() == 9


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_failures_from_one_address_lock_the_address_across_usernames(make_user):
    victim = make_user(R.OPS_ACCEPTOR)
    c = Client(REMOTE_ADDR="10.1.2.3")
    for name in ("a1", "a2", "a3"):
        _fail(c, name, 1, REMOTE_ADDR="10.1.2.3")
    assert Lockout.objects.get(kind="address", subject="10.1.2.3").locked_until is not None
    r = c.post("/login/", {"username": victim.username, "password": "pw-test-123"}, REMOTE_ADDR="10.1.2.3")
    assert r.status_code == 429
    assert Client().post("/login/", {"username": victim.username, "password": "pw-test-123"}, REMOTE_ADDR="10.9.9.9").status_code == 302


@override_settings(LOGIN_THROTTLE_ATTEMPTS=2)
def test_security_administrator_unlocks_by_page_and_api_and_the_cli_too(make_user, api_client):
    user = make_user(R.OPS_ACCEPTOR)
    _fail(Client(), user.username, 2)
    lock = Lockout.objects.get(kind="account", subject=user.username)
    # Not for everyone: a dispatcher may not.
    dispatcher = Client()
    dispatcher.force_login(make_user(R.OPS_DISPATCHER))
    assert dispatcher.post(f"/people/security/locks/{lock.pk}/unlock").status_code == 403
    secadmin = make_user(R.SECURITY_ADMIN)
    page = Client()
    page.force_login(secadmin)
    assert user.username in page.get("/people/security/").content.decode()
    assert page.post(f"/people/security/locks/{lock.pk}/unlock").status_code == 302
    assert not Lockout.objects.filter(pk=lock.pk).exists()
    assert Client().post("/login/", {"username": user.username, "password": "pw-test-123"}).status_code == 302
    unlock = AuditEntry.objects.get(verb="unlock")
    assert unlock.actor == secadmin and unlock.before["subject"] == user.username
    # API
    _fail(Client(), user.username, 2)
    api_client.as_user(secadmin)
    locks = api_client.get("people/security/lockouts").json()
    assert [lk["subject"] for lk in locks if lk["kind"] == "account"] == [user.username]
    lock_id = next(lk["id"] for lk in locks if lk["kind"] == "account")
    assert api_client.post(f"people/security/lockouts/{lock_id}/unlock").status_code == 204
    # CLI
    _fail(Client(), user.username, 2)
    out = io.StringIO()
    call_command("security", "unlock", "--account", user.username.upper(), stdout=out)
    assert "已解除锁定" in out.getvalue() and not Lockout.objects.filter(kind="account", subject=user.username).exists()
    with pytest.raises(CommandError):
        call_command("security", "unlock", "--account", "nobody")
    assert AuditEntry.objects.filter(verb="unlock").count() == 3


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_wrong_bearer_tokens_lock_the_token_prefix_and_the_address(district, make_user, client):
    from chengyun.people import services

    user = make_user(R.OPS_DISPATCHER)
    _, key = services.create_token(None, user.username)
    wrong = key[:10] + "x" * 20
    for _ in range(3):
        assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {wrong}").status_code == 401
    # The prefix is locked (and so is the address): the genuine key is refused for now.
    assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert Lockout.objects.filter(kind="token", subject=key[:10], locked_until__isnull=False).exists()
    assert Lockout.objects.filter(kind="address", subject="127.0.0.1", locked_until__isnull=False).exists()
    assert AuditEntry.objects.filter(verb="token_failed").count() == 3
    call_command("security", "unlock", "--token", key[:10], stdout=io.StringIO())
    call_command("security", "unlock", "--address", "127.0.0.1", stdout=io.StringIO())
    assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_wrong_open311_api_keys_lock_out_too(district, make_user, client):
    from chengyun.people import services

    user = make_user(R.COMMUNITY_GRID_WORKER, unit="S01")
    _, key = services.create_token(None, user.username)
    for _ in range(3):
        r = client.get("/open311/v2/requests.json", {"api_key": key[:10] + "wrong"}, REMOTE_ADDR="10.3.3.3")
        assert r.status_code == 403
    r = client.get("/open311/v2/requests.json", {"api_key": key}, REMOTE_ADDR="10.3.3.3")
    assert r.status_code == 403 and "锁定" in r.json()[0]["description"]
    assert client.get("/open311/v2/requests.json", {"api_key": key}, REMOTE_ADDR="10.4.4.4").status_code == 403  # the prefix too


def test_stale_counters_are_forgotten_and_active_locks_kept(make_user):
    import datetime as dt

    from django.utils import timezone

    from chengyun.people.tasks import forget_stale_sign_in_records

    _fail(Client(), "someone", 1)
    _fail(Client(), "locked-one", 5)
    Lockout.objects.update(last_failure_at=timezone.now() - dt.timedelta(hours=1))
    result = forget_stale_sign_in_records.call_local()
    assert result["lockouts"] >= 1
    assert list(Lockout.objects.values_list("subject", flat=True)) == ["locked-one"]
