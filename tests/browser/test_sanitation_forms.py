"""On a phone, the ops centre's assessor scores a 示范街 on the street: a score above an item's
maximum comes back naming that item, with what was typed kept; the corrected score is stored and
shows in the street's history."""
import datetime as dt

import numpy as np
import pytest

from browser_support import login, screenshot
from chengyun.people import roles as R

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
KX = 111_320.0 * np.cos(np.radians(36.505))


def _demo_street():
    from chengyun.geo.importers import RawFeature
    from chengyun.roads import services as road_services
    from chengyun.sanitation import services

    feats = [RawFeature(1, {"code": "R1", "name": "一号路", "class": "主干路"}, {"type": "LineString", "coordinates": [[101.702, 36.505], [101.702 + 600 / KX, 36.505]]})]
    assert road_services.import_segments(feats, owner_code="D01").ok
    services.set_score_item(None, code="road", name="路面保洁", max_score=60, order=1)
    services.set_score_item(None, code="shops", name="门前三包", max_score=40, order=2)
    from chengyun.roads.models import RoadSegment

    return services.create_demo_street(None, code="SF1", name="一号路示范街", street=RoadSegment.objects.get(code="R1").street.code, segments=["R1"],
                                       since=dt.date(2026, 1, 1), shops=12)


def test_an_assessor_scores_a_demo_street_on_a_phone(phone_page, live_server, make_user, units):
    from chengyun.sanitation.models import MonthlyScore

    d = _demo_street()
    page = phone_page
    login(page, live_server, make_user(R.OPS_DISPATCHER).username)
    page.goto(f"{live_server.url}/sanitation/demo-streets/SF1/")
    page.click("#score-box summary")
    page.fill("input[name=item_road]", "55")
    page.fill("input[name=item_shops]", "45")  # above the item's 40
    page.fill("input[name=scored_by]", "考核组")
    # The browser's own check would stop 45 > max before the server sees it; the server must refuse it too.
    page.evaluate("document.getElementById('score-form').noValidate = true")
    page.click("#score-form button.primary")
    err = page.locator("#form-error")
    assert err.get_attribute("data-field") == "items.shops"
    assert err.inner_text().startswith("门前三包") and "40" in err.inner_text()
    assert page.locator("input[name=item_shops][aria-invalid=true]").count() == 1
    assert page.input_value("input[name=item_road]") == "55" and page.input_value("input[name=scored_by]") == "考核组"
    assert not MonthlyScore.objects.exists()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width  # the form fits the phone: no sideways scrolling
    page.locator("input[name=item_shops]").scroll_into_view_if_needed()
    screenshot(page, "sanitation-demo-score-refused-phone")
    page.fill("input[name=item_shops]", "36")
    page.click("#score-form button.primary")
    page.wait_for_url(f"{live_server.url}/sanitation/demo-streets/SF1/")
    s = MonthlyScore.objects.get(demo_street=d)
    assert (s.total, s.passed, s.scored_by) == (91.0, True, "考核组")
    assert "91.0" in page.inner_text("table.list")
    screenshot(page, "sanitation-demo-score-stored-phone")
