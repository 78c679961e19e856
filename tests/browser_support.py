"""Helpers for browser tests (importable: tests/ is on pytest's pythonpath)."""
import os
from pathlib import Path

ARTIFACTS = Path(os.environ.get("CHENGYUN_TEST_ARTIFACTS", "test-artifacts"))


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def login(page, live_server, username: str, password: str = "pw-test-123") -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # Signed in, each role lands on its own home (a leader on the cockpit, a cadre on the fund).
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/login/" not in url)


def drag_marker(page, marker_selector: str, handle: str, lng: float, lat: float) -> None:
    """Drag a Leaflet marker with the mouse until its point is at (lng, lat); `handle` names a
    window object with the `map` and `marker` (e.g. "chengyunCaseMap")."""
    page.wait_for_selector(marker_selector)
    page.locator(marker_selector).scroll_into_view_if_needed()
    dx, dy = page.evaluate("""([name, lng, lat]) => { const m = window[name];
        const a = m.map.latLngToContainerPoint(m.marker.getLatLng()), b = m.map.latLngToContainerPoint([lat, lng]);
        return [b.x - a.x, b.y - a.y]; }""", [handle, lng, lat])
    box = page.locator(marker_selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()
