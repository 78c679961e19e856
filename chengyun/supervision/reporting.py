"""The documents supervision writes so that no unit has to: the evening daily brief (日调度简报)
and the monthly summary (月总结), each as data (for the pages) and as .docx/.xlsx (archived)."""
from __future__ import annotations

import calendar as pycal
import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from chengyun.core.calendar import get_calendar
from chengyun.core.errors import Invalid
from chengyun.reports import kinds, xlsx
from chengyun.reports import docx as docx_sizes
from chengyun.reports.docx import OfficialDocument

from . import services
from .models import DailyEntry, Decision, KeyTask, Mediation, Meeting, Milestone, ProjectMeasure, StalledProject, Status

STATUS_LABELS = {"green": "绿", "yellow": "黄", "red": "红"}
# The three rectification drives of the district's plan come first in every report.
KEY_CATEGORIES = ("road_collapse", "sewage_overflow", "stalled")


def _district_name() -> str:
    from chengyun.geo.models import District

    d = District.objects.order_by("code").first()
    return d.name if d else "本区"


def _issuer() -> str:
    from chengyun.geo.models import Unit

    ops = Unit.objects.filter(kind=Unit.Kind.OPS_CENTER).order_by("code").first()
    return ops.name if ops else "城市运行管理中心"


def _unit_label(unit) -> str:
    return unit.short_name or unit.name


def _pct(a: float, b: float) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "—"


# -- daily brief ---------------------------------------------------------------------------------

@dataclass
class DailyBrief:
    day: dt.date
    workday: bool
    due: int
    submitted: int
    late: int
    missing: list[KeyTask]
    red: list[KeyTask]
    yellow: list[KeyTask]
    coordination: list[DailyEntry]
    progress: list[DailyEntry]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{_district_name()}重点任务日调度简报（{self.day.year}年{self.day.month}月{self.day.day}日）"


def daily_brief(day: dt.date) -> DailyBrief:
    due_qs = services.tasks_due_entries(day)
    due_ids = set(due_qs.values_list("pk", flat=True))
    entries = list(DailyEntry.objects.filter(date=day).select_related("task", "task__lead_unit", "unit").order_by("task__lead_unit__code", "task__code"))
    active = KeyTask.objects.filter(state=KeyTask.State.ACTIVE, start_date__lte=day).select_related("lead_unit")
    counts = Counter(active.values_list("status", flat=True))
    return DailyBrief(
        day=day, workday=get_calendar().is_workday(day), due=len(due_ids),
        submitted=sum(1 for e in entries if e.task_id in due_ids), late=sum(1 for e in entries if e.late),
        missing=services.missing_entries(day),
        red=list(active.filter(status=Status.RED).order_by("deadline")), yellow=list(active.filter(status=Status.YELLOW).order_by("deadline")),
        coordination=[e for e in entries if e.coordination], progress=entries,
        counts={s: counts.get(s, 0) for s in ("green", "yellow", "red")},
    )


def daily_docx(brief: DailyBrief) -> bytes:
    doc = OfficialDocument(title=brief.title, addressee="区委、区政府领导，各牵头单位", issuer=_issuer(), date=brief.day)
    doc.heading("填报情况")
    if not brief.workday:
        doc.paragraph("今日为休息日，不要求报送日调度。")
    missing_units = sorted({_unit_label(t.lead_unit) for t in brief.missing})
    doc.paragraph(f"今日应报任务{brief.due}项，实报{brief.submitted}项，报送率{_pct(brief.submitted, brief.due)}；"
                  f"逾时报送{brief.late}项；未报{len(brief.missing)}项"
                  + (f"（{'、'.join(missing_units)}）。" if missing_units else "。"))
    doc.paragraph(f"在督任务中，绿色{brief.counts['green']}项、黄色{brief.counts['yellow']}项、红色{brief.counts['red']}项。")
    doc.heading("红黄任务")
    rows = [(t.code, t.title, _unit_label(t.lead_unit), STATUS_LABELS[t.status], t.status_reason) for t in brief.red + brief.yellow]
    if rows:
        doc.table(["编号", "任务", "牵头单位", "状态", "原因"], rows, widths_cm=[2.6, 4.5, 2.4, 1.2, 5])
    else:
        doc.paragraph("无红色、黄色任务。")
    doc.heading("需协调事项")
    if brief.coordination:
        doc.numbered([f"{e.task.title}（{_unit_label(e.unit)}）：{e.coordination}" for e in brief.coordination])
    else:
        doc.paragraph("今日无需协调事项。")
    doc.heading("主要进展")
    for e in brief.progress[:40]:
        doc.paragraph(e.work_done, lead=f"{e.task.title}（{_unit_label(e.unit)}）：")
    if not brief.progress:
        doc.paragraph("今日无报送。")
    doc.signature()
    return doc.to_bytes()


def _daily_arguments(parser) -> None:
    parser.add_argument("--date", required=True, help="日期 YYYY-MM-DD")


def _parse_date(text: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise Invalid(f"日期“{text}”格式有误，应为 YYYY-MM-DD", code="bad_date") from None


def build_daily(options: dict[str, Any]) -> kinds.Generated:
    day = _parse_date(options.get("date"))
    brief = daily_brief(day)
    return kinds.Generated(title=brief.title, period=day.isoformat(), docx=daily_docx(brief),
                           summary={"due": brief.due, "submitted": brief.submitted, "missing": len(brief.missing), **brief.counts})


DAILY = kinds.ReportKind("supervision-daily", "日调度简报", _daily_arguments, build_daily,
                         params=lambda o: {"date": str(o.get("date"))})


# -- monthly summary -----------------------------------------------------------------------------

def parse_month(text: Any) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", str(text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise Invalid(f"月份“{text}”格式有误，应为 YYYY-MM", code="bad_month")
    return int(m.group(1)), int(m.group(2))


@dataclass
class TaskRow:
    task: KeyTask
    status: str
    reason: str
    planned: float
    actual: float
    completed_in_month: bool
    unit_note: str  # the lead unit's stated problems, latest in the month


@dataclass
class UnitRow:
    unit: Any
    tasks: int = 0
    completed: int = 0
    red: int = 0
    yellow: int = 0
    due_entries: int = 0
    entries: int = 0
    on_time: int = 0


@dataclass
class MonthlySummary:
    year: int
    month: int
    first: dt.date
    last: dt.date
    as_of: dt.date
    rows: list[TaskRow]
    units: list[UnitRow]
    by_category: list[tuple[str, str, int, int, int, int, int]]  # code, name, total, green, yellow, red, completed
    status_counts: dict[str, int]
    completed_in_month: int
    completed_total: int  # of this month's tasks, completed by the end of the month
    registered_total: int  # every task registered up to the end of the month
    completed_all: int  # every task completed up to the end of the month
    entries_due: int
    entries_in: int
    entries_late: int
    meetings: list[Meeting]
    decisions: list[Decision]
    decisions_done: int
    milestones_done: list[Milestone]
    next_milestones: list[Milestone]
    next_deadlines: list[KeyTask]
    projects: list[StalledProject]
    measures_amount: float
    mediations: int

    @property
    def title(self) -> str:
        return f"关于{self.year}年{self.month}月{_district_name()}重点任务督查督办情况的通报"

    @property
    def lagging(self) -> list[TaskRow]:
        rows = [r for r in self.rows if r.status in ("red", "yellow") and not (r.task.completed_on and r.task.completed_on <= self.as_of)]
        return sorted(rows, key=lambda r: (r.status != "red", r.task.deadline, r.task.code))


def monthly_summary(year: int, month: int, *, today: dt.date | None = None) -> MonthlySummary:
    first = dt.date(year, month, 1)
    last = dt.date(year, month, pycal.monthrange(year, month)[1])
    now = today or services.dates.today()
    if first > now:
        raise Invalid(f"{year}年{month}月尚未开始，无法生成月度总结", code="future_month")
    as_of = min(last, now)
    tasks = list(KeyTask.objects.filter(start_date__lte=as_of).exclude(state=KeyTask.State.CANCELLED)
                 .exclude(completed_on__lt=first).select_related("lead_unit", "category").prefetch_related("milestones")
                 .order_by("category__order", "code"))
    problems: dict[int, str] = {}
    for task_id, text in (DailyEntry.objects.filter(date__gte=first, date__lte=as_of).exclude(problems="")
                          .order_by("date").values_list("task_id", "problems")):
        problems[task_id] = text
    rows = []
    for t in tasks:
        ev = services.evaluate_task(t, as_of)
        rows.append(TaskRow(t, ev.status, ev.reason, ev.planned, ev.actual,
                            bool(t.completed_on and first <= t.completed_on <= as_of), problems.get(t.pk, "")))
    done_by = {r.task.pk for r in rows if r.task.completed_on and r.task.completed_on <= as_of}
    status_counts = Counter(r.status for r in rows if r.task.pk not in done_by)
    cats: dict[int, list] = {}
    for r in rows:
        c = r.task.category
        entry = cats.setdefault(c.pk, [c.code, c.name, 0, 0, 0, 0, 0, c.order])
        entry[2] += 1
        if r.task.pk in done_by:
            entry[6] += 1
        else:
            entry[{"green": 3, "yellow": 4, "red": 5}[r.status]] += 1
    by_category = [tuple(v[:7]) for v in sorted(cats.values(), key=lambda v: (v[7], v[0]))]

    # Daily reporting by unit: owed on each working day of the month the task was active.
    cal = get_calendar()
    workdays = [first + dt.timedelta(days=i) for i in range((as_of - first).days + 1) if cal.is_workday(first + dt.timedelta(days=i))]
    entries = defaultdict(list)
    for e in DailyEntry.objects.filter(date__gte=first, date__lte=as_of).values("task_id", "date", "late"):
        entries[e["task_id"]].append(e)
    units: dict[int, UnitRow] = {}
    due_total = in_total = late_total = 0
    for r in rows:
        t = r.task
        u = units.setdefault(t.lead_unit_id, UnitRow(t.lead_unit))
        u.tasks += 1
        if t.pk in done_by:
            u.completed += 1
        elif r.status == "red":
            u.red += 1
        elif r.status == "yellow":
            u.yellow += 1
        owed = {d for d in workdays if d >= t.start_date and not (t.completed_on and d > t.completed_on)}
        got = [e for e in entries.get(t.pk, []) if e["date"] in owed]
        u.due_entries += len(owed)
        u.entries += len(got)
        u.on_time += sum(1 for e in got if not e["late"])
        due_total += len(owed)
        in_total += len(got)
        late_total += sum(1 for e in got if e["late"])
    unit_rows = sorted(units.values(), key=lambda u: (-u.tasks, u.unit.code))

    meetings = list(Meeting.objects.filter(date__gte=first, date__lte=as_of).order_by("date"))
    decisions = list(Decision.objects.filter(meeting__in=meetings).select_related("action_task", "owner_unit"))
    decisions_done = sum(1 for d in decisions if d.action_task and d.action_task.completed_on and d.action_task.completed_on <= as_of)
    milestones_done = list(Milestone.objects.filter(done_on__gte=first, done_on__lte=as_of).select_related("task").order_by("done_on"))
    next_first = last + dt.timedelta(days=1)
    next_last = dt.date(next_first.year, next_first.month, pycal.monthrange(next_first.year, next_first.month)[1])
    next_milestones = list(Milestone.objects.filter(task__start_date__lte=as_of, planned_date__gte=next_first, planned_date__lte=next_last)
                           .exclude(task__state=KeyTask.State.CANCELLED).exclude(task__completed_on__lte=as_of)
                           .filter(Q(done_on__isnull=True) | Q(done_on__gt=as_of)).select_related("task", "task__lead_unit").order_by("planned_date"))
    next_deadlines = list(KeyTask.objects.filter(start_date__lte=as_of, deadline__gte=next_first, deadline__lte=next_last)
                          .exclude(state=KeyTask.State.CANCELLED).exclude(completed_on__lte=as_of)
                          .select_related("lead_unit").order_by("deadline"))
    projects = list(StalledProject.objects.select_related("task", "lead_unit").order_by("name"))
    measures_amount = float(sum(ProjectMeasure.objects.filter(date__gte=first, date__lte=as_of).values_list("amount", flat=True)))
    mediations = Mediation.objects.filter(date__gte=first, date__lte=as_of).count()
    return MonthlySummary(
        year=year, month=month, first=first, last=last, as_of=as_of, rows=rows, units=unit_rows, by_category=by_category,
        status_counts={s: status_counts.get(s, 0) for s in ("green", "yellow", "red")},
        completed_in_month=sum(1 for r in rows if r.completed_in_month), completed_total=len(done_by),
        registered_total=KeyTask.objects.filter(start_date__lte=as_of).exclude(state=KeyTask.State.CANCELLED).count(),
        completed_all=KeyTask.objects.filter(completed_on__lte=as_of).count(),
        entries_due=due_total, entries_in=in_total, entries_late=late_total, meetings=meetings, decisions=decisions,
        decisions_done=decisions_done, milestones_done=milestones_done, next_milestones=next_milestones,
        next_deadlines=next_deadlines, projects=projects, measures_amount=measures_amount, mediations=mediations)


def _key_category_paragraphs(s: MonthlySummary, code: str) -> list[str]:
    rows = [r for r in s.rows if r.task.category.code == code]
    texts = []
    for r in rows[:6]:
        done = [m.name for m in s.milestones_done if m.task_id == r.task.pk]
        latest = r.task.daily_entries.filter(date__lte=s.as_of, date__gte=s.first).order_by("-date").first()
        text = f"{r.task.title}（{_unit_label(r.task.lead_unit)}牵头）：计划进度{r.planned:.0f}%，实际进度{r.actual:.0f}%"
        if done:
            text += f"，本月完成“{'”“'.join(done)}”节点"
        text += "。"
        if latest:
            text += latest.work_done.rstrip("。") + "。"
        texts.append(text)
    return texts


def monthly_docx(s: MonthlySummary) -> bytes:
    from chengyun.reports import charts  # matplotlib loads only when a report is drawn

    doc = OfficialDocument(title=s.title, addressee="各街道办事处，区直各部门，各有关单位", issuer=_issuer(), date=s.as_of)
    active = sum(s.status_counts.values())
    doc.paragraph(f"现将{s.year}年{s.month}月全区重点任务督查督办情况通报如下。")
    doc.heading("总体情况")
    doc.paragraph(
        f"截至{s.as_of.month}月{s.as_of.day}日，累计列入督办的重点任务{s.registered_total}项，累计完成{s.completed_all}项；"
        f"本月在督{len(s.rows)}项，本月完成{s.completed_in_month}项；尚未完成的{active}项中，绿色{s.status_counts['green']}项、黄色{s.status_counts['yellow']}项、"
        f"红色{s.status_counts['red']}项。本月应报日调度{s.entries_due}条，实报{s.entries_in}条，报送率{_pct(s.entries_in, s.entries_due)}，"
        f"逾时报送{s.entries_late}条。召开周会商{len(s.meetings)}次，形成议定事项{len(s.decisions)}项，已落实{s.decisions_done}项。")
    doc.table(["类别", "任务数", "绿", "黄", "红", "已完成"], [row[1:] for row in s.by_category], caption="重点任务分类状态统计",
              widths_cm=[5.5, 2, 1.6, 1.6, 1.6, 2])
    doc.chart(charts.pie_chart(["绿", "黄", "红", "已完成"],
                               [s.status_counts["green"], s.status_counts["yellow"], s.status_counts["red"], s.completed_total],
                               colours=[charts.STATUS_COLOURS[k] for k in ("green", "yellow", "red", "done")]),
              caption="重点任务状态分布", width_cm=10)
    doc.heading("各单位完成情况")
    unit_rows = [(_unit_label(u.unit), u.tasks, u.completed, _pct(u.completed, u.tasks), u.red, u.yellow,
                  f"{u.entries}/{u.due_entries}", _pct(u.on_time, u.due_entries)) for u in s.units]
    doc.table(["单位", "牵头任务", "已完成", "完成率", "红", "黄", "日报实报/应报", "按时率"], unit_rows,
              caption="各单位任务完成和日调度报送情况", font_size=docx_sizes.SIZE_5)
    top = s.units[:10]
    doc.chart(charts.bar_chart([_unit_label(u.unit) for u in top],
                               {"已完成": [u.completed for u in top], "绿": [u.tasks - u.completed - u.red - u.yellow for u in top],
                                "黄": [u.yellow for u in top], "红": [u.red for u in top]},
                               stacked=True, ylabel="任务数",
                               colours={"已完成": charts.STATUS_COLOURS["done"], "绿": charts.STATUS_COLOURS["green"],
                                        "黄": charts.STATUS_COLOURS["yellow"], "红": charts.STATUS_COLOURS["red"]}),
              caption="各单位牵头任务状态")
    doc.heading("逾期和滞后任务")
    lagging = s.lagging
    if lagging:
        red = sum(1 for r in lagging if r.status == "red")
        doc.paragraph(f"本月末红色（逾期）任务{red}项、黄色（滞后）任务{len(lagging) - red}项，具体情况及牵头单位说明的原因如下。")
        doc.table(["编号", "任务", "牵头单位", "状态", "评定原因", "单位说明"],
                  [(r.task.code, r.task.title, _unit_label(r.task.lead_unit), STATUS_LABELS[r.status], r.reason, r.unit_note or "未说明")
                   for r in lagging], caption="逾期和滞后任务清单", widths_cm=[2.4, 3.6, 2.2, 1.1, 3.8, 3.6])
    else:
        doc.paragraph("本月无逾期或滞后任务。")
    doc.heading("重点工作进展")
    for code in KEY_CATEGORIES:
        name = next((c[1] for c in s.by_category if c[0] == code), None)
        if name is None:
            continue
        doc.subheading(name)
        for text in _key_category_paragraphs(s, code):
            doc.paragraph(text)
        if code == "stalled" and s.projects:
            resumed = sum(1 for p in s.projects if p.resumed_on and p.resumed_on <= s.as_of)
            households = sum(p.households for p in s.projects)
            doc.paragraph(f"全区纳入台账的半拉子工程{len(s.projects)}个，涉及{households}户，已复工{resumed}个；"
                          f"本月落实纾困资金{s.measures_amount:.0f}万元，开展纠纷调解{s.mediations}次。")
    doc.subheading("会商议定事项落实")
    if s.decisions:
        doc.paragraph(f"本月{len(s.meetings)}次周会商形成议定事项{len(s.decisions)}项，已落实{s.decisions_done}项，"
                      f"其余{len(s.decisions) - s.decisions_done}项纳入督办持续跟踪。")
    else:
        doc.paragraph("本月无议定事项。")
    doc.heading("下月工作安排")
    plan = [f"{m.task.title}：{m.planned_date.month}月{m.planned_date.day}日前完成“{m.name}”（{_unit_label(m.task.lead_unit)}）。"
            for m in s.next_milestones[:15]]
    plan += [f"{t.title}：{t.deadline.month}月{t.deadline.day}日到期，{_unit_label(t.lead_unit)}确保按期销号。" for t in s.next_deadlines[:10]]
    if plan:
        doc.numbered(plan)
    else:
        doc.paragraph("下月无到期节点。")
    doc.paragraph("请各牵头单位对照红黄任务清单，逐项明确整改措施和完成时限，于每个工作日17:30前报送日调度进展。")
    doc.signature()
    doc.imprint(copy_to="区委办公室，区政府办公室，区委督查室", printer=_issuer(), printed_on=s.as_of)
    return doc.to_bytes()


def monthly_xlsx(s: MonthlySummary) -> bytes:
    wb = xlsx.new_workbook()
    xlsx.add_table(wb, "任务清单", ["编号", "任务", "类别", "来源", "牵头单位", "开始", "时限", "状态", "计划进度%", "实际进度%", "评定原因", "完成日期"],
                   [(r.task.code, r.task.title, r.task.category.name, r.task.get_source_display(), _unit_label(r.task.lead_unit),
                     r.task.start_date, r.task.deadline,
                     "已完成" if r.task.completed_on and r.task.completed_on <= s.as_of else STATUS_LABELS[r.status],
                     round(r.planned, 1), round(r.actual, 1), r.reason,
                     r.task.completed_on if r.task.completed_on and r.task.completed_on <= s.as_of else None) for r in s.rows],
                   status_column=7, caption=s.title)
    xlsx.add_table(wb, "分类统计", ["类别", "任务数", "绿", "黄", "红", "已完成"], [row[1:] for row in s.by_category])
    xlsx.add_table(wb, "单位完成情况", ["单位", "牵头任务", "已完成", "红", "黄", "日报应报", "日报实报", "按时报送"],
                   [(_unit_label(u.unit), u.tasks, u.completed, u.red, u.yellow, u.due_entries, u.entries, u.on_time) for u in s.units])
    xlsx.add_table(wb, "逾期滞后", ["编号", "任务", "牵头单位", "状态", "评定原因", "单位说明"],
                   [(r.task.code, r.task.title, _unit_label(r.task.lead_unit), STATUS_LABELS[r.status], r.reason, r.unit_note)
                    for r in s.lagging], status_column=3)
    xlsx.add_table(wb, "下月节点", ["任务", "节点", "计划日期", "牵头单位"],
                   [(m.task.title, m.name, m.planned_date, _unit_label(m.task.lead_unit)) for m in s.next_milestones])
    return xlsx.to_bytes(wb)


def _monthly_arguments(parser) -> None:
    parser.add_argument("--month", required=True, help="月份 YYYY-MM")


def build_monthly(options: dict[str, Any]) -> kinds.Generated:
    year, month = parse_month(options.get("month"))
    s = monthly_summary(year, month)
    return kinds.Generated(title=s.title, period=f"{year}-{month:02d}", docx=monthly_docx(s), xlsx=monthly_xlsx(s),
                           summary={"tasks": len(s.rows), "completed": s.completed_total, **s.status_counts})


MONTHLY = kinds.ReportKind("supervision-monthly", "督查督办月度总结", _monthly_arguments, build_monthly,
                           params=lambda o: {"month": str(o.get("month"))})
