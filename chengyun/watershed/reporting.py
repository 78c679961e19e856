"""The monthly joint report (跨区域联防联控月报): boundary sections' compliance, the incidents of the
month and the responses both sides recorded. CLI: ``chengyun report watershed-joint --month YYYY-MM``."""
from __future__ import annotations

import calendar
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from chengyun.core.errors import Invalid
from chengyun.reports import kinds, xlsx
from chengyun.reports.docx import OfficialDocument
from chengyun.standards.gb3838 import LABELS

from . import workflow
from .models import BoundarySection, JointEntry, JointIncident

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        y, m = (int(x) for x in month.split("-"))
        start = dt.datetime(y, m, 1, tzinfo=SHANGHAI)
    except (ValueError, AttributeError):
        raise Invalid("月份应为 YYYY-MM", code="bad_month", detail={"field": "month"}) from None
    return start, start + dt.timedelta(days=calendar.monthrange(y, m)[1])


def compliance(start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for s in BoundarySection.objects.select_related("neighbour"):
        rs = list(s.readings.filter(at__gte=start, at__lt=end))
        ok = sum(1 for r in rs if r.compliant)
        worst = max((r.water_class for r in rs), default=None)
        rows.append({"code": s.code, "name": s.name, "neighbour": s.neighbour.name, "target": LABELS[s.target_class], "samples": len(rs),
                     "compliant": ok, "rate": round(ok / len(rs) * 100, 1) if rs else None, "worst": LABELS[worst] if worst else ""})
    return rows


def build(options: dict[str, Any]) -> kinds.Generated:
    month = str(options.get("month") or "")
    start, end = _bounds(month)
    rows = compliance(start, end)
    incidents = list(JointIncident.objects.filter(opened_at__gte=start, opened_at__lt=end).select_related("section", "neighbour"))
    entries = list(JointEntry.objects.filter(at__gte=start, at__lt=end).select_related("incident").order_by("at"))
    doc = OfficialDocument(title=f"{start:%Y年%-m月}跨区域联防联控月报", subtitle="（交界断面水质、联防联控事件及处置）",
                           issuer="区河湖长制工作办公室", date=dt.date.today())
    sampled = [r for r in rows if r["samples"]]
    doc.paragraph(f"本月共有交界断面 {len(rows)} 个，有监测数据 {len(sampled)} 个；发生联防联控事件 {len(incidents)} 起，"
                  f"双方记录处置与巡查 {sum(1 for e in entries if e.kind != JointEntry.Kind.STATE)} 条。")
    doc.heading("交界断面达标情况")
    doc.table(["断面编码", "断面", "相邻区县", "目标类别", "监测次数", "达标次数", "达标率（%）", "最差类别"],
              [(r["code"], r["name"], r["neighbour"], r["target"], r["samples"], r["compliant"], "" if r["rate"] is None else r["rate"], r["worst"]) for r in rows],
              caption="交界断面达标情况")
    doc.heading("联防联控事件")
    if incidents:
        doc.table(["事件", "交界断面", "上游责任方", "发生时间", "状态"],
                  [(i.title, i.section.name, i.upstream_party, f"{i.opened_at.astimezone(SHANGHAI):%m-%d %H:%M}", str(workflow.INCIDENT_STATES[i.state]))
                   for i in incidents], caption="本月事件")
    else:
        doc.paragraph("本月未发生联防联控事件。")
    doc.heading("处置与响应")
    if entries:
        doc.numbered([f"{e.at.astimezone(SHANGHAI):%m-%d %H:%M} {e.party}（{e.get_kind_display()}）：{e.text}" for e in entries[:80]])
    else:
        doc.paragraph("本月双方没有新的处置记录。")
    doc.signature()
    wb = xlsx.new_workbook()
    xlsx.add_table(wb, "交界断面", ["断面编码", "断面", "相邻区县", "目标类别", "监测次数", "达标次数", "达标率（%）", "最差类别"],
                   [tuple(r.values())[:4] + (r["samples"], r["compliant"], r["rate"], r["worst"]) for r in rows])
    xlsx.add_table(wb, "事件", ["事件编号", "事件", "上游责任方", "状态"], [(i.uid, i.title, i.upstream_party, str(workflow.INCIDENT_STATES[i.state])) for i in incidents])
    return kinds.Generated(title=f"{month} 跨区域联防联控月报", period=month, docx=doc.to_bytes(), xlsx=xlsx.to_bytes(wb),
                           summary={"sections": len(rows), "incidents": len(incidents), "entries": len(entries)})


def _arguments(parser) -> None:
    parser.add_argument("--month", required=True, help="月份 YYYY-MM")


JOINT_MONTHLY = kinds.ReportKind("watershed-joint", "跨区域联防联控月报", _arguments, build, params=lambda o: {"month": o.get("month")})
