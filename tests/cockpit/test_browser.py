"""The cockpit in a browser: at 1920×1080 every panel, the district map with markers and the
charts drawn; a panel refreshed in place keeps its chart; a tablet (768 wide) reflows to two columns."""
from __future__ import annotations

import pytest

from browser_support import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/cockpit/")


def test_cockpit_big_screen_and_tablet(browser, live_server, filled):
    from chengyun.core.registry import cockpit_panels

    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server, filled["leader"].username)  # the leader's home is the cockpit
    page.wait_for_selector("#cp-map.loaded", timeout=15000)
    assert page.locator(".cp-panel").count() == len(cockpit_panels())
    assert page.locator(".cp-chart canvas").count() >= 2  # cases by source, key tasks by colour
    assert page.evaluate("() => Object.values(window.chengyunCockpit.layers).reduce((n, l) => n + l.getLayers().length, 0)") > 0
    # The first screenful holds the map and the first row of panels without scrolling.
    box = page.locator("#cp-map").bounding_box()
    assert box["width"] > 800 and box["y"] + box["height"] <= 1080
    screenshot(page, "cockpit-1920x1080")
    # A number leads to its list.
    page.click("#panel-casestoday .cp-figure >> nth=0")
    page.wait_for_url("**/cases/?start=*")
    page.go_back()
    page.wait_for_selector("#cp-map.loaded", timeout=15000)
    # A refresh swaps the panel in place and draws its chart again.
    page.evaluate("""() => htmx.ajax('GET', document.getElementById('panel-casestoday').getAttribute('hx-get'),
                     {target: '#panel-casestoday', swap: 'outerHTML'})""")
    page.wait_for_function("() => document.querySelector('#panel-casestoday .cp-chart canvas') !== null")
    assert not errors, errors
    context.close()

    tablet = browser.new_context(locale="zh-CN", viewport={"width": 768, "height": 1024})
    page = tablet.new_page()
    _login(page, live_server, filled["leader"].username)
    page.wait_for_selector("#cp-map.loaded", timeout=15000)
    columns = page.evaluate("() => getComputedStyle(document.querySelector('.cp-grid')).gridTemplateColumns.split(' ').length")
    assert columns == 2
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")  # nothing runs off the side
    screenshot(page, "cockpit-tablet-768")
    tablet.close()
