"""Property governance in the browser: the coverage map and campaign board draw; a community grid
worker fills the assessment form on a phone, is refused a score above an item's maximum, then
submits."""
import datetime as dt
import sys
from pathlib import Path

import pytest

from browser_support import login, screenshot
from chengyun.people import roles as R

sys.path.insert(0, str(Path(__file__).parent.parent / "property"))
from property_helpers import G1, make_compound  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coverage_map_and_board(page, live_server, make_user):
    from chengyun.property import services

    make_compound(G1, "XQ-P")
    for i in range(3):
        f = services.open_file(None, make_compound(G1, f"XQ-N{i}", mode="none"), target_date=dt.date.today() + dt.timedelta(days=60),
                               owner_unit="S01")
        for step in (("choose_path", "start", "report", "close"), ("choose_path",), ())[i]:
            f = services.transition(None, f, step, path="market", note="完成")
    login(page, live_server, make_user(R.DISTRICT_LEADER).username)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/property/")
    page.wait_for_timeout(3000)
    assert not errors, errors
    page.wait_for_selector("#coverage-map.loaded", timeout=15000)
    page.wait_for_selector("#coverage-series canvas")
    assert page.locator(".campaign-card").count() == 3
    assert "50.0%" in page.inner_text(".property-figures")
    screenshot(page, "property-coverage")


def test_assessment_form_on_a_phone(phone_page, live_server, make_user):
    from chengyun.property.models import Assessment

    c = make_compound(G1, "XQ-A")
    login(phone_page, live_server, make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[G1]).username)
    phone_page.goto(f"{live_server.url}/property/assess/")
    phone_page.select_option("select[name=compound]", c.code)
    for name, value in (("infrastructure", "20"), ("safety", "14"), ("response", "12"), ("co_governance", "12"), ("fees", "7")):
        phone_page.fill(f"input[name=score_{name}]", value)
    phone_page.fill("input[name=survey_sample]", "30")
    phone_page.fill("input[name=survey_phone]", "3")
    phone_page.fill("input[name=survey_satisfied]", "27")
    phone_page.click("button[type=submit]")
    phone_page.wait_for_selector("text=电话代答 3 户超过样本的 5%")
    assert not Assessment.objects.exists()
    error = phone_page.locator("#assess-form p.error")
    assert "其中电话代答户数" in error.inner_text()
    assert phone_page.input_value("input[name=survey_phone]") == "3" and phone_page.get_attribute("input[name=survey_phone]", "aria-invalid") == "true"
    assert phone_page.input_value("input[name=score_safety]") == "14" and phone_page.input_value("input[name=survey_satisfied]") == "27"
    phone_page.locator("input[name=survey_phone]").scroll_into_view_if_needed()
    screenshot(phone_page, "property-assess-phone-refused")
    phone_page.fill("input[name=survey_phone]", "1")
    screenshot(phone_page, "property-assess-phone")
    phone_page.click("button[type=submit]")
    phone_page.wait_for_selector("text=已提交")
    assert Assessment.objects.get().total == 86.6
