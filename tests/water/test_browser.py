"""Browser tests: a river chief patrols from the phone page (start, GPS track, a problem, stop),
and gives up a patrol that has no track."""
import re

import pytest
from browser_support import login, screenshot
from support import grid_center

from chengyun.water import services
from chengyun.water.models import Patrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
G1 = "630109001001001"


def phone(browser, lng, lat):
    return browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                               geolocation={"longitude": lng, "latitude": lat, "accuracy": 6}, permissions=["geolocation"])


def test_patrol_from_the_phone(browser, live_server, water):
    lng, lat = grid_center(G1)
    services.update_reach(None, water.reach, geometry_json=f'{{"type": "LineString", "coordinates": [[{lng}, {lat}], [{lng + 0.01}, {lat}]]}}')
    context = phone(browser, lng, lat)
    page = context.new_page()
    try:
        login(page, live_server, water.chief_user.username)
        page.goto(f"{live_server.url}/water/patrols/new/")
        page.wait_for_selector("#patrol-map path.leaflet-interactive", state="attached")  # the chief's reach is drawn
        page.select_option("#reach", water.reach.code)
        page.click("#start")
        page.wait_for_function("() => document.getElementById('points').textContent === '1'")
        # Walk east along the reach: each fix ~90 m from the last.
        for k in range(1, 6):
            context.set_geolocation({"longitude": lng + 0.001 * k, "latitude": lat, "accuracy": 6})
            page.wait_for_function(f"() => document.getElementById('points').textContent === '{k + 1}'")
        page.fill("#problem textarea[name=description]", "岸边堆放生活垃圾")
        page.select_option("#problem select[name=kind]", "dumping")
        page.click("#problem button")
        page.wait_for_function("() => document.getElementById('problem-result').textContent.includes('案件编号')")
        screenshot(page, "water-patrol-phone")
        page.click("#stop")
        page.wait_for_url(re.compile(r".*/water/patrols/\d+/$"))  # not patrols/new/
        p = Patrol.objects.get()
        assert p.status == "finished" and p.reach == water.reach and p.problems.count() == 1
        assert 400 < p.distance_m < 500  # 5 × ~90 m, measured by the server
        assert p.problems.get().case_number in page.content()
    finally:
        context.close()


def test_a_patrol_without_a_track_can_be_given_up(browser, live_server, water):
    lng, lat = grid_center(G1)
    context = phone(browser, lng, lat)
    page = context.new_page()
    try:
        login(page, live_server, water.chief_user.username)
        page.goto(f"{live_server.url}/water/patrols/new/")
        page.click("#start")
        page.wait_for_function("() => document.getElementById('points').textContent === '1'")
        page.click("#stop")  # one point is no track
        assert "轨迹点不足" in page.inner_text("#gps")
        page.on("dialog", lambda d: d.accept())
        page.click("#cancel")
        page.wait_for_url(re.compile(r".*/water/patrols/\d+/$"))  # not patrols/new/
        assert Patrol.objects.get().status == "cancelled"
        # And the next patrol can start.
        page.goto(f"{live_server.url}/water/patrols/new/")
        page.click("#start")
        page.wait_for_function("() => document.getElementById('points').textContent === '1'")
        assert Patrol.objects.filter(status="ongoing").count() == 1
    finally:
        context.close()
