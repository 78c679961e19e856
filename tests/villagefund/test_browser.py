"""The application wizard as a village cadre would use it, and the public disclosure page."""
import datetime as dt

import pytest

from browser_support import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _meeting(page, kind, held_on, entitled, present, agree):
    page.fill(f"input[name={kind}_held_on]", held_on)
    page.fill(f"input[name={kind}_entitled]", str(entitled))
    page.fill(f"input[name={kind}_present]", str(present))
    page.fill(f"input[name={kind}_agree]", str(agree))


def test_the_wizard_refuses_a_meeting_below_quorum_then_submits(page, live_server, fund):
    from chengyun.villagefund.models import Project

    login(page, live_server, fund.cadre.username)
    page.goto(f"{live_server.url}/villagefund/apply/")
    page.fill("input[name=name]", "上庄村冷链仓储库")
    page.select_option("select[name=model]", "property")
    page.fill("input[name=amount_wan]", "80")
    page.fill("input[name=period_start]", "2026-07-01")
    page.fill("input[name=period_end]", "2026-12-31")
    page.fill("textarea[name=plan]", "新建 500 吨冷库一座，出租给合作社，租金归村集体。")
    screenshot(page, "villagefund-wizard-1")
    page.click("text=保存，下一步")
    page.wait_for_selector("#vf-wizard-2")
    items = page.locator("input[name=item]")
    amounts = page.locator("input[name=item_amount]")
    items.nth(0).fill("冷库主体工程")
    amounts.nth(0).fill("60")
    items.nth(1).fill("制冷设备")
    amounts.nth(1).fill("30")
    page.fill("input[name=self_funds_wan]", "10")
    page.fill("input[name=expected_return_wan]", "6.4")
    page.click("text=保存，下一步")
    page.wait_for_selector("#vf-wizard-3")
    _meeting(page, "committees", "2026-05-06", 7, 7, 7)
    _meeting(page, "party", "2026-05-10", 40, 33, 31)
    _meeting(page, "representatives", "2026-05-15", 30, 19, 17)
    page.click("text=保存并提交申报")
    page.wait_for_selector("ul.messages li.error")
    message = page.locator("ul.messages li.error").inner_text()
    assert "村民代表会议未达到法定人数" in message and "实到 19 人" in message
    screenshot(page, "villagefund-wizard-below-quorum")
    p = Project.objects.get()
    assert p.state == "draft" and not p.meetings.exists()
    page.fill("input[name=representatives_present]", "21")
    page.click("text=保存并提交申报")
    page.wait_for_selector("text=已提交申报")
    screenshot(page, "villagefund-project-submitted")
    p.refresh_from_db()
    assert p.state == "submitted" and p.meetings.count() == 3 and len(p.budget) == 2


def test_the_public_page_without_signing_in(page, live_server, fund, make_project, advance):
    from chengyun.villagefund import services

    shown = advance(make_project(name="上庄村光伏电站"), "publicity")
    services.raise_objection(fund.cadre, shown, content="占用承包地", objector="李某某")
    advance(make_project(name="尚在审核的项目"), "joint_review")
    advance(make_project(village=fund.v2, name="红崖村冷库"), "operating")
    page.goto(f"{live_server.url}/villagefund/public/")
    rows = page.locator("table.public tbody tr")
    assert rows.count() == 2
    text = page.locator("table.public").inner_text()
    assert "上庄村光伏电站" in text and "红崖村冷库" in text and "公示中" in text
    assert "尚在审核的项目" not in text and "李某某" not in page.content()
    assert page.locator("nav.mainnav").count() == 0  # nobody is signed in
    screenshot(page, "villagefund-public")


def test_on_a_phone_a_refused_budget_keeps_every_line(phone_page, live_server, fund, make_project):
    """A village cadre types the budget on a phone, mistypes one amount: the page says which line, nothing is lost."""
    page = phone_page
    p = make_project(amount=80)
    login(page, live_server, fund.cadre.username)
    page.goto(f"{live_server.url}/villagefund/projects/{p.pk}/wizard/2/")
    page.fill("input[name=self_funds_wan]", "10")
    page.fill("input[name=expected_return_wan]", "6.4")
    items, amounts = page.locator("input[name=item]"), page.locator("input[name=item_amount]")
    items.nth(0).fill("冷库主体工程")
    amounts.nth(0).fill("60")
    items.nth(1).fill("制冷设备")
    amounts.nth(1).fill("三十")
    page.click("text=保存，下一步")
    error = page.locator("#vf-wizard-2 p.error")
    error.wait_for()
    assert "预算明细第 2 行 · 金额（万元）" in error.inner_text()
    assert page.input_value("input[name=self_funds_wan]") == "10" and page.input_value("input[name=expected_return_wan]") == "6.4"
    assert items.nth(0).input_value() == "冷库主体工程" and items.nth(1).input_value() == "制冷设备"
    assert amounts.nth(1).input_value() == "三十" and amounts.nth(1).get_attribute("aria-invalid") == "true"
    screenshot(page, "villagefund-wizard-budget-refused-phone")
    p.refresh_from_db()
    assert p.budget == [{"item": "工程建设", "amount_wan": "80.00"}]
    amounts.nth(1).fill("30")
    page.click("text=保存，下一步")
    page.wait_for_selector("#vf-wizard-3")
    p.refresh_from_db()
    assert [line["item"] for line in p.budget] == ["冷库主体工程", "制冷设备"] and p.self_funds_wan == 10


def test_a_refused_payment_keeps_the_form_and_says_which_field(page, live_server, fund, make_project, advance, today):
    from chengyun.villagefund.models import Payment

    p = advance(make_project(amount=100), "publicity")
    today.set(p.publicity_end + dt.timedelta(days=1))
    login(page, live_server, fund.officer.username)
    page.goto(f"{live_server.url}/villagefund/projects/{p.pk}/")
    form = page.locator("#vf-payment")
    form.locator("input[name=amount_wan]").fill("45")
    form.locator("select[name=kind]").select_option("prepay")
    form.locator("input[name=voucher]").fill("CZ-2026-118")
    form.locator("input[name=paid_on]").fill((p.publicity_end + dt.timedelta(days=1)).isoformat())
    form.locator("button").click()
    error = page.locator("#vf-payment p.error")
    error.wait_for()
    assert "金额（万元）" in error.inner_text() and "预拨累计" in error.inner_text()
    assert form.locator("input[name=amount_wan]").input_value() == "45" and form.locator("input[name=voucher]").input_value() == "CZ-2026-118"
    assert form.locator("input[name=amount_wan]").get_attribute("aria-invalid") == "true"
    form.scroll_into_view_if_needed()
    screenshot(page, "villagefund-payment-refused")
    assert not Payment.objects.exists()
    form.locator("input[name=amount_wan]").fill("30")
    form.locator("button").click()
    page.wait_for_selector("text=已保存")
    assert Payment.objects.get().amount_wan == 30
