"""The cockpit panels: each count equals the count of the filtered list its link opens."""
import datetime as dt
import re

import pytest

from chengyun.core.registry import PanelScope, cockpit_panels
from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


def _count(client, url):
    text = client.get(url).content.decode()
    m = re.search(r"共 (\d+) 个", text) or re.search(r"共 (\d+) 条", text)
    return int(m.group(1))


def test_panels_are_registered_and_their_counts_match_the_lists(client, make_user, district):
    from chengyun.geo.models import Community, Compound
    from chengyun.sanitation.models import SegmentDay
    from chengyun.waste import services

    keys = {p.key for p in cockpit_panels()}
    assert {"sanitation.sweeping", "waste.sorting"} <= keys
    community = Community.objects.order_by("code").first()
    today = dt.date.today()
    for k, correct in enumerate((85, 60)):
        c = Compound.objects.create(code=f"XQ{k}", name=f"小区{k}", community=community, households=100)
        services.record_check(None, compound=c.code, kind="survey", checked_on=today, sample=10, inspector="x", aware=10, participating=9)
        services.record_check(None, compound=c.code, kind="inspection", checked_on=today, sample=100, inspector="x", correct=correct)
    user = make_user(R.DISTRICT_LEADER)
    client.force_login(user)
    scope = PanelScope(user=user, start=today - dt.timedelta(days=6), end=today)
    panels = {p.key: p for p in cockpit_panels()}
    waste = panels["waste.sorting"].data(scope)
    for f in waste.figures[:3]:
        assert _count(client, f.url) == f.value, f.label
    assert [f.value for f in waste.figures[:3]] == [1, 1, 2]
    sweep = panels["sanitation.sweeping"].data(scope)
    assert SegmentDay.objects.count() == 0 and sweep.figures[1].value == 0
    assert _count(client, sweep.figures[1].url) == 0
