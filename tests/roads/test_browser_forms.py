"""Browser tests: a surveying unit's handler records a GPR survey and a cavity on site (phone)."""
from __future__ import annotations

import datetime as dt
import os
import sys

import pytest
from browser_support import login, screenshot

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "drainage"))
from drainage_net import STEP, X0, Y0  # noqa: E402
from test_roads import road  # noqa: E402

from chengyun.roads import services  # noqa: E402
from chengyun.roads.models import HazardFinding, HazardSurvey  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def roads(district, units):
    assert services.import_segments([road(1, "RA", "昆仑路", 2, -0.5, 3.5), road(2, "RB", "祁连路", 6, -0.5, 3.5, "branch", "light", 12)],
                                    owner_code="D01").ok


def test_create_a_survey_and_record_the_segments_covered(page, live_server, roads, make_user):
    login(page, live_server, make_user("dept_handler", unit="D01").username)
    page.goto(f"{live_server.url}/roads/surveys/")
    page.click("text=新建排查")
    page.fill("input[name=code]", "GPR-2027")
    page.fill("input[name=name]", "2027 年主干路排查")
    page.fill("input[name=started_on]", "2026-03-01")
    page.fill("input[name=deadline]", "2026-12-31")
    screenshot(page, "roads-survey-new")
    page.click("#survey-form button.primary")
    page.wait_for_url("**/roads/surveys/GPR-2027/")
    page.check("#surveyed-form input[value=RA]")
    page.fill("#surveyed-form input[name=operator]", "张工")
    page.click("#surveyed-form button.primary")
    page.wait_for_selector(".messages li.success")
    assert "已填报 1 个路段" in page.inner_text(".messages")
    assert "昆仑路" in page.inner_text("#surveyed") and "张工" in page.inner_text("#surveyed")
    screenshot(page, "roads-survey-detail")
    assert list(HazardSurvey.objects.get(code="GPR-2027").surveyed.values_list("segment__code", flat=True)) == ["RA"]


def test_record_a_cavity_on_a_phone_by_tapping_the_map(phone_page, live_server, roads, units, make_user):
    page = phone_page
    services.create_survey(None, code="GPR-T", name="测试排查", started_on=dt.date(2026, 3, 1), deadline=dt.date(2026, 12, 31), unit=units["D01"])
    login(page, live_server, make_user("dept_handler", unit="D01").username)
    page.goto(f"{live_server.url}/roads/surveys/GPR-T/")
    page.click("#add-finding")
    page.wait_for_selector("#finding-map.loaded")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Tap the map a few metres off 昆仑路: the marker appears and the road is suggested.
    lng, lat = X0 + STEP, Y0 + 2 * STEP + 0.00003
    page.evaluate("([lng, lat]) => window.chengyunFindingMap.map.setView([lat, lng], 18, {animate: false})", [lng, lat])
    x, y = page.evaluate("([lng, lat]) => { const p = window.chengyunFindingMap.map.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }", [lng, lat])
    box = page.locator("#finding-map").bounding_box()
    page.touchscreen.tap(box["x"] + x, box["y"] + y)
    page.wait_for_function("() => document.getElementById('segment').value === 'RA'")
    assert "路段 昆仑路（RA）" in page.inner_text("#pick-note")
    picked = [float(page.input_value("#lng")), float(page.input_value("#lat"))]
    assert abs(picked[0] - lng) < 6e-5 and abs(picked[1] - lat) < 6e-5  # where the finger landed, to a few pixels
    assert page.evaluate("() => { const p = window.chengyunFindingMap.marker().getLatLng(); return [+p.lng.toFixed(7), +p.lat.toFixed(7)]; }") == picked
    page.fill("input[name=depth_m]", "0.4")
    page.fill("input[name=length_m]", "2")
    page.fill("input[name=width_m]", "1.5")
    page.fill("textarea[name=note]", "雷达图像双曲线反射")
    screenshot(page, "roads-finding-new-phone")
    page.click("#finding-form button.primary")
    page.wait_for_url("**/roads/findings/RA-H01/")
    assert "路段塌陷风险" in page.inner_text("#segment-risk")
    screenshot(page, "roads-finding-phone")
    f = HazardFinding.objects.get(code="RA-H01")
    assert f.segment.code == "RA" and f.kind == "cavity" and [f.lng, f.lat] == picked
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
