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


def test_month_picker_on_the_chiefs_and_compliance_pages(browser, live_server, water, make_user):
    import datetime as dt

    from django.utils import timezone

    cn = dt.timezone(dt.timedelta(hours=8))
    today = timezone.localdate()
    last = today.replace(day=1) - dt.timedelta(days=1)  # a day of last month
    p = services.start_patrol(water.chief_user, reach=water.reach, started_at=dt.datetime(last.year, last.month, 3, 9, tzinfo=cn))
    services.finish_patrol(water.chief_user, p, track=[[101.70, 36.50], [101.70, 36.52]],
                           ended_at=dt.datetime(last.year, last.month, 3, 9, 45, tzinfo=cn))
    ops = make_user("ops_shift_leader")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        login(page, live_server, ops.username)
        page.goto(f"{live_server.url}/water/chiefs/")
        # This month: the chief has not patrolled yet, and the month is not over.
        assert page.locator("[data-testid=so-far]").is_visible()
        row = page.locator("tr", has_text=water.chief_user.person.name).first
        assert row.locator("[data-status]").get_attribute("data-status") == "in_progress"
        page.fill("[data-testid=month-picker] input[name=month]", f"{last:%Y-%m}")
        page.click("[data-testid=month-picker] button")
        page.wait_for_url(re.compile(rf".*/water/chiefs/\?month={last:%Y-%m}$"))
        row = page.locator("tr", has_text=water.chief_user.person.name).first
        assert "1 / 3" in row.inner_text() and row.locator("[data-status]").get_attribute("data-status") == "not_compliant"
        assert not page.locator("[data-testid=so-far]").count()
        screenshot(page, "water-chiefs-month-picker")
        # On to the compliance table for the same month, then the whole year.
        page.click(f"a[href='/water/compliance/?month={last:%Y-%m}']")
        page.wait_for_selector("[data-testid=compliance-table]")
        assert f"{last.year} 年 {last.month} 月巡河达标情况" in page.inner_text("h1")
        page.fill("[data-testid=year-picker] input[name=year]", str(last.year))
        page.click("[data-testid=year-picker] button")
        page.wait_for_url(re.compile(rf".*/water/compliance/\?year={last.year}$"))
        assert f"{last.year} 年巡河达标情况" in page.inner_text("h1")
        row = page.locator("tr", has_text=water.chief_user.person.name).first
        assert row.locator(".month-strip [data-status]").count() == (last.month + (today.year == last.year))
        screenshot(page, "water-compliance-year")
        # The previous-month arrow goes back one month.
        page.goto(f"{live_server.url}/water/compliance/?month={last:%Y-%m}")
        page.click("[data-testid=month-picker] a[aria-label='上一月']")
        before = last.replace(day=1) - dt.timedelta(days=1)
        page.wait_for_url(re.compile(rf".*\?month={before:%Y-%m}$"))
    finally:
        context.close()
