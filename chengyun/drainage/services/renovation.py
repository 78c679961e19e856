"""The renovation plan: each pipe's priority from weighted factors, the method and its unit cost, the
selection within a budget, and the plan's spreadsheet.
"""
from __future__ import annotations

import datetime as dt
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.people import policy

from .. import index
from ..models import Misconnection, OverflowRecord, Pipe, PlanItem, RenovationPlan
from .inventory import TYPE_NAMES


DEFAULT_WEIGHTS: dict[str, float] = {
    "structural": 30, "functional": 10, "age": 15, "misconnection": 15, "overflow": 10, "road_risk": 10, "upstream": 10,
}
FACTOR_NAMES = {"structural": "结构性缺陷", "functional": "功能性缺陷", "age": "管龄/设计年限", "misconnection": "混接错接",
                "overflow": "冒溢记录", "road_risk": "上方道路塌陷风险", "upstream": "上游服务长度"}
# Design service life (年) by material; the age factor is age over this, capped at 1.
SERVICE_LIFE_YEARS: dict[str, int] = {
    "钢筋混凝土": 50, "混凝土": 40, "HDPE": 50, "PE": 50, "PVC-U": 50, "UPVC": 50, "球墨铸铁": 60, "铸铁": 50,
    "玻璃钢": 50, "砖砌": 40, "陶土": 40, "钢": 30,
}
DEFAULT_SERVICE_LIFE = 50
OVERFLOW_WINDOW_DAYS = 3 * 365
OVERFLOW_FULL = 3  # this many overflows at a pipe's ends in the window scores the factor 1
METHODS = {"replace": "开挖翻建", "lining": "非开挖内衬修复", "spot_repair": "局部修复", "dredge": "疏通清淤",
           "reconnect": "混接改造", "inspect": "CCTV检测评估"}
DIAMETER_BANDS = (400, 800, 1200, 100000)  # upper limits (mm) of the unit-cost columns
# 元/米 by method and diameter band (≤400, ≤800, ≤1200, >1200): typical municipal prices, to be replaced
# with the district's own quota by settings.DRAINAGE_UNIT_COSTS.
DEFAULT_UNIT_COSTS: dict[str, list[float]] = {
    "replace": [3500, 6000, 9500, 14000], "lining": [2200, 3800, 6000, 9000], "spot_repair": [600, 900, 1300, 1800],
    "dredge": [60, 90, 140, 200], "reconnect": [1800, 2400, 3200, 4200], "inspect": [15, 20, 30, 40],
}


def weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **getattr(settings, "DRAINAGE_PRIORITY_WEIGHTS", {})}


def unit_costs() -> dict[str, list[float]]:
    return {**DEFAULT_UNIT_COSTS, **getattr(settings, "DRAINAGE_UNIT_COSTS", {})}


_road_risk_providers: list[Callable[[], dict[str, float]]] = []


def register_road_risk(fn: Callable[[], dict[str, float]]) -> None:
    """The roads app tells the plan how risky the road above each pipe is: fn() -> {pipe code: 0..1}."""
    if fn not in _road_risk_providers:
        _road_risk_providers.append(fn)


def _road_risk() -> dict[str, float]:
    out: dict[str, float] = {}
    for fn in _road_risk_providers:
        for code, v in fn().items():
            out[code] = max(out.get(code, 0.0), float(v))
    return out


def choose_method(structural: int | None, functional: int | None, age_ratio: float, misconnected: bool) -> str | None:
    """The renovation method a pipe's condition calls for, or None when it needs nothing."""
    if structural == 4 or (structural == 3 and age_ratio >= 1):
        return "replace"
    if structural == 3 or (structural == 2 and age_ratio >= 1):
        return "lining"
    if misconnected:
        return "reconnect"
    if structural == 2:
        return "spot_repair"
    if functional is not None and functional >= 3:
        return "dredge"
    if structural is None and age_ratio >= 1:
        return "inspect"
    return None


def unit_cost(method: str, diameter_mm: int, costs: dict[str, list[float]] | None = None) -> float:
    table = (costs or unit_costs())[method]
    for limit, price in zip(DIAMETER_BANDS, table):
        if diameter_mm <= limit:
            return float(price)
    return float(table[-1])


@dataclass
class PipePriority:
    code: str
    score: float
    factors: dict[str, float]
    method: str | None
    length_m: float
    diameter_mm: int

    @property
    def cost(self) -> float:
        return 0.0 if self.method is None else unit_cost(self.method, self.diameter_mm) * self.length_m


def priority_scores(*, weights_override: dict[str, float] | None = None, year: int | None = None,
                    pipe_filter: Q | None = None) -> list[PipePriority]:
    """Score every pipe: Σ weight × factor (each factor 0..1) over Σ weights, times 100."""
    w = {**weights(), **(weights_override or {})}
    unknown = set(w) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise Invalid(f"未知的权重项：{'、'.join(sorted(unknown))}", code="bad_weights")
    if any((not isinstance(v, (int, float))) or v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise Invalid("权重应为非负数且不全为零", code="bad_weights")
    total_w = float(sum(w.values()))
    year = year or dt.date.today().year
    idx = index.get_index()
    up_len = idx.graph.upstream_length(idx.pipe_length)
    if up_len is None:
        up_len = idx.pipe_length.copy()
    up_by_code = dict(zip(idx.pipe_codes.tolist(), up_len.tolist()))
    max_up = math.log1p(max(up_len.max(), 1.0)) if up_len.size else 1.0
    misconnected = set(Misconnection.objects.exclude(status=Misconnection.Status.DISMISSED).filter(pipe__isnull=False).values_list("pipe__code", flat=True))
    since = timezone.now() - dt.timedelta(days=OVERFLOW_WINDOW_DAYS)
    overflows: dict[int, int] = defaultdict(int)
    for node_id in OverflowRecord.objects.filter(occurred_at__gte=since).values_list("node_id", flat=True):
        overflows[node_id] += 1
    road = _road_risk()
    qs = Pipe.objects.all() if pipe_filter is None else Pipe.objects.filter(pipe_filter)
    out = []
    for code, material, iy, sg, fg, length, dia, a, b in qs.values_list(
            "code", "material", "install_year", "structural_grade", "functional_grade", "length_m", "diameter_mm", "from_node_id", "to_node_id"):
        life = SERVICE_LIFE_YEARS.get(material, DEFAULT_SERVICE_LIFE)
        age_ratio = max(year - iy, 0) / life if iy else 0.0
        f = {
            "structural": (sg - 1) / 3 if sg else 0.0,
            "functional": (fg - 1) / 3 if fg else 0.0,
            "age": min(age_ratio, 1.0),
            "misconnection": 1.0 if code in misconnected else 0.0,
            "overflow": min((overflows.get(a, 0) + overflows.get(b, 0)) / OVERFLOW_FULL, 1.0),
            "road_risk": min(max(road.get(code, 0.0), 0.0), 1.0),
            "upstream": math.log1p(up_by_code.get(code, length)) / max_up,
        }
        score = 100.0 * sum(w[k] * v for k, v in f.items()) / total_w
        out.append(PipePriority(code, round(score, 2), {k: round(v, 3) for k, v in f.items()},
                                choose_method(sg, fg, age_ratio, code in misconnected), length, dia))
    out.sort(key=lambda p: (-p.score, p.code))
    return out


def select_within_budget(candidates: Sequence[PipePriority], budget: float) -> list[PipePriority]:
    """Greedy by score per yuan: highest score/cost first; ties by higher score, then by pipe code.
    A pipe that no longer fits is skipped and cheaper ones further down may still be taken."""
    eligible = [c for c in candidates if c.method is not None and c.cost > 0 and c.score > 0]
    eligible.sort(key=lambda c: (-(c.score / c.cost), -c.score, c.code))
    chosen, left = [], float(budget)
    for c in eligible:
        if c.cost <= left:
            chosen.append(c)
            left -= c.cost
    return chosen


def make_plan(user: Any, *, year: int, budget_yuan: float, name: str = "", weights_override: dict[str, float] | None = None,
              unit: Any = None, min_score: float = 0.0) -> RenovationPlan:
    """Score the network, choose pipes within the budget and store the plan (scores frozen)."""
    p = policy.principal(user) if user is not None else None
    if p is not None:
        from chengyun.geo.models import Unit

        unit = unit or (Unit.objects.filter(pk=p.unit_id).first() if p.unit_id else None)
        policy.require_create(user, RenovationPlan, unit_id=getattr(unit, "pk", None), message="只有排水权属单位人员可以编制改造计划")
    if budget_yuan is None or budget_yuan <= 0:
        raise Invalid("预算应大于 0", code="bad_budget")
    if not (2000 <= int(year) <= 2100):
        raise Invalid("年度有误", code="bad_year")
    w = {**weights(), **(weights_override or {})}
    scores = priority_scores(weights_override=weights_override, year=year)
    candidates = [s for s in scores if s.score >= min_score and s.method]
    chosen = select_within_budget(candidates, budget_yuan)
    pipe_ids = dict(Pipe.objects.filter(code__in=[c.code for c in chosen]).values_list("code", "id"))
    costs = unit_costs()
    with transaction.atomic():
        plan = RenovationPlan.objects.create(
            year=year, name=name or f"{year} 年度排水管网改造计划", budget_yuan=round(budget_yuan), weights=w, unit_costs=costs,
            total_cost_yuan=round(sum(c.cost for c in chosen)), candidates=len(candidates), unit=unit,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        PlanItem.objects.bulk_create([
            PlanItem(plan=plan, pipe_id=pipe_ids[c.code], rank=i, score=c.score, factors=c.factors, method=c.method,
                     unit_cost_yuan=unit_cost(c.method, c.diameter_mm, costs), cost_yuan=round(c.cost, 2))
            for i, c in enumerate(chosen, start=1)
        ], batch_size=2000)
        audit.created(plan, verb="make_plan")
    return plan


def plan_xlsx(plan: RenovationPlan) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "改造计划"
    ws.append([plan.name])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"预算 {plan.budget_yuan} 元，计划投资 {plan.total_cost_yuan} 元，入选 {plan.items.count()} 根 / 候选 {plan.candidates} 根"])
    factor_keys = list(DEFAULT_WEIGHTS)
    header = ["序号", "管段编号", "类别", "管径(mm)", "材质", "建设年份", "长度(m)", "所在道路", "街道", "结构性等级", "功能性等级",
              "优先分"] + [FACTOR_NAMES[k] for k in factor_keys] + ["改造方式", "单价(元/m)", "费用(元)"]
    ws.append(header)
    for c in ws[3]:
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True)
    items = plan.items.select_related("pipe", "pipe__street").order_by("rank")
    for it in items:
        pp = it.pipe
        ws.append([it.rank, pp.code, TYPE_NAMES.get(pp.type, pp.type), pp.diameter_mm, pp.material, pp.install_year,
                   round(pp.length_m, 1), pp.road_name, pp.street.name if pp.street_id else "", pp.structural_grade,
                   pp.functional_grade, it.score] + [it.factors.get(k) for k in factor_keys] +
                  [METHODS.get(it.method, it.method), it.unit_cost_yuan, round(it.cost_yuan, 0)])
    ws.append([])
    ws.append(["合计", "", "", "", "", "", round(sum(i.pipe.length_m for i in items), 1)] + [""] * (len(header) - 8) + [float(plan.total_cost_yuan)])
    ws.freeze_panes = "C4"
    p = wb.create_sheet("评分与选取规则")
    p.append(["优先分 = 100 × Σ(权重 × 分项) / Σ权重；每个分项取 0～1"])
    for k in factor_keys:
        p.append([FACTOR_NAMES[k], k, plan.weights.get(k)])
    p.append([])
    p.append(["分项说明"])
    p.append(["结构性/功能性缺陷", "(等级 − 1) / 3，取最近一次 CJJ 181 检测评估；未检测为 0"])
    p.append(["管龄/设计年限", "(年度 − 建设年份) / 材质设计年限，封顶 1"])
    p.append(["混接错接", "存在未排除的混接错接记录为 1"])
    p.append(["冒溢记录", f"近 3 年两端检查井冒溢次数 / {OVERFLOW_FULL}，封顶 1"])
    p.append(["上方道路塌陷风险", "道路模块给出的上方道路风险（0～1）"])
    p.append(["上游服务长度", "ln(1 + 上游管长) / ln(1 + 全网最大上游管长)"])
    p.append([])
    p.append(["选取规则", "按 优先分/费用 从高到低贪心选取；相同时优先分高者先，再按管段编号；放不下的跳过，继续尝试后面更便宜的"])
    p.append([])
    p.append(["单价（元/米）", "DN≤400", "DN≤800", "DN≤1200", "DN>1200"])
    for m, row in plan.unit_costs.items():
        p.append([METHODS.get(m, m)] + list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
