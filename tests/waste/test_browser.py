"""The waste write pages in a real browser: a street chief names a demonstration area from the
dashboard's button, takes a compound into it, and a refused date comes back named and outlined."""
import datetime as dt

import pytest

from browser_support import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_name_an_area_and_take_a_compound_into_it(page, live_server, district, units, make_user):
    from chengyun.geo.models import Community, Compound
    from chengyun.waste.models import DemoArea, SortingCompound

    community = Community.objects.order_by("code").first()
    Compound.objects.create(code="XQ-B1", name="浏览器小区", community=community, households=120)
    chief = make_user("street_chief", unit="S01", streets=[community.street.code])
    login(page, live_server, chief.username)
    page.goto(f"{live_server.url}/waste/")
    page.click("#area-new")
    page.fill("input[name=code]", "PQ-B1")
    page.fill("input[name=name]", "河滨示范片区")
    page.fill("input[name=designated_on]", "2026-05-01")
    screenshot(page, "waste-area-form")
    page.click("#area-form button.primary")
    page.wait_for_url(f"{live_server.url}/waste/")
    assert "河滨示范片区" in page.content()
    assert DemoArea.objects.filter(code="PQ-B1", street=community.street).exists()

    page.click("#compound-enrol")
    page.select_option("select[name=compound]", "XQ-B1")
    page.select_option("select[name=demo_area]", "PQ-B1")
    page.fill("input[name=joined_area_on]", "2026-04-01")  # before the area was named
    page.click("#enrol-form button.primary")
    alert = page.locator("p.error[role=alert]")
    assert alert.get_attribute("data-field") == "joined_area_on" and "纳入片区日期" in alert.inner_text()
    assert page.get_attribute("input[name=joined_area_on]", "aria-invalid") == "true"
    assert page.input_value("select[name=demo_area]") == "PQ-B1"
    screenshot(page, "waste-enrol-refused")
    assert not SortingCompound.objects.exists()
    page.fill("input[name=joined_area_on]", dt.date.today().isoformat())
    page.click("#enrol-form button.primary")
    page.wait_for_url(f"{live_server.url}/waste/compounds/?q=XQ-B1")
    assert SortingCompound.objects.get(compound__code="XQ-B1").demo_area.code == "PQ-B1"
