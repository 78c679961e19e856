"""Six months of the report archive, as the scheduler would have left it: the monthly 通报 of
each of the last six months, the weekly packs of the last four weeks and the daily briefs of the
last five working days, each stamped with the time its schedule would have run; and the research
report of every reported research plan."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chengyun.core.calendar import get_calendar
from chengyun.demo.context import DemoContext
from chengyun.reports import kinds, schedules, services
from chengyun.reports.models import ReportRun


def _stamp(run: ReportRun, day: dt.date, spec: str) -> None:
    _freq, _day, at = schedules.parse_spec(spec)
    when = timezone.make_aware(dt.datetime.combine(day, at))
    ReportRun.objects.filter(pk=run.pk).update(generated_at=when)


def generate(ctx: DemoContext) -> None:
    if ReportRun.objects.filter(kind__startswith="district-").exists():
        ctx.log("综合报告：已存在，跳过")
        return
    today = timezone.localdate()
    made = 0
    first = today.replace(day=1)
    for _ in range(6):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    month = first
    monthly = kinds.get("district-monthly")
    while month < today.replace(day=1):
        run, _g = services.generate(None, "district-monthly", {"month": f"{month.year}-{month.month:02d}"})
        nxt = (month + dt.timedelta(days=32)).replace(day=1)
        _stamp(run, nxt, monthly.schedule)
        month, made = nxt, made + 1
    weekly = kinds.get("district-weekly")
    friday = today - dt.timedelta(days=(today.weekday() - 4) % 7 or 7)
    for k in range(4):
        day = friday - dt.timedelta(weeks=k)
        run, _g = services.generate(None, "district-weekly", {"date": day.isoformat()})
        _stamp(run, day, weekly.schedule)
        made += 1
    daily = kinds.get("district-daily")
    day, done = today - dt.timedelta(days=1), 0
    while done < 5:
        if get_calendar().is_workday(day):
            run, _g = services.generate(None, "district-daily", {"date": day.isoformat()})
            _stamp(run, day, daily.schedule)
            done, made = done + 1, made + 1
        day -= dt.timedelta(days=1)
    from chengyun.research.models import ResearchPlan

    for plan in ResearchPlan.objects.exclude(report_title=""):
        services.generate(None, "research-report", {"plan": plan.code})
        made += 1
    ctx.log(f"综合报告：已归档 {made} 份（近六个月月度通报、近四周周会商材料、近五个工作日日调度简报、调研报告）")
