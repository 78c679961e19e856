"""日调度、周会商、月总结: the district-wide reports the leader asks for, written from the data.

Every figure comes from the function the matching page shows: cases from
chengyun.cases.evaluation.evaluate (the 综合评价 page), key tasks from supervision's
daily_brief / monthly_summary / agenda_for (the 日调度 and 会商 pages), water alerts from
water_alerts below (the alert list's own filter: first seen in the period). So the report and
the screen never disagree (tests/briefing checks it).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from chengyun.cases import evaluation
from chengyun.core.errors import Invalid
from chengyun.people import roles as R
from chengyun.reports import docx as sizes
from chengyun.reports import kinds, xlsx
from chengyun.reports.docx import OfficialDocument
from chengyun.supervision import reporting as sup
from chengyun.supervision import services as sup_services

AUDIENCE = frozenset({R.DISTRICT_LEADER, R.OPS_SHIFT_LEADER})


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


@dataclass
class CaseFigures:
    period: evaluation.Period
    streets: list[evaluation.AreaRow]
    units: list[evaluation.UnitRow]

    @property
    def total(self) -> int:
        return sum(a.cases for a in self.streets)

    @property
    def closed(self) -> int:
        return sum(a.closed for a in self.streets)

    @property
    def overdue(self) -> int:
        return sum(u.overdue for u in self.units)


def case_figures(kind: str, start: dt.date, end: dt.date | None = None) -> CaseFigures:
    period = evaluation.period_bounds(kind, start, end)
    ev = evaluation.evaluate(period)
    return CaseFigures(period, [a for a in ev.areas if a.level == "street"], ev.units)


@dataclass
class AlertFigures:
    total: int
    by_kind: list[tuple[str, int]]
    by_street: list[tuple[str, int]]
    open: int


def water_alerts(start: dt.date, end: dt.date) -> AlertFigures:
    """Water alerts first seen in the period (inclusive days), as the alert list filters them."""
    from chengyun.water.models import Alert

    period = evaluation.Period("custom", start, end)
    lo, hi = period.bounds()
    rows = list(Alert.objects.filter(first_seen_at__gte=lo, first_seen_at__lt=hi).select_related("street"))
    labels = dict(Alert.Kind.choices)
    return AlertFigures(len(rows), Counter(str(labels.get(a.kind, a.kind)) for a in rows).most_common(),
                        Counter(a.street.name for a in rows).most_common(), sum(1 for a in rows if a.status != Alert.Status.DISPOSED))


def _street_table(doc: OfficialDocument, cases: CaseFigures, caption: str) -> None:
    doc.table(["街道", "立案数", "结案数", "结案率", "每平方公里"],
              [(a.name, a.cases, a.closed, _pct(a.closed_rate), "—" if a.density is None else f"{a.density:.1f}") for a in cases.streets],
              caption=caption, font_size=sizes.SIZE_5)


def _street_chart(cases: CaseFigures, title: str = "") -> bytes:
    from chengyun.reports import charts

    return charts.bar_chart([a.name for a in cases.streets], {"立案数": [a.cases for a in cases.streets],
                                                               "结案数": [a.closed for a in cases.streets]}, title=title, ylabel="件")


# -- daily brief ---------------------------------------------------------------------------------

def _date(text: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise Invalid(f"日期“{text}”格式有误，应为 YYYY-MM-DD", code="bad_date", detail={"field": "date"}) from None


def build_daily(options: dict[str, Any]) -> kinds.Generated:
    day = _date(options.get("date"))
    cases = case_figures("day", day)
    brief = sup.daily_brief(day)
    alerts = water_alerts(day, day)
    title = f"{sup._district_name()}城市运行日调度简报（{day.year}年{day.month}月{day.day}日）"
    doc = OfficialDocument(title=title, addressee="区委、区政府领导，城运中心各科室", issuer=sup._issuer(), date=day)
    doc.heading("城市管理案件")
    doc.paragraph(f"当日立案{cases.total}件，其中已结案{cases.closed}件；承办单位处置超期{cases.overdue}件。")
    _street_table(doc, cases, "各街道当日案件")
    doc.heading("重点任务调度")
    doc.paragraph(f"今日应报{brief.due}项，实报{brief.submitted}项，未报{len(brief.missing)}项；在督任务绿色{brief.counts['green']}项、"
                  f"黄色{brief.counts['yellow']}项、红色{brief.counts['red']}项。")
    if brief.coordination:
        doc.numbered([f"{e.task.title}：{e.coordination}" for e in brief.coordination[:15]])
    doc.heading("水环境告警")
    if alerts.total:
        doc.paragraph(f"当日新发告警{alerts.total}条，" + "、".join(f"{k}{n}条" for k, n in alerts.by_kind) + "。")
    else:
        doc.paragraph("当日无新发水环境告警。")
    doc.signature()
    summary = {"cases": cases.total, "closed": cases.closed, "overdue": cases.overdue, "tasks_due": brief.due,
               "tasks_submitted": brief.submitted, **{f"tasks_{k}": v for k, v in brief.counts.items()}, "water_alerts": alerts.total}
    return kinds.Generated(title=title, period=day.isoformat(), docx=doc.to_bytes(), summary=summary)


# -- weekly consultation pack ---------------------------------------------------------------------

def build_weekly(options: dict[str, Any]) -> kinds.Generated:
    day = _date(options.get("date"))
    monday, sunday = sup_services.week_of(day)
    cases = case_figures("week", monday)
    alerts = water_alerts(monday, sunday)
    agenda = sup_services.agenda_for(sunday)
    status = Counter(i["status"] for i in agenda)
    title = f"{sup._district_name()}城市运行周会商材料（{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日）"
    doc = OfficialDocument(title=title, addressee="区委、区政府领导，各牵头单位", issuer=sup._issuer(), date=sunday)
    doc.heading("会商议题")
    if agenda:
        doc.table(["序号", "议题", "状态", "原因及需协调事项"],
                  [(i + 1, a["topic"], sup.STATUS_LABELS.get(a["status"], a["status"]), a["reason"]) for i, a in enumerate(agenda)],
                  caption="本周会商议题", widths_cm=[1.2, 5.5, 1.2, 8], font_size=sizes.SIZE_5)
    else:
        doc.paragraph("本周无红黄任务和需协调事项。")
    doc.heading("本周城市管理案件")
    doc.paragraph(f"本周立案{cases.total}件，其中已结案{cases.closed}件；承办单位处置超期{cases.overdue}件。")
    _street_table(doc, cases, "各街道本周案件")
    doc.chart(_street_chart(cases), caption="各街道本周案件")
    doc.heading("本周水环境告警")
    doc.paragraph(f"本周新发告警{alerts.total}条" + ("，" + "、".join(f"{s}{n}条" for s, n in alerts.by_street) if alerts.by_street else "") + "。")
    doc.signature()
    wb = xlsx.new_workbook()
    xlsx.add_table(wb, "会商议题", ["议题", "状态", "原因"], [(a["topic"], sup.STATUS_LABELS.get(a["status"], a["status"]), a["reason"]) for a in agenda],
                   status_column=1, caption=title)
    xlsx.add_table(wb, "街道案件", ["街道", "立案数", "结案数"], [(a.name, a.cases, a.closed) for a in cases.streets])
    summary = {"agenda": len(agenda), "agenda_red": status.get("red", 0), "cases": cases.total, "closed": cases.closed, "water_alerts": alerts.total}
    return kinds.Generated(title=title, period=f"{monday.isoformat()}", docx=doc.to_bytes(), xlsx=xlsx.to_bytes(wb), summary=summary)


# -- monthly summary -----------------------------------------------------------------------------

def build_monthly(options: dict[str, Any]) -> kinds.Generated:
    from chengyun.reports import charts

    year, month = sup.parse_month(options.get("month"))
    first = dt.date(year, month, 1)
    cases = case_figures("month", first)
    last = cases.period.end
    alerts = water_alerts(first, last)
    s = sup.monthly_summary(year, month)
    district = sup._district_name()
    title = f"关于{year}年{month}月全区城市运行情况的通报"
    number = f"{district[:1]}城运〔{year}〕{month}号"
    doc = OfficialDocument(title=title, addressee="各街道办事处，区直各部门，各有关单位", issuer=sup._issuer(), date=s.as_of,
                           masthead=f"{sup._issuer()}文件", doc_number=number)
    doc.paragraph(f"现将{year}年{month}月全区城市运行情况通报如下。")
    doc.heading("城市管理案件")
    doc.paragraph(f"本月全区立案{cases.total}件，其中已结案{cases.closed}件，结案率{_pct(cases.closed / cases.total if cases.total else None)}；"
                  f"处置超期{cases.overdue}件。")
    _street_table(doc, cases, "各街道案件办理情况")
    doc.chart(_street_chart(cases), caption="各街道立案数与结案数")
    ranked = sorted((u for u in cases.units if u.assigned), key=lambda u: (u.score is None, -(u.score or 0)))
    if ranked:
        doc.table(["单位", "派遣", "办结", "按时办结率", "超期", "得分", "等次"],
                  [(u.name, u.assigned, u.handled, _pct(u.on_time_rate), u.overdue, "—" if u.score is None else f"{u.score:.1f}", u.grade)
                   for u in ranked[:15]], caption="承办单位综合评价", font_size=sizes.SIZE_5)
    doc.heading("重点任务督办")
    doc.paragraph(f"本月在督重点任务{len(s.rows)}项，本月完成{s.completed_in_month}项；尚未完成的任务中绿色{s.status_counts['green']}项、"
                  f"黄色{s.status_counts['yellow']}项、红色{s.status_counts['red']}项。召开周会商{len(s.meetings)}次，"
                  f"形成议定事项{len(s.decisions)}项，已落实{s.decisions_done}项。")
    doc.chart(charts.pie_chart(["绿", "黄", "红", "已完成"], [s.status_counts["green"], s.status_counts["yellow"], s.status_counts["red"], s.completed_total],
                               colours=[charts.STATUS_COLOURS[k] for k in ("green", "yellow", "red", "done")]), caption="重点任务状态分布", width_cm=10)
    if s.lagging:
        doc.table(["编号", "任务", "牵头单位", "状态", "原因"],
                  [(r.task.code, r.task.title, sup._unit_label(r.task.lead_unit), sup.STATUS_LABELS[r.status], r.reason) for r in s.lagging[:20]],
                  caption="逾期和滞后任务", widths_cm=[2.4, 4.5, 2.4, 1.2, 5.5], font_size=sizes.SIZE_5)
    doc.heading("水环境")
    if alerts.total:
        doc.paragraph(f"本月新发水环境告警{alerts.total}条，" + "、".join(f"{k}{n}条" for k, n in alerts.by_kind) + "。")
        doc.table(["街道", "告警数"], alerts.by_street, caption="各街道水环境告警")
        doc.chart(charts.bar_chart([k for k, _ in alerts.by_kind], {"告警数": [n for _, n in alerts.by_kind]}, ylabel="条"), caption="水环境告警类型")
    else:
        doc.paragraph("本月无新发水环境告警。")
    doc.heading("下月工作安排")
    plan = [f"{m.task.title}：{m.planned_date.month}月{m.planned_date.day}日前完成“{m.name}”。" for m in s.next_milestones[:10]]
    doc.numbered(plan or ["各单位对照本通报问题清单，逐项明确整改措施和完成时限。"])
    doc.signature()
    doc.imprint(copy_to="区委办公室，区政府办公室", printer=sup._issuer(), printed_on=s.as_of)
    wb = xlsx.new_workbook()
    xlsx.add_table(wb, "街道案件", ["街道", "立案数", "结案数", "结案率"], [(a.name, a.cases, a.closed, _pct(a.closed_rate)) for a in cases.streets], caption=title)
    xlsx.add_table(wb, "单位评价", ["单位", "派遣", "办结", "按时办结率", "超期", "得分", "等次"],
                   [(u.name, u.assigned, u.handled, _pct(u.on_time_rate), u.overdue, u.score, u.grade) for u in ranked])
    xlsx.add_table(wb, "重点任务", ["编号", "任务", "牵头单位", "状态", "原因"],
                   [(r.task.code, r.task.title, sup._unit_label(r.task.lead_unit), sup.STATUS_LABELS.get(r.status, r.status), r.reason) for r in s.rows],
                   status_column=3)
    xlsx.add_table(wb, "水环境告警", ["类型", "条数"], alerts.by_kind)
    summary = {"cases": cases.total, "closed": cases.closed, "overdue": cases.overdue, "tasks": len(s.rows), **s.status_counts,
               "water_alerts": alerts.total, "streets": {a.name: a.cases for a in cases.streets}}
    return kinds.Generated(title=title, period=f"{year}-{month:02d}", docx=doc.to_bytes(), xlsx=xlsx.to_bytes(wb), summary=summary)


def _last_month(day: dt.date) -> dict[str, str]:
    prev = day.replace(day=1) - dt.timedelta(days=1)
    return {"month": f"{prev.year}-{prev.month:02d}"}


def _date_argument(parser) -> None:
    parser.add_argument("--date", required=True, help="日期 YYYY-MM-DD")


def _month_argument(parser) -> None:
    parser.add_argument("--month", required=True, help="月份 YYYY-MM")


DAILY = kinds.ReportKind("district-daily", "城市运行日调度简报", _date_argument, build_daily, params=lambda o: {"date": str(o.get("date"))},
                         default_options=lambda day: {"date": day.isoformat()}, schedule="daily 18:30", audience=AUDIENCE)
WEEKLY = kinds.ReportKind("district-weekly", "周会商材料", _date_argument, build_weekly, params=lambda o: {"date": str(o.get("date"))},
                          default_options=lambda day: {"date": day.isoformat()}, schedule="weekly 5 16:00", audience=AUDIENCE)
MONTHLY = kinds.ReportKind("district-monthly", "城市运行月度通报", _month_argument, build_monthly, params=lambda o: {"month": str(o.get("month"))},
                           default_options=_last_month, schedule="monthly 1 09:00", audience=AUDIENCE)
KINDS = (DAILY, WEEKLY, MONTHLY)
