"""Drawing on the map in a real browser: a night-economy zone clicked vertex by vertex (and one
vertex dragged), and a road segment drawn along a street; both saved through the services."""
import json

import pytest
from shapely.geometry import Point, shape
from streets_support import Y

from browser_support import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def click_at(page, lng, lat):
    """Click the draw map where (lng, lat) is (the map scrolled into view first: a mouse click does not scroll)."""
    page.locator("#draw-map").scroll_into_view_if_needed()
    x, y = page.evaluate("([lng, lat]) => { const p = window.chengyunDraw.map.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }", [lng, lat])
    box = page.locator("#draw-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_draw_a_zone(page, live_server, streets, night):
    from chengyun.streets.models import NightZone

    login(page, live_server, streets.ops.username)
    page.goto(f"{live_server.url}/streets/night/")
    page.click("#zone-new")
    page.wait_for_selector("#draw-map.loaded")
    page.fill("input[name=code]", "ZB1")
    page.fill("input[name=name]", "湟水路医院门前")
    page.select_option("select[name=kind]", "controlled")
    corners = [(101.7060, Y - 0.0003), (101.7075, Y - 0.0003), (101.7075, Y + 0.0003), (101.7060, Y + 0.0003)]
    for lng, lat in corners:
        click_at(page, lng, lat)
    assert page.get_attribute(".draw-box", "data-vertices") == "4"
    assert "4" in page.inner_text(".draw-status")
    drawn = json.loads(page.input_value("input[name=geometry]"))
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 5
    # Undo the last vertex and put it back a little further out.
    page.click("button[data-draw=undo]")
    assert page.get_attribute(".draw-box", "data-vertices") == "3"
    click_at(page, 101.7058, Y + 0.0004)
    screenshot(page, "streets-zone-drawn")
    page.click("#zone-form button.primary")
    page.wait_for_url(f"{live_server.url}/streets/night/")
    zone = NightZone.objects.get(code="ZB1")
    area = shape(json.loads(zone.geometry))
    assert zone.kind == "controlled" and area.covers(Point(101.7067, Y)) and not area.covers(Point(101.7080, Y))
    assert abs(area.bounds[0] - 101.7058) < 0.00005  # the moved vertex, as clicked
    page.wait_for_selector("#night-map path.leaflet-interactive", state="attached")
    page.locator("#night-map").scroll_into_view_if_needed()
    screenshot(page, "streets-zone-on-night-map")


def test_refused_drawing_comes_back_with_the_field_named(page, live_server, streets, night):
    login(page, live_server, streets.ops.username)
    page.goto(f"{live_server.url}/streets/night/zones/new/")
    page.wait_for_selector("#draw-map.loaded")
    page.fill("input[name=code]", "X1")  # the school gate's code: taken
    page.fill("input[name=name]", "重复编号")
    for lng, lat in [(101.706, Y), (101.707, Y), (101.707, Y + 0.0005)]:
        click_at(page, lng, lat)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.click("#zone-form button.primary")
    page.wait_for_selector("#form-error")
    page.wait_for_selector("#draw-map.loaded")
    assert "“编号”有误" in page.inner_text("#form-error")
    assert page.get_attribute("input[name=code]", "aria-invalid") == "true"
    assert page.get_attribute(".draw-box", "data-vertices") == "3", errors  # the drawing is shown again
    screenshot(page, "streets-zone-refused")


def test_draw_a_road_segment(page, live_server, streets, make_user):
    from pyproj import Geod

    from chengyun.roads.models import RoadSegment

    handler = make_user("dept_handler", unit="D01")
    login(page, live_server, handler.username)
    page.goto(f"{live_server.url}/roads/")
    page.click("#segment-new")
    page.wait_for_selector("#draw-map.loaded")
    page.click(".leaflet-control-zoom-in")  # the whole district is in view: come closer to draw
    page.wait_for_timeout(400)
    pts = [(101.7130, Y + 0.002), (101.7175, Y + 0.002), (101.7205, Y + 0.003)]
    for lng, lat in pts:
        click_at(page, lng, lat)
    page.fill("input[name=code]", "RDN1")
    page.fill("input[name=name]", "文汇路")
    page.select_option("select[name=road_class]", "branch")
    screenshot(page, "roads-segment-drawn")
    page.click("#segment-form button.primary")
    page.wait_for_url(f"{live_server.url}/roads/segments/RDN1/")
    seg = RoadSegment.objects.get(code="RDN1")
    line = json.loads(seg.geometry)["coordinates"]
    assert len(line) == 3
    assert all(abs(a[0] - b[0]) < 0.00005 and abs(a[1] - b[1]) < 0.00005 for a, b in zip(line, pts))
    expected = Geod(ellps="WGS84").line_length([c[0] for c in line], [c[1] for c in line])
    assert abs(seg.length_m - expected) < 0.1 and 650 < seg.length_m < 720
    assert f"{seg.length_m} m" in page.inner_text("body")


def test_make_a_street_policy_on_the_map(page, live_server, streets, night):
    from chengyun.streets.models import NightPolicy

    login(page, live_server, streets.ops.username)
    page.goto(f"{live_server.url}/streets/night/policies/new/")
    page.wait_for_selector("#draw-map.loaded")
    page.fill("input[name=code]", "GL9")
    page.fill("input[name=name]", "古楼夜市")
    page.select_option("select[name=kind]", "tourist")
    for lng, lat in [(101.714, Y - 0.0004), (101.720, Y - 0.0004), (101.720, Y + 0.0004), (101.714, Y + 0.0004)]:
        click_at(page, lng, lat)
    row = page.locator("table.windows tbody tr").first
    row.locator("select[name=w_activity]").select_option("night_market")
    row.locator("input[name=w_start]").fill("18:00")
    row.locator("input[name=w_end]").fill("02:00")
    page.locator("table.windows").scroll_into_view_if_needed()
    screenshot(page, "streets-policy-form")
    page.click("#policy-form button.primary")
    page.wait_for_url(f"{live_server.url}/streets/night/")
    p = NightPolicy.objects.get(code="GL9")
    assert [w.label for w in p.windows.all()] == ["18:00–02:00"]
    assert shape(json.loads(p.geometry)).covers(Point(101.717, Y))


def test_register_a_shop_by_placing_its_point(page, live_server, streets, night):
    """The shop's door clicked on the map fills longitude and latitude; the shop is saved there and
    the permit application opens with it chosen."""
    from chengyun.streets.models import Shop

    login(page, live_server, streets.chief1.username)
    page.goto(f"{live_server.url}/streets/night/")
    page.click("#shop-new")
    page.wait_for_selector("#draw-map.loaded")
    page.fill("input[name=code]", "SHP1")
    page.fill("input[name=name]", "老杨烤串")
    page.select_option("select[name=policy]", "BD1")
    click_at(page, 101.7085, Y + 0.0002)
    assert abs(float(page.input_value("input[name=lng]")) - 101.7085) < 0.0001
    assert abs(float(page.input_value("input[name=lat]")) - (Y + 0.0002)) < 0.0001
    assert page.get_attribute(".draw-box", "data-vertices") == "1" and page.inner_text(".draw-status") != ""
    # A second click moves the one point (a click lands within a pixel, here under 0.0001°).
    click_at(page, 101.7080, Y + 0.0001)
    assert abs(float(page.input_value("input[name=lng]")) - 101.7080) < 0.0001
    assert page.locator(".leaflet-marker-icon.draw-vertex").count() == 1
    screenshot(page, "streets-shop-point")
    page.click("#shop-form button.primary")
    page.wait_for_url(f"{live_server.url}/streets/night/permits/new/?shop=SHP1&policy=BD1")
    shop = Shop.objects.get(code="SHP1")
    assert abs(shop.lng - 101.7080) < 0.0001 and shop.street.code == "630109001" and shop.policy.code == "BD1"
    assert page.input_value("select[name=shop]") == "SHP1"
