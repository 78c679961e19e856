"""The yearly fund report (村集体经济扶持资金年度报告): .docx (GB/T 9704 style) and .xlsx.

    一、资金下达 — the year's batches by source;
    二、项目实施 — projects by state, approved and paid, stalled projects;
    三、绩效情况 — the performance table (完工率, 资金到位率, 支出进度, 收益率, 带动就业, 满意度);
    四、收益与预警 — villages below the income target, 保底分红 shortfalls.

CLI: ``chengyun report village-fund --year YYYY --output FILE.docx``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Sum

from chengyun.core.errors import Invalid
from chengyun.reports import kinds, xlsx
from chengyun.reports.docx import OfficialDocument

from . import rules
from . import workflow as wf
from .models import Batch, Payment, Project
from .services import performance as perf

PERF_HEADERS = ["批次", "项目数", "批准项目", "完工率（%）", "批准金额（万元）", "已拨付（万元）", "资金到位率（%）", "支出进度（%）",
                "经营性收入（万元）", "收益率（%）", "带动就业（人）", "满意度（%）"]


def _fmt(v: Any) -> str:
    return "—" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def perf_rows(year: int) -> list[tuple]:
    return [(r.label, r.projects, r.approved_projects, _fmt(r.completion_rate), float(r.approved_wan), float(r.paid_wan),
             _fmt(r.arrival_rate), _fmt(r.spending_rate), float(r.income_wan), _fmt(r.yield_rate), r.jobs, _fmt(r.mean_satisfaction))
            for r in perf.performance(year)]


def build_docx(year: int) -> bytes:
    batches = list(Batch.objects.filter(year=year))
    if not batches:
        raise Invalid(f"{year} 年度没有资金批次", code="no_batch", detail={"field": "year"})
    projects = Project.objects.filter(batch__year__lte=year)
    doc = OfficialDocument(title=f"河湟区{year}年度村集体经济扶持资金使用情况报告", issuer="区委组织部　区财政局　区农业农村局", date=dt.date.today())
    total = sum((b.total_wan for b in batches), 0)
    doc.paragraph(f"{year}年度下达扶持资金 {len(batches)} 批，共 {total} 万元。按照“村申报、镇初审、区审批”的程序，"
                  "项目经村“两委”会、党员大会、村民代表会议决策，镇（街道）初审，区委组织部、区财政局、区农业农村局联审，公示无异议后拨付资金。")
    doc.heading("资金下达")
    doc.table(["批次", "文号", "中央", "省级", "市级", "区级", "合计（万元）"],
              [(b.name, b.document, b.central_wan, b.province_wan, b.city_wan, b.district_wan, b.total_wan) for b in batches], caption="资金批次")
    doc.heading("项目实施")
    by_state = dict(projects.values_list("state").annotate(n=Count("id")))
    doc.paragraph("项目按状态：" + "，".join(f"{label} {by_state.get(code, 0)} 个" for code, label in wf.STATES.items()) + "。")
    approved = projects.filter(state__in=wf.APPROVED_STATES).aggregate(s=Sum("amount_wan"))["s"] or 0
    paid = Payment.objects.filter(project__in=projects, paid_on__year__lte=year).aggregate(s=Sum("amount_wan"))["s"] or 0
    doc.paragraph(f"批准扶持资金 {approved} 万元，已拨付 {paid} 万元。")
    stalled = list(projects.filter(stalled=True).select_related("village"))
    doc.paragraph("停滞项目：" + ("；".join(f"{p.village.name}{p.name}（{p.stalled_reason}）" for p in stalled) if stalled else "无") + "。")
    doc.heading("绩效情况")
    doc.table(PERF_HEADERS, perf_rows(year), caption="年度绩效表")
    doc.heading("收益与预警")
    below = list(perf.villages_below_target(year))
    income = perf.village_income(year)
    doc.paragraph(f"村集体经营性收入目标 {rules.income_target_wan()} 万元。" + (
        "未达标的村：" + "、".join(f"{v.name}（{income.get(v.pk, 0)} 万元）" for v in below) + "。" if below else "项目已验收的村均已达标。"))
    short = []
    for p in projects.filter(guaranteed_rate__isnull=False).select_related("village").prefetch_related("returns"):
        gap = perf.guarantee_shortfall(p, year)
        if gap:
            short.append(f"{p.village.name}{p.name}差 {gap} 万元")
    doc.paragraph("保底分红未足额：" + ("；".join(short) if short else "无") + "。")
    doc.signature()
    return doc.to_bytes()


def build_xlsx(year: int) -> bytes:
    wb = xlsx.new_workbook()
    xlsx.add_table(wb, "年度绩效", PERF_HEADERS, perf_rows(year))
    projects = Project.objects.filter(batch__year__lte=year).select_related("village", "batch").prefetch_related("payments", "returns")
    xlsx.add_table(wb, "项目清单", ["编号", "村", "项目", "批次", "发展模式", "状态", "扶持资金（万元）", "已拨付（万元）", "公示开始", "公示结束",
                                   f"{year}年经营性收入（万元）", "停滞"],
                   [(p.code, p.village.name, p.name, p.batch.name, str(rules.SUPPORT_MODELS[p.model]), str(wf.STATES[p.state]), float(p.amount_wan),
                     float(sum(x.amount_wan for x in p.payments.all())), p.publicity_start, p.publicity_end,
                     float(sum(r.income_wan for r in p.returns.all() if r.year == year)), "是" if p.stalled else "") for p in projects])
    pays = Payment.objects.filter(project__in=projects, paid_on__year__lte=year).select_related("project", "project__village").order_by("paid_on")
    xlsx.add_table(wb, "拨付台账", ["日期", "项目", "村", "方式", "用途", "金额（万元）", "凭证号"],
                   [(x.paid_on, x.project.code, x.project.village.name, x.get_kind_display(), x.use_label, float(x.amount_wan), x.voucher) for x in pays])
    return xlsx.to_bytes(wb)


def _arguments(parser) -> None:
    parser.add_argument("--year", required=True, type=int, help="资金年度 YYYY")


def build(options: dict[str, Any]) -> kinds.Generated:
    try:
        year = int(options.get("year"))
    except (TypeError, ValueError):
        raise Invalid("年度应为四位年份", code="bad_year") from None
    return kinds.Generated(title=f"{year}年度村集体经济扶持资金报告", period=str(year), docx=build_docx(year), xlsx=build_xlsx(year),
                           summary={"projects": Project.objects.filter(batch__year__lte=year).count()})


YEARLY = kinds.ReportKind("village-fund", "村集体经济扶持资金年度报告", _arguments, build, params=lambda o: {"year": o.get("year")})
