"""The main pages under the real Content-Security-Policy (script-src 'self', no inline script):
no violation is reported, and the maps and charts still render (Leaflet, ECharts, HTMX)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from chengyun.people import roles as R
from support import grid_center

from browser_support import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
G1 = "630109001001001"

# Collected in the page itself; an init script is injected by the browser, not subject to the CSP.
WATCH = """window.__csp = []; document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber); });"""


@pytest.fixture
def pages_with_data(district, units, make_user):
    from chengyun.cases import services as cases
    from chengyun.monitoring import services as monitoring
    from chengyun.monitoring.models import Reading

    cases.load_seed_catalogue()
    leader = make_user([R.OPS_SHIFT_LEADER, R.DISTRICT_LEADER])
    lng, lat = grid_center(G1)
    case = cases.report(make_user(R.OPS_ACCEPTOR), source="hotline", category_code="0113", category_kind="event", lng=lng, lat=lat,
                        description="路面坑洼，约 1 平方米")
    device = monitoring.create_device(None, mn="CSP0001", password="pw123456", st="21", name="CSP 测试站", factors=["w01001"])
    now = timezone.now()
    Reading.objects.bulk_create([Reading(device=device, cn="2061", factor="w01001", value=7 + k / 10, flag="N",
                                         data_time=now - timedelta(hours=k), received_at=now) for k in range(6)])
    return leader, case, device


def test_main_pages_have_no_csp_violation_and_maps_render(page, live_server, pages_with_data):
    leader, case, device = pages_with_data
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.add_init_script(WATCH)
    login(page, live_server, leader.username)
    # (path, what must appear once the page's scripts have run)
    checks = [
        ("/", None),
        ("/geo/map/", "#map.loaded"),
        ("/cases/", None),
        ("/cases/map/", "#case-map.loaded"),
        (f"/cases/{case.pk}/", "#case-point .leaflet-pane"),
        ("/cases/report/", "#report-map .leaflet-pane, .leaflet-container"),
        ("/water/", "#map.loaded"),
        ("/supervision/", None),
        ("/drainage/", "#map.loaded"),
        ("/roads/", "#roadmap.loaded"),
        (f"/monitoring/devices/{device.mn}/", "#chart canvas"),
        ("/notifications/", None),
        ("/api/v1/docs", ".swagger-ui .info"),  # django-ninja's Swagger UI, served locally
    ]
    violations = {}
    for path, ready in checks:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        if ready:
            page.wait_for_selector(ready, state="attached", timeout=15000)
        page.wait_for_load_state("networkidle")
        if ready:
            screenshot(page, "csp" + path.rstrip("/").replace("/", "-"))
        for prefix in page.locator(".leaflet-control-attribution").all():
            # The library is named; Leaflet 1.9's flag before the name is not shown (leaflet_defaults.js).
            assert "Leaflet" in prefix.inner_text() and prefix.locator("svg").count() == 0, path
        found = page.evaluate("() => window.__csp")
        if found:
            violations[path] = found
    assert violations == {}
    assert [m for m in console if "Content Security Policy" in m] == []


def test_shell_behaviour_moved_out_of_inline_handlers(phone_page, live_server, make_user):
    """The phone menu toggle (was onclick=) and the back link on error pages (was javascript:)."""
    phone_page.add_init_script(WATCH)
    login(phone_page, live_server, make_user(R.COMMUNITY_GRID_WORKER, unit="S01").username)
    phone_page.click(".nav-toggle")
    assert "nav-open" in phone_page.evaluate("() => document.body.className")
    phone_page.goto(f"{live_server.url}/cases/999999/")
    phone_page.click("a[data-back]")
    phone_page.wait_for_url(lambda url: "/cases/999999/" not in url)  # back to the worker's own home
    assert phone_page.evaluate("() => window.__csp") == []
