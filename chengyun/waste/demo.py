"""Sorting data for every compound, demonstration areas widened over two years, the 无废城市
indicators with yearly targets and actuals, and the waste-to-energy plant relocation as a key
task in supervision (its services, its milestones)."""
from __future__ import annotations

import datetime as dt

from chengyun.demo.context import DemoContext

from .indicators import DEFAULT_INDICATORS
from .views import PLANT_TASK_CODE

# (target, actual) per year for the default indicators: the district's plan and its track record.
VALUES = {
    "recycling_rate": ((35, 33.1), (36, 35.4), (38, 37.2), (40, None)),
    "resource_rate": ((50, 48.5), (54, 53.0), (58, 57.6), (60, None)),
    "construction_rate": ((8, 6.9), (10, 9.4), (12, 11.8), (14, None)),
    "zero_landfill": ((3.0, 3.4), (1.5, 1.2), (0, 0), (0, None)),
    "sorting_coverage": ((85, 82.5), (90, 91.0), (95, 96.3), (100, None)),
    "zero_waste_cells": ((20, 18), (40, 43), (60, 61), (80, None)),
}

PLANT_MILESTONES = (("新址选址论证与规划调整", 0.12), ("环境影响评价批复", 0.28), ("新厂主体工程开工", 0.45),
                    ("焚烧线与烟气净化系统安装", 0.7), ("新厂调试与试运行", 0.88), ("老厂停运与场地修复", 1.0))


def _plant_task(ctx: DemoContext, today: dt.date) -> str:
    try:
        from chengyun.supervision import services as sup
        from chengyun.supervision.models import KeyTask
    except ImportError:
        return "未安装督查督办"
    if KeyTask.objects.filter(code=PLANT_TASK_CODE).exists():
        return "已存在"
    from chengyun.geo.models import Unit
    from chengyun.people import roles as R
    from chengyun.people.models import Person

    person = Person.objects.filter(roles__code=R.OPS_SHIFT_LEADER, user__isnull=False, active=True).select_related("user").order_by("id").first()
    lead = Unit.objects.filter(code="D01").first()
    if person is None or lead is None:
        return "缺少值班长账号或城管局"
    user = person.user
    start = today - dt.timedelta(days=420)
    deadline = today + dt.timedelta(days=300)
    span = (deadline - start).days
    leader = Person.objects.filter(roles__code=R.DISTRICT_LEADER).order_by("id").first()
    with sup.as_of(start):
        task = sup.create_task(user, code=PLANT_TASK_CODE, title="垃圾焚烧发电厂转场", source="superior", category="city_appearance", lead_unit=lead,
                               cooperating_units=list(Unit.objects.filter(code__in=("D02", "D04"))), start_date=start, deadline=deadline,
                               responsible_leader=leader,
                               description="老厂位于城区上风向，按市政府部署转场至新址；新厂建成投运前老厂不停运，垃圾焚烧处理能力不中断。",
                               milestones=[(name, start + dt.timedelta(days=round(span * share)), 1) for name, share in PLANT_MILESTONES])
    done = 0
    for m in task.milestones.order_by("planned_date"):
        if m.planned_date > today:
            break
        on = m.planned_date + dt.timedelta(days=7 * done)  # the later milestones slip a little
        if on > today:
            break
        with sup.as_of(on):
            sup.complete_milestone(user, m, on=on)
        done += 1
    return f"{task.code}，节点 {task.milestones.count()} 个，已完成 {done} 个"


def generate(ctx: DemoContext) -> None:
    from chengyun.geo.models import Compound, Street, Unit

    from . import services
    from .models import DemoArea, SortingCompound, ZeroWasteIndicator

    if SortingCompound.objects.exists():
        ctx.log("垃圾分类：已存在，跳过")
        return
    rng = ctx.rng("waste")
    today = dt.date.today()
    streets = list(Street.objects.order_by("code"))
    compounds = list(Compound.objects.filter(active=True).select_related("community__street").order_by("code"))
    if not streets or not compounds:
        ctx.log("垃圾分类：缺少街道或小区，跳过")
        return
    # One demonstration area per street, named over the last two years; each takes in its street's
    # compounds in waves after it is named.
    areas = {}
    for k, st in enumerate(streets):
        designated = today - dt.timedelta(days=720 - k * 110)
        areas[st.id] = services.create_demo_area(None, code=f"FLPQ{k + 1:02d}", name=f"{st.name}垃圾分类示范片区", street=st.code,
                                                 designated_on=designated, level="city" if k == 0 else "district")
    inspectors = ("社区网格员张", "社区网格员刘", "物业管家王", "志愿者孙")
    checks = 0
    for c in compounds:
        area = areas[c.community.street_id]
        r = rng.random()
        since = None if r < 0.06 else today - dt.timedelta(days=rng.randint(60, 1200))
        joined = None
        if since is not None and rng.random() < 0.55:
            joined = max(area.designated_on, since) + dt.timedelta(days=rng.randint(0, 200))
            if joined > today:
                joined = None
        services.enrol_compound(None, compound=c.code, sorting_since=since, demo_area=area.code if joined else "", joined_area_on=joined)
        if since is None:
            continue
        quality = rng.uniform(0.72, 1.0) + (0.08 if joined else 0)
        sample = rng.choice((30, 40, 50, 60))
        for months_ago in (rng.randint(4, 8), rng.randint(0, 3)):
            when = today - dt.timedelta(days=30 * months_ago + rng.randint(0, 20))
            aware = min(sample, round(sample * min(1.0, rng.uniform(0.84, 0.99) * quality + 0.08)))
            part = min(sample, round(sample * min(1.0, rng.uniform(0.7, 0.95) * quality + 0.05)))
            correct = min(sample, round(sample * min(1.0, rng.uniform(0.68, 0.93) * quality + 0.05)))
            services.record_check(None, compound=c.code, kind="survey", checked_on=when, sample=sample, inspector=rng.choice(inspectors),
                                  aware=aware, participating=part)
            services.record_check(None, compound=c.code, kind="inspection", checked_on=min(today, when + dt.timedelta(days=rng.randint(0, 5))),
                                  sample=sample, inspector=rng.choice(inspectors), participating=part, correct=correct)
            checks += 2
    unit = Unit.objects.filter(code="D01").first()
    for n, (code, name, unit_label, direction, category, basis) in enumerate(DEFAULT_INDICATORS):
        ind = services.create_indicator(None, code=code, name=name, unit_label=unit_label, direction=direction, category=category, basis=basis,
                                        unit=unit.code if unit else "", order=n)
        for k, (target, actual) in enumerate(VALUES[code]):
            services.set_value(None, ind, year=today.year - 3 + k, target=float(target), actual=None if actual is None else float(actual))
    compliant = SortingCompound.objects.filter(compliant=True).count()
    task = _plant_task(ctx, today)
    ctx.log(f"垃圾分类：{len(compounds)} 个小区，调查检查 {checks} 次，达标 {compliant} 个；示范片区 {DemoArea.objects.count()} 个；"
            f"无废城市指标 {ZeroWasteIndicator.objects.count()} 项；焚烧厂转场督办 {task}")
