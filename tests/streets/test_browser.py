"""The board's map, the phone patrol page (live track from the phone's position, one-tap report,
the "allowed now?" answer, finishing) and the night map's answer, in a real browser."""
import datetime as dt
import time

import pytest
from streets_support import Y, walk

from browser_support import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _until(check, seconds=15):
    """Poll a condition from Python (the page's CSP forbids the string evaluation wait_for_function uses)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def walked(streets, night):
    from chengyun.streets.services import patrols

    today = dt.date.today()
    start = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time(9), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    patrols.record(None, points=walk(101.702, 101.707, Y, start), patroller=streets.chief1.person, kind="leader")
    return streets


def test_board_map(page, live_server, walked):
    login(page, live_server, walked.chief1.username)
    page.goto(f"{live_server.url}/streets/")
    page.wait_for_selector("#board-map path.leaflet-interactive", state="attached", timeout=15000)
    assert "湟水路" in page.inner_text("table.list")
    screenshot(page, "streets-board")


def test_phone_patrol(browser, live_server, walked):
    from chengyun.cases.models import Case
    from chengyun.streets.models import Patrol

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  geolocation={"latitude": Y, "longitude": 101.708, "accuracy": 5}, permissions=["geolocation"])
    page = context.new_page()
    try:
        login(page, live_server, walked.chief1.username)
        page.goto(f"{live_server.url}/streets/patrols/walk/")
        page.click("#start")
        page.wait_for_selector("#report:not([hidden])")
        # Walking pace: 4 m every second (a faster jump would be dropped as a GPS glitch).
        for k in range(1, 8):
            page.wait_for_timeout(1000)
            context.set_geolocation({"latitude": Y, "longitude": 101.708 + k * 0.000045, "accuracy": 5})
        _until(lambda: int(page.inner_text("#points")) >= 2)
        page.click("button.tap[data-kind=piling]")
        _until(lambda: "案件编号" in page.inner_text("#result"))
        assert Case.objects.filter(source="street_chief").count() == 1
        page.click("#check")
        page.wait_for_selector("#answer .answer", timeout=15000)
        screenshot(page, "streets-phone-patrol")
        page.click("#stop")
        page.wait_for_url("**/streets/patrols/*/", timeout=15000)
        page.on("pageerror", lambda e: print("pageerror:", e))
        page.wait_for_selector("#patrol-detail-map.leaflet-container", state="attached", timeout=15000)
        screenshot(page, "streets-patrol-detail")
        page.wait_for_selector("#patrol-detail-map path.leaflet-interactive", state="attached", timeout=15000)
        patrol = Patrol.objects.filter(status="finished").order_by("-id").first()
        assert patrol.findings.count() == 1 and patrol.distance_m > 20
    finally:
        context.close()


def test_night_map_answers(page, live_server, walked):
    login(page, live_server, walked.chief1.username)
    page.goto(f"{live_server.url}/streets/night/")
    page.wait_for_selector("#night-map path.leaflet-interactive", state="attached", timeout=15000)
    page.evaluate("""() => { const f = document.getElementById('check-form');
        f.lng.value = '101.704'; f.lat.value = '36.505'; document.getElementById('check-at').value = '2026-09-07T18:00'; }""")
    page.click("#check-form button.primary")
    page.wait_for_selector("#check-answer .answer.no", timeout=15000)
    text = page.inner_text("#check-answer")
    assert "湟水路小学门口" in text and "不允许" in text
    page.evaluate("""() => { const f = document.getElementById('check-form'); f.lng.value = '101.709'; }""")
    page.click("#check-form button.primary")
    page.wait_for_selector("#check-answer .answer.yes", timeout=15000)
    screenshot(page, "streets-night-map")
