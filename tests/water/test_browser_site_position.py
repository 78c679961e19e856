"""Browser tests: move a monitoring section by dragging its marker on the edit form; type an
outfall's position in GCJ-02 and see the marker follow."""
import pytest
from browser_support import drag_marker, login, screenshot
from support import grid_center

from chengyun.standards import coords
from chengyun.water.models import Outfall, Section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
G1, G2, G_OTHER = "630109001001001", "630109001001002", "630109002002004"


def test_drag_a_section_to_a_new_position_and_save(page, live_server, water, make_user):
    login(page, live_server, make_user("ops_shift_leader").username)
    page.goto(f"{live_server.url}/water/sections/WQ01/")
    page.click("summary:has-text('修改断面')")
    page.wait_for_selector(".site-pick-map.loaded .leaflet-marker-icon")
    page.evaluate("() => window.chengyunSiteMap.map.setZoom(14, {animate: false})")
    page.select_option("select[name=crs]", "gcj02")  # the typed point read as GCJ-02: the marker follows
    page.wait_for_selector(".site-located:not(.muted)")
    lng, lat = grid_center(G1)
    drag_marker(page, ".site-pick-map .leaflet-marker-icon", "chengyunSiteMap", lng + 0.0065, lat)
    page.wait_for_function("(code) => document.querySelector('.site-located').textContent.includes(code)", arg=G2)
    new_lng, new_lat = float(page.input_value("input[name=lng]")), float(page.input_value("input[name=lat]"))
    assert abs(new_lng - (lng + 0.0065)) < 2e-4 and abs(new_lat - lat) < 2e-4
    assert page.input_value("select[name=crs]") == "wgs84"
    page.locator(".site-position").scroll_into_view_if_needed()
    screenshot(page, "water-section-position")
    page.click("form:has(.site-position) button.primary")
    page.wait_for_selector(".messages li.success")
    s = Section.objects.get(code="WQ01")
    assert s.grid.code == G2 and abs(s.lng - new_lng) < 1e-7 and abs(s.lat - new_lat) < 1e-7


def test_typed_gcj02_moves_the_marker_and_the_outfall(page, live_server, water, make_user):
    login(page, live_server, make_user("ops_dispatcher").username)
    page.goto(f"{live_server.url}/water/outfalls/PK01/")
    page.click("summary:has-text('修改排污口')")
    page.wait_for_selector(".site-pick-map.loaded .leaflet-marker-icon")
    lng, lat = grid_center(G_OTHER)
    x, y = coords.wgs84_to_gcj02(lng, lat)
    page.select_option("select[name=crs]", "gcj02")
    page.fill("input[name=lng]", f"{x:.7f}")
    page.fill("input[name=lat]", f"{y:.7f}")
    page.dispatch_event("input[name=lat]", "change")
    page.wait_for_selector(".site-located:not(.muted):not(.error)")
    assert G_OTHER in page.inner_text(".site-located")
    mlng, mlat = page.evaluate("() => { const p = window.chengyunSiteMap.marker.getLatLng(); return [p.lng, p.lat]; }")
    assert abs(mlng - lng) < 1e-5 and abs(mlat - lat) < 1e-5  # the marker shows the WGS84 point
    page.click("form:has(.site-position) button.primary")
    page.wait_for_selector(".messages li.success")
    o = Outfall.objects.get(code="PK01")
    assert o.grid.code == G_OTHER and abs(o.lng - lng) < 1e-5


def test_the_position_picker_on_a_phone(phone_page, live_server, water, make_user):
    login(phone_page, live_server, make_user("ops_shift_leader").username)
    phone_page.goto(f"{live_server.url}/water/sections/WQ01/")
    phone_page.click("summary:has-text('修改断面')")
    phone_page.wait_for_selector(".site-pick-map.loaded .leaflet-marker-icon")
    phone_page.locator(".site-position").scroll_into_view_if_needed()
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "water-section-position-phone")
