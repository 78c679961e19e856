"""The dashboard's choropleth in a browser, and the ledger on a phone."""
import pytest

from chengyun.people import roles as R
from chengyun.renewal.services import indicators, ledger, measurements
from support import DIVISION

from browser_support import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _two_years(office):
    for year, values in ((2024, (4, 0, 1, 2)), (2025, (2, 0, 3, 0))):
        s = indicators.load_national_set(office, year)
        ind = s.indicators.get(code="IND-HOUSE-003")
        for n, v in enumerate(values):
            street, community = divmod(n, 2)
            measurements.record(office, ind, unit_kind="community", unit_code=f"{DIVISION}{street + 1:03d}{community + 1:03d}", value=v)
        measurements.record(office, ind, unit_kind="district", unit_code=DIVISION, value=sum(values))
    ledger.generate_from_measurements(office, 2025)


def test_dashboard_choropleth_colours_verdicts_and_arrows(page, live_server, make_user):
    office = make_user(R.DEPT_HANDLER, unit="D02")
    _two_years(office)
    login(page, live_server, office.username)
    page.click("nav.mainnav >> text=城市体检")
    page.wait_for_selector("#choropleth.loaded", timeout=15000)
    fills = page.evaluate("""() => { const out = []; document.querySelectorAll('#choropleth path.leaflet-interactive').forEach(
        p => out.push(p.getAttribute('fill'))); return out; }""")
    screenshot(page, "renewal-dashboard")
    arrows = page.locator(".choropleth-label").all_inner_texts()
    assert sorted(arrows) == ["▲", "▲", "▼", "＝"]
    # 2025 values 2, 0, 3, 0 against target 0: two communities red, two green.
    assert sorted(fills) == ["#66bb6a", "#66bb6a", "#e57373", "#e57373"]
    assert page.locator("td.tr-improved").count() >= 1


def test_problem_ledger_on_a_phone(phone_page, live_server, make_user):
    office = make_user(R.DEPT_HANDLER, unit="D02")
    _two_years(office)
    login(phone_page, live_server, office.username)
    phone_page.goto(f"{live_server.url}/renewal/problems/")
    assert phone_page.locator("table.list tbody tr").count() == 2
    screenshot(phone_page, "renewal-ledger-phone")
    phone_page.click("table.list >> text=TJ2025-00001")
    phone_page.wait_for_selector("text=开始整改")
    screenshot(phone_page, "renewal-problem-phone")
