"""Browser tests: reporting on the mobile page (geolocation, category picker, photo) and dispatching."""
import re

import pytest
from browser_support import login, screenshot
from cases_helpers import G1, jpeg_bytes, run_to
from support import grid_center

from chengyun.cases import workflow as W
from chengyun.cases.models import Case
from chengyun.people import roles as R

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_report_from_a_phone_with_geolocation_and_photo(browser, live_server, make_user, tmp_path):
    chief = make_user(R.STREET_CHIEF, unit="S01", grids=[G1])
    lng, lat = grid_center(G1)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  geolocation={"longitude": lng, "latitude": lat, "accuracy": 8}, permissions=["geolocation"])
    page = context.new_page()
    # The street boundaries answer only after the phone has located itself: on a slow network they
    # arrive late, and drawing them must not erase the position's accuracy note.
    held = []
    page.route("**/api/v1/geo/streets", lambda route: held.append(route))
    try:
        login(page, live_server, chief.username)
        page.goto(f"{live_server.url}/cases/report/")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
        page.fill("#category-search", "道路破损")
        assert page.locator("#category option:not([hidden])[value='0113']").count() == 1
        page.select_option("#category", "0113")
        page.fill("textarea[name=description]", "人行道地砖松动，约 2 平方米")
        page.fill("input[name=address]", "幸福路 12 号门前")
        page.click("#locate-me")
        page.wait_for_function("() => document.getElementById('lng').value !== ''")
        assert "精度约 8 米" in page.inner_text("#position-text")
        assert len(held) == 1
        held[0].continue_()
        page.wait_for_selector("#pick-map path.leaflet-interactive", state="attached")
        assert "精度约 8 米" in page.inner_text("#position-text")
        photo = tmp_path / "photo.jpg"
        photo.write_bytes(jpeg_bytes())
        page.set_input_files("input[name=photos]", str(photo))
        screenshot(page, "cases-mobile-report")
        page.click("#submit-report")
        page.wait_for_url(re.compile(r".*/cases/\d+/$"))  # "/cases/*/" would match /cases/report/ itself
        case = Case.objects.get()
        assert case.source == "street_chief" and case.grid.code == G1 and case.category.code == "0113" and case.category.kind == "event"
        assert case.attachments.count() == 1 and case.address == "幸福路 12 号门前"
        assert case.number in page.inner_text("h1")
        screenshot(page, "cases-mobile-reported")
    finally:
        context.close()


def test_component_kind_switch_on_the_phone(browser, live_server, make_user):
    worker = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[G1])
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        login(page, live_server, worker.username)
        page.goto(f"{live_server.url}/cases/report/")
        page.check("input[name=category_kind][value=component]")
        page.fill("#category-search", "井盖")
        visible = page.eval_on_selector_all("#category option:not([hidden])", "os => os.map(o => o.textContent.trim())")
        assert "0101 上水井盖" in visible and not any("私搭乱建" in v for v in visible)
        # Without a position the page explains instead of filing a case.
        page.select_option("#category", "0101")
        page.fill("textarea[name=description]", "井盖缺失")
        page.click("#submit-report")
        page.wait_for_selector("#report-error")
        assert "定位" in page.inner_text("#report-error") and Case.objects.count() == 0
    finally:
        context.close()


def test_dispatch_from_the_queue(browser, live_server, make_user, units):
    grid_worker = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[G1])
    acceptor = make_user(R.OPS_ACCEPTOR)
    dispatcher = make_user(R.OPS_DISPATCHER)
    handler = make_user(R.DEPT_HANDLER, unit="D02")
    from chengyun.cases import services
    from chengyun.cases.models import Category

    road = Category.objects.get(kind="event", code="0113")
    road.responsible_specialty = "住建"
    road.save()
    lng, lat = grid_center(G1)
    case = services.report(grid_worker, source="community_grid_worker", category_code="0113", lng=lng, lat=lat, description="路面坑洼")
    case = services.transition(acceptor, case, "accept")
    case = services.transition(acceptor, case, "file", condition_id=case.category.conditions.first().pk)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        login(page, live_server, dispatcher.username)
        page.click("nav.mainnav >> text=派遣台")
        row = page.locator(f"#dispatch-queue tr[data-number='{case.number}']")
        assert "区住房和城乡建设局" in row.locator("select option:checked").inner_text()  # the suggestion is preselected
        screenshot(page, "cases-dispatch-queue")
        row.locator("button").click()
        page.wait_for_selector(".messages")
        assert "已派遣" in page.inner_text(".messages")
        case.refresh_from_db()
        assert case.status == W.DISPATCHED and case.unit.code == "D02" and case.overall_deadline is not None
        # The handler sees it in the inbox and signs it from the detail page.
        page.goto(f"{live_server.url}/logout/")
        login(page, live_server, handler.username)
        page.goto(f"{live_server.url}/cases/inbox/")
        page.click(f"text={case.number}")
        page.click("form[data-action=sign] button")
        page.wait_for_selector("#case-status")
        assert page.inner_text("#case-status") == "处置中"
        screenshot(page, "cases-detail-handling")
    finally:
        context.close()
