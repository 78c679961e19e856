"""The sweeping coverage map draws the day's segments coloured by passes; the waste dashboard draws
its expansion chart and the compound list's count equals the dashboard's figure."""
import datetime as dt

import numpy as np
import pytest

from browser_support import login, screenshot
from chengyun.people import roles as R

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DAY = dt.date.today() - dt.timedelta(days=1)
KX = 111_320.0 * np.cos(np.radians(36.505))


def _roads_and_a_day_of_sweeping():
    from chengyun.geo.importers import RawFeature
    from chengyun.roads import services as road_services
    from chengyun.sanitation import services, trackfile
    from chengyun.sanitation.trackfile import CHINA

    feats = [RawFeature(k, {"code": f"R{k}", "name": f"{k}号路", "class": cls}, {"type": "LineString", "coordinates": [[x, 36.505], [x + 600 / KX, 36.505]]})
             for k, (x, cls) in enumerate(((101.702, "主干路"), (101.712, "次干路"), (101.722, "支路")), start=1)]
    assert road_services.import_segments(feats, owner_code="D01").ok
    services.ensure_plans()
    v = services.create_vehicle(None, code="SV1", plate="青A·H0001", unit="D02")
    t0 = dt.datetime.combine(DAY, dt.time(6, 0), CHINA).timestamp()
    xs = 101.702 + np.arange(41) * 15 / KX
    pts = [trackfile.RawPoint(t0 + 5 * k, float(x), 36.50505) for k, x in enumerate(xs)]
    pts += [trackfile.RawPoint(t0 + 600 + 5 * k, float(x), 36.50505) for k, x in enumerate(xs[::-1])]
    pts += [trackfile.RawPoint(t0 + 1200 + 5 * k, float(x) + 0.01, 36.50505) for k, x in enumerate(xs)]
    services.import_points(None, v, pts)


def test_sweeping_coverage_map(page, live_server, make_user):
    _roads_and_a_day_of_sweeping()
    login(page, live_server, make_user(R.OPS_SHIFT_LEADER).username)
    page.goto(f"{live_server.url}/sanitation/?day={DAY.isoformat()}")
    page.wait_for_selector("#sweepmap.loaded", timeout=15000)
    assert page.locator("#sweepmap path.leaflet-interactive, #sweepmap canvas").count() >= 1
    body = page.inner_text("main")
    assert "2 / 3" in body  # R1 (2 passes of 2) and R2 (1 of 1) met; R3 not swept
    page.goto(f"{live_server.url}/sanitation/?day={DAY.isoformat()}&missed=true")
    assert "共 1 个路段" in page.inner_text("#rowcount")
    page.goto(f"{live_server.url}/sanitation/?day={DAY.isoformat()}")
    page.wait_for_selector("#sweepmap.loaded", timeout=15000)
    screenshot(page, "sanitation-coverage")


def test_waste_dashboard(page, live_server, make_user):
    from chengyun.geo.models import Community, Compound
    from chengyun.waste import services

    community = Community.objects.order_by("code").first()
    today = dt.date.today()
    area = services.create_demo_area(None, code="PQ1", name="第一示范片区", street=community.street.code, designated_on=today - dt.timedelta(days=300))
    for k, (aware, part, correct) in enumerate(((95, 85, 82), (90, 80, 80), (88, 85, 85))):
        c = Compound.objects.create(code=f"XQ{k}", name=f"小区{k}", community=community, households=100)
        services.enrol_compound(None, compound=c.code, sorting_since=today - dt.timedelta(days=200), demo_area=area.code,
                                joined_area_on=today - dt.timedelta(days=100 - 30 * k))
        services.record_check(None, compound=c.code, kind="survey", checked_on=today, sample=100, inspector="调查员", aware=aware, participating=part)
        services.record_check(None, compound=c.code, kind="inspection", checked_on=today, sample=100, inspector="检查员", correct=correct)
    login(page, live_server, make_user(R.DISTRICT_LEADER).username)
    page.goto(f"{live_server.url}/waste/")
    page.wait_for_selector("#expchart.loaded canvas", timeout=15000)
    page.locator(".figure a[href*='compliant=true']").click()
    assert "共 2 个小区" in page.inner_text("#rowcount")  # 90/80/80 is exactly at the thresholds: compliant
    page.goto(f"{live_server.url}/waste/")
    page.wait_for_selector("#expchart.loaded canvas", timeout=15000)
    screenshot(page, "waste-dashboard")
