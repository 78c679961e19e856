"""A small district with something in every panel: cases in every state and source (some closed
on time, some late, some overdue, escalated), key tasks of each colour incl. the three drives,
water sections judged against their targets, and alerts."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from support import grid_center

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def filled(district, units, make_user):
    from django.utils import timezone

    from chengyun.cases import services as case_services
    from chengyun.cases.models import Case, Category
    from chengyun.geo.models import Grid
    from chengyun.supervision.models import Category as TaskCategory
    from chengyun.supervision.models import DailyEntry, KeyTask
    from chengyun.water.models import Aggregate, Alert, Section, WaterBody

    case_services.load_seed_catalogue()
    category = Category.objects.filter(kind="event").order_by("code").first()
    now = timezone.now()
    grids = list(Grid.objects.select_related("community", "street").order_by("code"))
    plan = [  # source, status, reported days ago, closed days ago, was_overdue, clock, escalation
        ("community_grid_worker", "reported", 0, None, False, "normal", 0),
        ("drone", "filed", 0, None, False, "warning", 0),
        ("public", "handling", 1, None, True, "overdue", 1),
        ("hotline", "dispatched", 3, None, False, "overdue", 0),
        ("street_chief", "closed", 0, 0, False, "normal", 0),
        ("drone", "closed", 2, 0, True, "overdue", 0),
        ("ops_grid_worker", "closed", 40, 35, False, "normal", 0),
        ("public", "checking", 35, None, False, "normal", 2),
        ("street_chief", "closed", 5, 1, False, "normal", 0),
    ]
    for i, (source, status, ago, closed_ago, late, clock, esc) in enumerate(plan * 2):
        g = grids[(i * 5) % len(grids)]
        Case.objects.create(
            number=f"T{i:04d}", category=category, source=source, status=status, description="测试", lng=grid_center(g.code)[0],
            lat=grid_center(g.code)[1], street=g.street, community=g.community, grid=g, occurred_at=now - dt.timedelta(days=ago),
            reported_at=now - dt.timedelta(days=ago, minutes=i), closed_at=now - dt.timedelta(days=closed_ago) if closed_ago is not None else None,
            was_overdue=late, clock_status=clock, escalation_level=esc, unit=units["D01"] if i % 2 else units["S01"],
            stage_deadline=now + dt.timedelta(hours=1))
    cats = {c: TaskCategory.objects.get_or_create(code=c, defaults={"name": c, "order": n})[0]
            for n, c in enumerate(("road_collapse", "sewage_overflow", "stalled", "livelihood"))}
    today = timezone.localdate()
    for i, (cat, source, status) in enumerate([("road_collapse", "rectification", "red"), ("sewage_overflow", "rectification", "yellow"),
                                                ("stalled", "rectification", "green"), ("livelihood", "meeting", "red"),
                                                ("livelihood", "leader", "green")]):
        task = KeyTask.objects.create(code=f"K{i}", title=f"任务{i}", source=source, category=cats[cat], lead_unit=units["D01"],
                                      start_date=today - dt.timedelta(days=60), deadline=today + dt.timedelta(days=30), status=status)
        if i == 0:  # the first red task reported yesterday; the other has been silent
            DailyEntry.objects.create(task=task, date=today - dt.timedelta(days=1), unit=units["D01"], work_done="推进", submitted_at=now)
    body = WaterBody.objects.create(code="WB1", name="测试河", kind="river")
    for i, (target, cls) in enumerate([(3, 2), (3, 4), (2, None)]):
        g = grids[i]
        s = Section.objects.create(code=f"SEC{i}", name=f"断面{i}", lng=101.78, lat=36.6, grid=g, street=g.street, water_body=body, target_class=target)
        if cls:
            Aggregate.objects.create(site_kind="section", site_code=s.code, period="hour", start=now - dt.timedelta(hours=1),
                                     water_class=cls, target_class=target, compliant=cls <= target)
        Alert.objects.create(kind="target_exceeded", status="new" if i else "disposed", section=s, grid=g, street=g.street,
                             message="超标", first_seen_at=now, last_seen_at=now)
    return {"leader": make_user("district_leader"), "dispatcher": make_user("ops_dispatcher")}
