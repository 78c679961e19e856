import pytest

from chengyun.people import roles as R
from support import DIVISION

from browser_support import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_open_the_map_see_the_grids_click_one(page, live_server, make_user):
    worker = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[f"{DIVISION}001001001"])
    dispatcher = make_user(R.OPS_DISPATCHER)
    login(page, live_server, dispatcher.username)
    page.click("nav.mainnav >> text=一张图")
    page.wait_for_selector("#map.loaded", timeout=15000)
    assert page.get_attribute("#map", "data-grid-count") == "16"
    assert page.evaluate("() => window.chengyunMap.grids.getLayers().length") == 16
    # Click the middle of the first grid: its code, community and assigned worker appear.
    page.evaluate("""() => { const m = window.chengyunMap; m.grids.eachLayer(l => {
        if (l.feature.properties.code === '630109001001001') { l.fire('click'); } }); }""")
    page.wait_for_selector(".grid-code")
    panel = page.inner_text("#grid-info")
    assert "630109001001001" in panel and "第1街道第1社区" in panel and worker.person.name in panel
    screenshot(page, "map-grid-selected")


def test_map_click_on_screen(page, live_server, make_user):
    login(page, live_server, make_user(R.OPS_SHIFT_LEADER).username)
    page.goto(f"{live_server.url}/geo/map/")
    page.wait_for_selector("#map.loaded", timeout=15000)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".grid-code")
    assert page.inner_text(".grid-code").startswith(DIVISION)


def test_map_on_a_phone(phone_page, live_server, make_user):
    login(phone_page, live_server, make_user(R.COMMUNITY_GRID_WORKER, unit="S01").username)
    phone_page.goto(f"{live_server.url}/geo/map/")
    phone_page.wait_for_selector("#map.loaded", timeout=15000)
    screenshot(phone_page, "map-phone")
    assert phone_page.locator(".nav-toggle").is_visible()
