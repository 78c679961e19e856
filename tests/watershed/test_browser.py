"""A watershed's page as the ops centre uses it: a treatment measure refused for its quantity (the
error at the form, the input kept and marked), then registered."""
import pytest

from browser_support import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_measure_refused_at_its_field_then_registered(page, live_server, make_user, watershed, sheet):
    from chengyun.people import roles as R

    user = make_user(R.OPS_DISPATCHER)
    login(page, live_server, user.username)
    page.goto(f"{live_server.url}/watershed/{watershed.code}/")
    form = page.locator("#ws-measure-form")
    form.locator("select[name=kind]").select_option("terrace")
    form.locator("input[name=name]").fill("北坡梯田")
    form.locator("input[name=quantity]").fill("-3")
    form.locator("input[name=unit]").fill("公顷")
    form.locator("button").click()
    page.wait_for_selector("#ws-measure-form p.error")
    error = page.locator("#ws-measure-form p.error")
    assert error.inner_text().startswith("数量：")
    assert page.locator("#ws-measure-form input[name=quantity]").get_attribute("aria-invalid") == "true"
    assert page.locator("#ws-measure-form input[name=name]").input_value() == "北坡梯田"
    error.scroll_into_view_if_needed()
    screenshot(page, "watershed-measure-refused")
    assert not watershed.measures.exists()
    page.locator("#ws-measure-form input[name=quantity]").fill("12.5")
    page.locator("#ws-measure-form button").click()
    page.wait_for_selector("text=已登记治理措施：北坡梯田")
    assert watershed.measures.get().quantity == 12.5
    page.locator("#ws-measure-form").scroll_into_view_if_needed()
    screenshot(page, "watershed-measure-registered")
