"""The portfolio page draws its map, Gantt and funding chart; the charging page computes a layout
and toggles before/after coverage (vendored JS, no inline script)."""
import pytest
from portfolio_support import C11, compound, project

from browser_support import login, screenshot
from chengyun.people import roles as R

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_portfolio_map_gantt_funding(page, live_server, make_user):
    project("gas", name="燃气管网更新", lng=101.705, lat=36.505)
    project("parking", name="临时停车场", lng=101.715, lat=36.515)
    login(page, live_server, make_user(R.DEPT_HANDLER, unit="D02").username)
    page.goto(f"{live_server.url}/renewal/projects/")
    page.wait_for_selector("#pf-map.loaded", timeout=15000)
    assert page.get_attribute("#pf-map", "data-markers") == "2"
    page.wait_for_selector("#pf-gantt canvas")
    page.wait_for_selector("#pf-funding canvas")
    screenshot(page, "renewal-portfolio")


def test_charging_layout_before_and_after(phone_page, live_server, make_user):
    from chengyun.renewal.services import charging

    compound("XQA", C11, households=400, lng=101.705, lat=36.505)
    charging.add_site(None, code="CS1", name="候选一", lng=101.7052, lat=36.5052, capacity=50, community=C11)
    charging.add_site(None, code="CS2", name="候选二", lng=101.79, lat=36.59, capacity=30)
    login(phone_page, live_server, make_user(R.DEPT_HANDLER, unit="D02").username)
    phone_page.goto(f"{live_server.url}/renewal/charging/")
    phone_page.wait_for_selector("#cp-map.loaded", timeout=15000)
    cards = phone_page.inner_text("#cp-summary")
    assert "40" in cards and "100%" in cards  # 400 households × 1.0 × 10 % = 40 chargers, all within reach of CS1
    after = int(phone_page.get_attribute("#cp-map", "data-markers"))
    phone_page.check("input[name=view][value=before]")
    assert phone_page.get_attribute("#cp-map", "data-view") == "before"
    # Before: the demand point only (no station yet); after: the point, the new site and its radius.
    assert int(phone_page.get_attribute("#cp-map", "data-markers")) == 1 < after
    screenshot(phone_page, "renewal-charging-phone")
