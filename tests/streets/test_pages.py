"""Pages: the board for a chief and for the desk, lists, the phone page, the night map, permit
detail actions; no English on the Chinese pages; the cockpit's figures equal their lists' counts."""
import datetime as dt
import re

import pytest
from streets_support import Y, at, page_client as _client, walk

from chengyun.core.i18n_check import english_words

pytestmark = pytest.mark.django_db


@pytest.fixture
def walked(streets, night):
    from chengyun.streets.services import patrols, permits

    today = dt.date.today()
    start = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time(9), tzinfo=at(2026, 1, 1).tzinfo)
    patrols.record(None, points=walk(101.702, 101.712, Y, start), patroller=streets.chief1.person, kind="leader")
    shop = permits.create_shop(None, code="SH1", name="马记牛肉面", lng=101.709, lat=Y + 0.0002, policy_obj=night.bd)
    spot = {"type": "Polygon", "coordinates": [[[101.709, Y + 0.0002], [101.70906, Y + 0.0002], [101.70906, Y + 0.00022], [101.709, Y + 0.00022],
                                                [101.709, Y + 0.0002]]]}
    permit = permits.apply(None, shop=shop, policy_obj=night.bd, area_m2=12, tables=3, depth_m=2.5, passage_m=2.5, geometry=spot)
    return permit


def test_pages_render_for_chief_and_desk_without_english(streets, walked):
    pages = ["/streets/", "/streets/segments/", "/streets/patrols/", "/streets/patrols/walk/", "/streets/night/", "/streets/night/permits/",
             f"/streets/night/permits/{walked.number}/", "/streets/night/violations/", "/streets/meeting/"]
    from chengyun.streets.models import Patrol

    pages.append(f"/streets/patrols/{Patrol.objects.first().pk}/")
    for user in (streets.chief1, streets.ops):
        c = _client(user)
        for url in pages:
            r = c.get(url)
            assert r.status_code == 200, (url, r.status_code)
            assert english_words(r.content.decode()) == set(), (url, english_words(r.content.decode()))
    en = _client(streets.ops, "en").get("/streets/")
    assert "Street-chief board" in en.content.decode()


def test_board_shows_my_streets_only(streets, walked):
    html = _client(streets.chief1).get("/streets/").content.decode()
    assert "湟水路" in html and "昆仑路" not in html
    html = _client(streets.ops).get("/streets/").content.decode()
    assert "湟水路" in html and "昆仑路" in html
    # Another street's patrol is not found.
    from chengyun.streets.models import Patrol

    assert _client(streets.chief2).get(f"/streets/patrols/{Patrol.objects.first().pk}/").status_code == 404


def test_permit_page_runs_the_workflow(streets, walked):
    c = _client(streets.chief1)
    r = c.post(f"/streets/night/permits/{walked.number}/", {"action": "review", "note": "同意"})
    assert r.status_code == 302
    walked.refresh_from_db()
    assert walked.state == "publicity"
    r = c.post(f"/streets/night/permits/{walked.number}/", {"action": "approve"}, follow=True)
    walked.refresh_from_db()
    assert walked.state == "publicity" and "您的角色不能" in r.content.decode()


def _count(html):
    return int(re.search(r'data-count="(\d+)"', html).group(1))


def test_cockpit_figures_equal_their_lists(streets, walked):
    from chengyun.core.registry import PanelScope
    from chengyun.streets import cockpit

    today = dt.date.today()
    for user in (streets.ops, streets.chief1):
        scope = PanelScope(user=user, start=today - dt.timedelta(days=today.weekday()), end=today)
        c = _client(user)
        for panel in (cockpit.patrols(scope), cockpit.night(scope)):
            for fig in panel.figures:
                if fig.url and fig.counted:  # an average links to its list but is not that list's count
                    assert _count(c.get(fig.url).content.decode()) == fig.value, (fig.label, fig.url)
    ops = cockpit.patrols(PanelScope(user=streets.ops, start=today - dt.timedelta(days=today.weekday()), end=today))
    # Nobody met the team rule (twice a week) yet; among the chiefs only chief 2 has not walked.
    assert [f.value for f in ops.figures][:2] == [2, 2]
    assert [r["label"] for r in ops.rows] == [streets.chief2.person.name]
