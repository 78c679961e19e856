"""Password policy, the strongest hasher, the forced change of an administrator-made password, expiry."""
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.people.models import AccountSecurity, UserSession

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password, code", [
    ("Ab1!", "password_too_short"),
    ("alllowercaseletters", "password_too_simple"),
    ("lower-and-digits-9", None),  # lower + digit + symbol: three classes
    ("Password123", "password_too_common"),
    ("Zhangsan#2026", "password_contains_username"),
])
def test_password_policy(password, code):
    user = get_user_model()(username="zhangsan")
    if code is None:
        validate_password(password, user)
        return
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user)
    assert code in [e.code for e in exc.value.error_list]


@override_settings(AUTH_PASSWORD_VALIDATORS=[{"NAME": "chengyun.people.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 4}}])
def test_the_number_of_character_classes_is_configurable():
    with pytest.raises(ValidationError):
        validate_password("lower-and-digits-9")
    validate_password("Lower-and-digits-9")


def test_production_settings_hash_with_argon2_and_still_verify_old_pbkdf2_hashes():
    import chengyun.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in production.PASSWORD_HASHERS
    assert "MD5" not in " ".join(production.PASSWORD_HASHERS)  # MD5 is the test suite's, for speed
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        new = make_password("Strong-pass-1")
        assert identify_hasher(new).algorithm == "argon2" and check_password("Strong-pass-1", new)
        old = make_password("Strong-pass-1", hasher="pbkdf2_sha256")
        user = get_user_model().objects.create(username="legacy", password=old)
        assert user.check_password("Strong-pass-1")  # verifies, and Django upgrades the hash
        user.refresh_from_db()
        assert identify_hasher(user.password).algorithm == "argon2"


def test_administrator_refuses_a_weak_password_with_a_chinese_message(make_user, api_client):
    api_client.as_user(make_user(R.SYSADMIN))
    r = api_client.post("people/", {"name": "王五", "unit": "S01", "roles": [R.STREET_CHIEF], "username": "wangwu", "password": "12345678"})
    assert r.status_code == 422 and r.json()["code"] == "weak_password" and "密码不符合要求" in r.json()["message"]
    assert not get_user_model().objects.filter(username="wangwu").exists()


def test_an_account_made_by_the_administrator_changes_its_password_at_first_sign_in(make_user, api_client):
    api_client.as_user(make_user(R.SYSADMIN))
    r = api_client.post("people/", {"name": "王五", "unit": "S01", "roles": [R.STREET_CHIEF], "username": "wangwu", "password": "Given-by-admin-1"})
    assert r.status_code == 201
    c = Client()
    r = c.post("/login/", {"username": "wangwu", "password": "Given-by-admin-1"})
    assert r.status_code == 302
    r = c.get("/cases/")
    assert r.status_code == 302 and r["Location"] == "/people/account/password/"
    assert c.get("/api/v1/cases/").json()["code"] == "password_change_required"
    page = c.get("/people/account/password/").content.decode()
    assert "首次登录须设置自己的密码" in page
    r = c.post("/people/account/password/", {"old_password": "Given-by-admin-1", "new_password1": "weak", "new_password2": "weak"})
    assert r.status_code == 200 and AccountSecurity.objects.get(user__username="wangwu").must_change_password
    r = c.post("/people/account/password/", {"old_password": "Given-by-admin-1", "new_password1": "Mine-now-2026", "new_password2": "Mine-now-2026"})
    assert r.status_code == 302
    assert c.get("/cases/").status_code == 200  # the session survives the change
    assert UserSession.objects.filter(user__username="wangwu", ended_at__isnull=True).count() == 1
    sec = AccountSecurity.objects.get(user__username="wangwu")
    assert not sec.must_change_password and sec.password_changed_at is not None
    assert AuditEntry.objects.filter(verb="password_change", object_repr="wangwu").exists()


def test_password_expiry_is_off_by_default_and_configurable(make_user):
    user = make_user(R.OPS_DISPATCHER)
    get_user_model().objects.filter(pk=user.pk).update(date_joined=timezone.now() - dt.timedelta(days=100))
    c = Client()
    c.post("/login/", {"username": user.username, "password": "pw-test-123"})
    assert c.get("/cases/").status_code == 200
    with override_settings(PASSWORD_MAX_AGE_DAYS=90):
        r = c.get("/cases/")
        assert r.status_code == 302 and r["Location"] == "/people/account/password/"
        AccountSecurity.objects.create(user=user, password_changed_at=timezone.now() - dt.timedelta(days=10))
        assert c.get("/cases/").status_code == 200


def test_changing_the_password_keeps_this_session_verified_and_ends_the_others(make_user):
    from chengyun.people.models import UserSession

    user = make_user(R.DISTRICT_LEADER)
    other, c = Client(), Client()
    for client in (other, c):
        assert client.post("/login/", {"username": user.username, "password": "pw-test-123"}).status_code == 302
    UserSession.objects.filter(user=user).update(mfa_verified=True)
    with override_settings(TWO_FACTOR_ROLES=frozenset({R.DISTRICT_LEADER})):
        r = c.post("/people/account/password/", {"old_password": "pw-test-123", "new_password1": "Leader-new-2026", "new_password2": "Leader-new-2026"})
        assert r.status_code == 302
        assert c.get("/cases/").status_code == 200  # no second-factor step again
        assert other.get("/cases/").status_code == 302  # signed out elsewhere
    assert list(UserSession.objects.filter(user=user).values_list("end_reason", flat=True).order_by("pk")) == ["password", ""]


def test_generated_passwords_pass_the_policy():
    from chengyun.people.passwords import generate

    user = get_user_model()(username="someone")
    for _ in range(50):
        validate_password(generate(), user)


def test_a_generated_first_password_is_shown_once_and_changed_at_first_sign_in(make_user, api_client):
    import io

    from django.core.management import call_command

    api_client.as_user(make_user(R.SYSADMIN))
    r = api_client.post("people/", {"name": "周九", "unit": "S01", "roles": [R.STREET_CHIEF], "username": "zhoujiu"})
    first = r.json()["initial_password"]
    assert r.status_code == 201 and first and first not in str(AuditEntry.objects.values_list("after", flat=True))
    assert api_client.get(f"people/{r.json()['id']}").json().get("initial_password") is None
    c = Client()
    assert c.post("/login/", {"username": "zhoujiu", "password": first}).status_code == 302
    assert c.get("/cases/")["Location"] == "/people/account/password/"
    # Lost again: the administrator's CLI hands out a new one, ends the sessions, forces a change.
    out = io.StringIO()
    call_command("security", "reset-password", "zhoujiu", stdout=out)
    second = out.getvalue().strip()
    assert second != first and c.get("/cases/").status_code == 302
    c2 = Client()
    assert c2.post("/login/", {"username": "zhoujiu", "password": second}).status_code == 302
    assert c2.get("/cases/")["Location"] == "/people/account/password/"
    assert AuditEntry.objects.filter(verb="password_reset", object_repr="zhoujiu").exists()
