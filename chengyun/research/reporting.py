"""The research report (调研报告) as an official document: what was studied and where, the
problems found, the measures with their owners and deadlines, and how far each has got."""
from __future__ import annotations

from typing import Any

from chengyun.core.errors import Invalid
from chengyun.reports import kinds
from chengyun.reports.docx import OfficialDocument, official_date

STATUS = {"green": "正常推进", "yellow": "滞后", "red": "逾期", "done": "已完成", "": "—"}


def _plan(options: dict[str, Any]):
    from .models import ResearchPlan

    key = str(options.get("plan") or "").strip()
    plan = ResearchPlan.objects.filter(code=key).select_related("leader", "lead_unit").first()
    if plan is None:
        raise Invalid(f"调研计划“{key}”不存在", code="unknown_plan", detail={"field": "plan"})
    return plan


def research_docx(plan) -> bytes:
    from . import services

    visits = list(plan.visits.select_related("street", "community", "grid", "compound"))
    doc = OfficialDocument(title=plan.report_title or f"关于{plan.topic}的调研报告", addressee="区委、区政府",
                           issuer=plan.lead_unit.name, date=plan.reported_on or plan.end_date)
    team = "、".join(p.name for p in plan.team.all())
    doc.paragraph(f"{official_date(plan.start_date)}至{official_date(plan.end_date)}，{plan.leader.name}带领调研组"
                  + (f"（{team}）" if team else "") + f"围绕“{plan.topic}”，先后走访{len({v.place for v in visits})}处，"
                  f"开展调研{len(visits)}次。现将有关情况报告如下。")
    doc.heading("基本情况")
    for text in plan.report_summary.splitlines() or [""]:
        if text.strip():
            doc.paragraph(text.strip())
    if visits:
        doc.table(["日期", "地点", "座谈走访对象", "主要发现"],
                  [(f"{v.date.month}月{v.date.day}日", v.place, v.people_met, v.findings) for v in visits],
                  caption="调研走访情况", widths_cm=[2, 3.5, 3.5, 7])
    doc.heading("存在问题")
    problems = [t.strip() for t in plan.report_problems.splitlines() if t.strip()]
    doc.numbered(problems or ["无"])
    doc.heading("对策建议")
    rows = services.conversions(plan)
    if rows:
        doc.numbered([f"{r.measure.text.rstrip('。')}。责任单位：{r.measure.owner_unit.name}，{r.measure.deadline.month}月{r.measure.deadline.day}日前完成。"
                      for r in rows])
    else:
        doc.paragraph("对策建议待研究提出。")
    doc.heading("成果转化情况")
    totals = services.conversion_totals(plan)
    doc.paragraph(f"{totals['measures']}项对策建议均已纳入督办，其中出台政策{totals['by_outcome']['policy']}项、实施项目{totals['by_outcome']['project']}项、"
                  f"工作任务{totals['by_outcome']['task']}项；已完成{totals['done']}项，平均进度{totals['progress']:.0f}%。")
    if rows:
        doc.table(["对策建议", "转化方式", "责任单位", "督办编号", "进度", "状态"],
                  [(r.measure.text[:40], r.outcome_label, r.measure.owner_unit.short_name or r.measure.owner_unit.name,
                    r.measure.action_task.code if r.measure.action_task else "—", f"{r.progress:.0f}%", STATUS.get(r.status, r.status))
                   for r in rows], caption="对策建议转化情况", widths_cm=[5.5, 2, 2.5, 2.6, 1.4, 1.6])
    doc.signature()
    return doc.to_bytes()


def build(options: dict[str, Any]) -> kinds.Generated:
    plan = _plan(options)
    if not plan.report_title:
        raise Invalid("该调研计划尚未形成调研报告", code="no_report", detail={"field": "plan"})
    from . import services

    totals = services.conversion_totals(plan)
    return kinds.Generated(title=plan.report_title, period=(plan.reported_on or plan.end_date).isoformat(), docx=research_docx(plan),
                           summary={"plan": plan.code, "visits": plan.visits.count(), **{k: v for k, v in totals.items() if k != "by_outcome"},
                                    **{f"outcome_{k}": v for k, v in totals["by_outcome"].items()}})


def _arguments(parser) -> None:
    parser.add_argument("--plan", required=True, help="调研计划编号，如 DY2026-001")


RESEARCH_REPORT = kinds.ReportKind("research-report", "调研报告", _arguments, build, params=lambda o: {"plan": str(o.get("plan"))})
