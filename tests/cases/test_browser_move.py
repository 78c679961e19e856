"""Browser tests: drag a case's marker on its detail page, see where it lands, confirm with a reason."""
import pytest
from browser_support import drag_marker, login, screenshot
from cases_helpers import G1, G2
from support import X0, grid_center

from chengyun.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag_marker_to(page, lng, lat):
    drag_marker(page, "#case-point .leaflet-marker-icon", "chengyunCaseMap", lng, lat)


def test_drag_the_marker_see_the_new_grid_and_confirm_with_a_reason(page, live_server, file_case, crew):
    case = file_case(offset=(0.004, 0.0))  # near the east edge of grid 1
    login(page, live_server, crew["acceptor"].username)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert page.locator("#move-form").is_hidden()
    lng, lat = grid_center(G1)
    drag_marker_to(page, lng + 0.0065, lat)  # across the edge into grid 2
    page.wait_for_selector("#move-where.located")
    assert page.inner_text("#move-where") == f"新位置：第1街道 / 第1街道第1社区 / 第1街道第1社区2号网格（{G2}）"
    page.locator("#move-form").scroll_into_view_if_needed()
    screenshot(page, "case-move-located")
    page.fill("#move-form textarea[name=reason]", "上报定位偏差，实际在东侧网格")
    page.click("#move-confirm")
    page.wait_for_selector(".messages li.success")
    assert "位置已修改：第1街道 / 第1街道第1社区 / 第1街道第1社区2号网格" in page.inner_text(".messages")
    assert "上报定位偏差，实际在东侧网格" in page.inner_text(".timeline")
    case = Case.objects.get(pk=case.pk)
    assert case.grid.code == G2 and abs(case.lng - (lng + 0.0065)) < 2e-5


def test_a_point_outside_the_district_is_refused_before_confirming(phone_page, live_server, file_case, crew):
    page = phone_page
    case = file_case(offset=(-0.004, 0.0))  # near the district's west edge
    login(page, live_server, crew["grid"].username)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("#case-point").scroll_into_view_if_needed()
    lng, lat = grid_center(G1)
    drag_marker_to(page, X0 - 0.0015, lat)
    page.wait_for_selector("#move-where.error")
    assert page.inner_text("#move-where") == "该位置不在本区范围内"
    assert page.is_disabled("#move-confirm")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "case-move-outside-phone")
    drag_marker_to(page, lng - 0.003, lat)  # back inside: the same grid, now confirmable
    page.wait_for_selector("#move-where.located")
    assert G1 in page.inner_text("#move-where") and page.is_enabled("#move-confirm")
    page.locator("#move-form").scroll_into_view_if_needed()
    screenshot(page, "case-move-phone")
    page.click("#move-cancel")
    assert page.locator("#move-form").is_hidden()
    assert Case.objects.get(pk=case.pk).events.filter(action="move").count() == 0
