"""Browser tests: enrolling the second factor on a phone, the account page, the security
administrator's page, and revealing a reporter's phone on a case."""
import pyotp
import pytest
from browser_support import login, screenshot
from django.test import override_settings

from chengyun.people import roles as R
from chengyun.people.models import AccountSecurity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(TWO_FACTOR_ROLES=frozenset({R.DISTRICT_LEADER}))
def test_a_leader_enrols_the_second_factor_on_a_phone(browser, live_server, make_user):
    leader = make_user(R.DISTRICT_LEADER)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", leader.username)
        page.fill("input[name=password]", "pw-test-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/people/account/mfa/enrol/")
        assert page.locator(".qr svg").is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        screenshot(page, "mfa-enrol-phone")
        secret = AccountSecurity.objects.get(user=leader).totp_secret
        page.fill("input[name=code]", pyotp.TOTP(secret).now())
        page.click("button.primary")
        assert page.locator(".recovery-codes li").count() == 10
        page.click("text=我已保存，继续")
        page.wait_for_url("**/cockpit/")  # a leader's home is the cockpit
        page.goto(f"{live_server.url}/people/account/")
        assert "已启用" in page.inner_text("main") and "当前会话" in page.inner_text("main")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        screenshot(page, "account-phone")
    finally:
        context.close()


def test_security_administrator_lifts_a_lock(browser, live_server, make_user):
    from django.test import Client

    victim = make_user(R.OPS_ACCEPTOR)
    c = Client()
    for i in range(5):
        c.post("/login/", {"username": victim.username, "password": "wrong"}, REMOTE_ADDR=f"10.9.0.{i + 1}")
    admin = make_user(R.SECURITY_ADMIN)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        login(page, live_server, admin.username)
        page.goto(f"{live_server.url}/people/security/")
        row = page.locator("tr", has_text=victim.username)
        assert row.count() == 1
        screenshot(page, "security-admin")
        row.locator("button").click()
        page.wait_for_load_state()
        assert "已解除锁定" in page.inner_text("main") and page.locator("tr", has_text=victim.username).count() == 0
    finally:
        page.close()


def test_a_dispatcher_reveals_a_reporters_phone_deliberately(browser, live_server, make_user):
    from support import grid_center

    from chengyun.cases import services
    from chengyun.core.models import AuditEntry

    acceptor = make_user(R.OPS_ACCEPTOR)
    dispatcher = make_user(R.OPS_DISPATCHER)
    lng, lat = grid_center("630109001001001")
    case = services.report(acceptor, source="hotline", category_code="0113", lng=lng, lat=lat, description="井盖缺失",
                           reporter_name="张三", reporter_phone="13812341234")
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        login(page, live_server, dispatcher.username)
        page.goto(f"{live_server.url}/cases/{case.pk}/")
        assert page.inner_text(".reporter-phone") == "138****1234" and page.inner_text(".reporter-name") == "张*"
        page.click("text=查看完整信息")
        page.wait_for_load_state()
        assert page.inner_text(".reporter-phone") == "13812341234"
        screenshot(page, "case-reporter-revealed")
        assert AuditEntry.objects.filter(verb="reveal_personal_data", actor=dispatcher).count() == 1
    finally:
        page.close()
