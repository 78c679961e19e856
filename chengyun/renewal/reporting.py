"""The 城市体检报告 (.docx, with the indicator table and problem list as .xlsx):

    一、指标分析评价 — by dimension (城区 → 街区 → 小区 → 住房), each indicator's district value,
        target, verdict and year-on-year trend, and the communities failing it;
    二、问题清单 — the ledger by dimension and state, and the open problems;
    三、治理建议 — per dimension, for each failing indicator: who leads, what the problems are;
    四、城市更新项目库 — the projects that answer the problems, from the portfolio through
        ``register_projects``; an empty-state sentence when there are none.

CLI: ``chengyun report health-check --year YYYY --output FILE.docx``.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any, Callable

from django.db.models import Count

from chengyun.core.errors import Invalid
from chengyun.reports import kinds, xlsx
from chengyun.reports.docx import OfficialDocument

from . import workflow
from .models import Dimension, Indicator, IndicatorSet, Problem
from .services import verdicts

# The report runs 城区 → 街区 → 小区 → 住房, from the whole to the home.
REPORT_ORDER = (Dimension.CITY, Dimension.BLOCK, Dimension.COMPOUND, Dimension.HOUSING)
ProjectRows = Callable[[int], list[dict[str, Any]]]
_project_sources: list[ProjectRows] = []
PROJECT_COLUMNS = (("code", "项目编号"), ("name", "项目名称"), ("type", "项目类型"), ("state", "阶段"),
                   ("responsible_unit", "责任单位"), ("linked_problems", "对应问题数"))


def register_projects(source: ProjectRows) -> None:
    """The portfolio registers ``source(year) -> [ {code, name, type, state, responsible_unit,
    linked_problems} ]`` for chapter 四 (城市更新项目库)."""
    if source not in _project_sources:
        _project_sources.append(source)


def projects_for(year: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for source in _project_sources:
        rows.extend(source(year))
    return rows


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def _district_rows(year: int) -> dict[str, verdicts.Row]:
    return {r.indicator.code: r for r in verdicts.evaluate(year, unit_kind="district")}


def _failing_communities(year: int) -> dict[str, list[str]]:
    from .services.measurements import resolve_unit

    out: dict[str, list[str]] = defaultdict(list)
    for r in verdicts.evaluate(year, unit_kind="community"):
        if r.verdict.status == verdicts.UNMET:
            try:
                out[r.indicator.code].append(resolve_unit("community", r.measurement.unit_code).name)
            except Invalid:
                out[r.indicator.code].append(r.measurement.unit_code)
    return out


def build_docx(year: int) -> bytes:
    if not IndicatorSet.objects.filter(year=year).exists():
        raise Invalid(f"{year} 年尚未建立体检指标体系", code="no_indicator_set")
    indicators = list(Indicator.objects.filter(indicator_set__year=year).select_related("responsible_unit").order_by("order", "code"))
    district = _district_rows(year)
    failing = _failing_communities(year)
    problems = Problem.objects.filter(year=year)
    doc = OfficialDocument(title=f"河湟区{year}年度城市体检报告", subtitle="（住房、小区（社区）、街区、城区（城市））",
                           issuer="区城市体检工作领导小组办公室", date=dt.date.today())
    counted = sum(1 for i in indicators if i.code in district)
    unmet = [i for i in indicators if i.code in district and district[i.code].verdict.status == verdicts.UNMET]
    doc.paragraph(f"按照“无体检、不更新”的要求，本年度体检共设指标 {len(indicators)} 项，已取得全区数值 {counted} 项，"
                  f"其中不达标 {len(unmet)} 项；形成问题 {problems.count()} 个，已销号 {problems.filter(state=workflow.CLOSED).count()} 个。")

    doc.heading("指标分析评价")
    for dim in REPORT_ORDER:
        items = [i for i in indicators if i.dimension == dim]
        doc.subheading(f"{Dimension(dim).label}维度", lead_in=f"共 {len(items)} 项指标。")
        if not items:
            doc.paragraph("本维度未设指标。")
            continue
        rows = []
        for i in items:
            r = district.get(i.code)
            rows.append((i.code, i.name, i.unit, _fmt(r.measurement.value) if r else "未填报", _fmt(i.target_value),
                         r.verdict.status_label if r else "", r.verdict.trend_label if r else "", len(failing.get(i.code, []))))
        doc.table(["编码", "指标", "单位", "全区数值", "目标值", "判定", "较上年", "不达标社区数"], rows, caption=f"{Dimension(dim).label}维度指标")
        bad = [i for i in items if i.code in district and district[i.code].verdict.status == verdicts.UNMET]
        if bad:
            doc.paragraph("不达标指标：" + "；".join(f"{i.name}（{_fmt(district[i.code].measurement.value)}{i.unit}）" for i in bad) + "。")
        else:
            doc.paragraph("本维度已取得数值的指标均达标或未设目标值。")

    doc.heading("问题清单")
    by_dim = Counter(problems.values_list("indicator__dimension", flat=True))
    by_state = dict(problems.values_list("state").annotate(n=Count("id")))
    doc.paragraph("问题按维度：" + "，".join(f"{Dimension(d).label} {by_dim.get(d, 0)} 个" for d in REPORT_ORDER)
                  + (f"，未关联指标 {by_dim[None]} 个" if by_dim.get(None) else "") + "。"
                  + "按状态：" + "，".join(f"{label} {by_state.get(code, 0)} 个" for code, label in workflow.STATES.items()) + "。")
    open_rows = [(p.code, p.title, p.problem_type or (p.indicator.name if p.indicator_id else ""), p.community.name if p.community_id else "",
                  p.responsible_unit.short_name or p.responsible_unit.name if p.responsible_unit_id else "", p.get_state_display())
                 for p in problems.filter(state__in=workflow.OPEN_STATES).select_related("indicator", "community", "responsible_unit")
                 .order_by("-severity", "code")[:60]]
    if open_rows:
        doc.table(["编号", "问题", "类型", "社区", "责任单位", "状态"], open_rows, caption="未销号问题（按严重程度，最多 60 个；全部见附表）")
    else:
        doc.paragraph("本年度没有未销号的问题。")

    doc.heading("治理建议")
    types_by_indicator: dict[str, Counter] = defaultdict(Counter)
    for code, ptype in problems.exclude(problem_type="").values_list("indicator__code", "problem_type"):
        types_by_indicator[code][ptype] += 1
    any_advice = False
    for dim in REPORT_ORDER:
        bad = [i for i in unmet if i.dimension == dim]
        if not bad:
            continue
        any_advice = True
        doc.subheading(f"{Dimension(dim).label}维度")
        doc.numbered([_advice(i, district[i.code], failing.get(i.code, []), types_by_indicator.get(i.code)) for i in bad], bold_lead=True)
    if not any_advice:
        doc.paragraph("本年度已取得数值的指标均达标，建议巩固提升、持续监测。")

    doc.heading("城市更新项目库")
    projects = projects_for(year)
    if projects:
        doc.paragraph(f"对应体检问题的城市更新项目共 {len(projects)} 个。")
        doc.table([label for _, label in PROJECT_COLUMNS], [tuple(p.get(k, "") for k, _ in PROJECT_COLUMNS) for p in projects],
                  caption="城市更新项目库")
    else:
        doc.paragraph("本年度尚未建立对应体检问题的城市更新项目。")
    doc.signature()
    return doc.to_bytes()


def _advice(ind: Indicator, row: verdicts.Row, communities: list[str], types: Counter | None) -> str:
    lead = ind.responsible_unit.name if ind.responsible_unit_id else "责任部门"
    where = f"集中在{'、'.join(communities[:5])}{'等' if len(communities) > 5 else ''} {len(communities)} 个社区，" if communities else ""
    found = f"主要问题为{'、'.join(t for t, _ in types.most_common(3))}，" if types else ""
    target = f"达到目标值 {_fmt(ind.target_value)}{ind.unit}" if ind.target_value is not None else "逐年改善"
    return (f"{ind.name}。现状 {_fmt(row.measurement.value)}{ind.unit}，{where}{found}建议由{lead}牵头，"
            f"逐项明确责任单位与完成时限，纳入城市更新项目库，{target}，验收后闭环销号。")


def build_xlsx(year: int) -> bytes:
    wb = xlsx.new_workbook()
    rows = [(r.indicator.code, str(Dimension(r.indicator.dimension).label), r.indicator.name, r.measurement.unit_kind, r.measurement.unit_code,
             r.measurement.value, r.indicator.target_value, r.verdict.status_label, r.previous, r.verdict.trend_label)
            for r in verdicts.evaluate(year)]
    xlsx.add_table(wb, "指标统计", ["指标编码", "维度", "指标", "单元类型", "单元编码", "数值", "目标值", "判定", "上年", "较上年"], rows)
    problems = Problem.objects.filter(year=year).select_related("indicator", "community", "responsible_unit").order_by("code")
    xlsx.add_table(wb, "问题清单", ["编号", "问题", "类型", "指标", "社区", "严重程度", "责任单位", "整改时限", "状态"],
                   [(p.code, p.title, p.problem_type, p.indicator.code if p.indicator_id else "", p.community.name if p.community_id else "",
                     str(p.get_severity_display()), p.responsible_unit.name if p.responsible_unit_id else "", p.deadline,
                     str(p.get_state_display())) for p in problems])
    return xlsx.to_bytes(wb)


def _arguments(parser) -> None:
    parser.add_argument("--year", required=True, type=int, help="体检年度 YYYY")


def build(options: dict[str, Any]) -> kinds.Generated:
    try:
        year = int(options.get("year"))
    except (TypeError, ValueError):
        raise Invalid("年度应为四位年份", code="bad_year") from None
    problems = Problem.objects.filter(year=year)
    return kinds.Generated(title=f"{year}年度城市体检报告", period=str(year), docx=build_docx(year), xlsx=build_xlsx(year),
                           summary={"problems": problems.count(), "closed": problems.filter(state=workflow.CLOSED).count()})


HEALTH_CHECK = kinds.ReportKind("health-check", "城市体检报告", _arguments, build, params=lambda o: {"year": o.get("year")})
