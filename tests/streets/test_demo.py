"""The demo: every road segment assigned, three months of patrols with some chiefs behind,
three night-economy policies with about eighty permits and violations among them."""
import datetime as dt
import time

import pytest

from chengyun.demo.context import DemoContext

pytestmark = pytest.mark.django_db


def test_demo_streets():
    from chengyun.geo import demo as geo_demo
    from chengyun.people import demo as people_demo
    from chengyun.roads import demo as roads_demo
    from chengyun.roads.models import RoadSegment
    from chengyun.streets import demo, permit_workflow as wf
    from chengyun.streets.models import NightPolicy, Patrol, Permit, SegmentAssignment, Violation
    from chengyun.streets.services import compliance

    ctx = DemoContext(log=print)
    geo_demo.generate(ctx)
    people_demo.generate(ctx)
    roads_demo.generate(ctx)
    started = time.monotonic()
    demo.generate(ctx)
    print("streets demo took", round(time.monotonic() - started, 1), "s")
    assert not RoadSegment.objects.exclude(id__in=SegmentAssignment.objects.filter(valid_to__isnull=True).values("segment_id")).exists()
    assert SegmentAssignment.objects.filter(valid_to__isnull=False).exists()  # history
    assert Patrol.objects.filter(kind="leader").count() > 300 and Patrol.objects.filter(kind="team").count() > 100
    assert Patrol.objects.exclude(dropped=[]).exists()
    first = Patrol.objects.order_by("started_at").first().started_at.date()
    assert (dt.date.today() - first).days >= 84
    last_week = dt.date.today() - dt.timedelta(days=7)
    items = compliance.statuses(compliance.assignments_in(last_week, last_week).filter(valid_to__isnull=True), "week", last_week)
    chiefs = compliance.by_chief(items)
    assert any(c.behind for c in chiefs) and any(not c.behind for c in chiefs)
    assert NightPolicy.objects.filter(kind="business").count() == 2 and NightPolicy.objects.filter(kind="tourist").count() == 1
    assert 65 <= Permit.objects.count() <= 110, Permit.objects.count()
    assert Permit.objects.filter(state=wf.REVOKED).exists()
    assert Violation.objects.exclude(case_number="").count() >= 10
    # Running it again changes nothing.
    n = Patrol.objects.count()
    demo.generate(ctx)
    assert Patrol.objects.count() == n
