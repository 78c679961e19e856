"""The TOTP second factor for the configured roles: enrolment by a locally drawn QR code, the
verify step at sign-in, recovery codes, reset by the security administrator."""
import io
import re

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.people.models import AccountSecurity

pytestmark = pytest.mark.django_db
MFA = override_settings(TWO_FACTOR_ROLES=frozenset({R.SYSADMIN, R.SECURITY_ADMIN, R.AUDITOR, R.DISTRICT_LEADER}))


def _sign_in(user) -> Client:
    c = Client()
    assert c.post("/login/", {"username": user.username, "password": "pw-test-123"}).status_code == 302
    return c


def test_production_default_asks_administrators_leaders_and_the_three_admins():
    import chengyun.settings as production

    assert production.TWO_FACTOR_ROLES == {R.SYSADMIN, R.SECURITY_ADMIN, R.AUDITOR, R.DISTRICT_LEADER}


@MFA
def test_enrol_verify_recover_and_reset(make_user):
    admin = make_user(R.SYSADMIN)
    c = _sign_in(admin)
    # Nothing else opens until the factor is enrolled; the API says so in JSON.
    r = c.get("/cases/")
    assert r.status_code == 302 and r["Location"] == "/people/account/mfa/enrol/"
    assert c.get("/api/v1/people/me").json()["code"] == "mfa_required"
    page = c.get("/people/account/mfa/enrol/").content.decode()
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org/2000/svg", "")
    secret = AccountSecurity.objects.get(user=admin).totp_secret
    assert secret in page
    r = c.post("/people/account/mfa/enrol/", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert r.status_code == 422 and "动态验证码不正确" in r.content.decode()
    secret = AccountSecurity.objects.get(user=admin).totp_secret
    r = c.post("/people/account/mfa/enrol/", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>(\d{10})</code>", r.content.decode())
    assert r.status_code == 200 and len(codes) == 10
    sec = AccountSecurity.objects.get(user=admin)
    assert sec.totp_enabled and codes[0] not in str(sec.recovery_codes)  # stored hashed
    assert c.get("/cases/").status_code == 200
    # The next sign-in asks for the code.
    c2 = _sign_in(admin)
    r = c2.get("/cases/")
    assert r["Location"] == "/people/account/mfa/verify/"
    # A password alone neither shows the secret again nor changes the password.
    r = c2.get("/people/account/mfa/enrol/?again=1")
    assert r.status_code == 302 and r["Location"] == "/people/account/mfa/verify/"
    assert c2.get("/people/account/password/")["Location"] == "/people/account/mfa/verify/"
    assert c2.post("/people/account/mfa/verify/", {"code": "12345"}).status_code == 422
    # The code of the step already used at enrolment is not accepted again (replay).
    assert c2.post("/people/account/mfa/verify/", {"code": pyotp.TOTP(secret).now()}).status_code == 422
    assert c2.post("/people/account/mfa/verify/", {"code": codes[0]}).status_code == 302
    assert c2.get("/cases/").status_code == 200
    c3 = _sign_in(admin)
    assert c3.post("/people/account/mfa/verify/", {"code": codes[0]}).status_code == 422  # used up
    assert len(AccountSecurity.objects.get(user=admin).recovery_codes) == 9
    verbs = set(AuditEntry.objects.filter(object_repr=admin.username).values_list("verb", flat=True))
    assert {"mfa_enrol", "mfa_failed", "mfa_verified", "mfa_recovery_code_used"} <= verbs
    # Lost phone: the security administrator resets; the next sign-in enrols again.
    assert c.post(f"/people/security/users/{admin.username}/mfa/reset").status_code == 403  # 三员: not the sysadmin's
    assert AccountSecurity.objects.get(user=admin).totp_enabled
    call_command("security", "reset-2fa", admin.username, stdout=io.StringIO())
    assert not AccountSecurity.objects.get(user=admin).totp_enabled
    assert _sign_in(admin).get("/cases/")["Location"] == "/people/account/mfa/enrol/"


@MFA
def test_roles_outside_the_setting_sign_in_with_a_password(make_user):
    c = _sign_in(make_user(R.OPS_DISPATCHER))
    assert c.get("/cases/").status_code == 200


@override_settings(TWO_FACTOR_ROLES=frozenset({R.OPS_DISPATCHER}))
def test_the_roles_are_configurable(make_user):
    c = _sign_in(make_user(R.OPS_DISPATCHER))
    assert c.get("/cases/")["Location"] == "/people/account/mfa/enrol/"


@MFA
@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_wrong_codes_count_toward_the_lockout(make_user):
    leader = make_user(R.DISTRICT_LEADER)
    c = _sign_in(leader)
    c.get("/people/account/mfa/enrol/")
    secret = AccountSecurity.objects.get(user=leader).totp_secret
    c.post("/people/account/mfa/enrol/", {"code": pyotp.TOTP(secret).now()})
    c2 = _sign_in(leader)
    for _ in range(2):
        assert c2.post("/people/account/mfa/verify/", {"code": "999999x"}).status_code == 422
    r = c2.post("/people/account/mfa/verify/", {"code": "999999x"})
    assert r.status_code == 302 and r["Location"] == "/login/"  # locked: signed out
    assert Client().post("/login/", {"username": leader.username, "password": "pw-test-123"}).status_code == 429
