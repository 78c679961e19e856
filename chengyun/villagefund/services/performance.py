"""What the fund achieved: per-project figures, the flags (villages below the income target,
stalled projects, 保底分红 not met), the yearly performance table and each batch's ledger.

Definitions (docs/villagefund.md):
- 完工率 = projects accepted or operating ÷ projects approved (批准及以后), of the batch;
- 资金到位率 = paid to the villages ÷ approved amount;
- 支出进度 = the villages' latest reported spending ÷ approved amount;
- 收益率 = 经营性收入 of the year ÷ support fund, over the projects that reported the year;
- 带动就业 = people employed, as reported for the year; 满意度 = mean of the reported surveys.
A village is below target when the 经营性收入 its fund projects reported for the year is below
rules.income_target_wan() (default 5 万元).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from .. import rules
from .. import workflow as wf
from ..models import Batch, Payment, Project, Village, YearlyReturn


def _pct(part: Decimal | float, whole: Decimal | float) -> float | None:
    return round(float(part) / float(whole) * 100, 1) if whole else None


@dataclass
class PerformanceRow:
    label: str
    projects: int = 0
    approved_projects: int = 0
    completed: int = 0
    approved_wan: Decimal = Decimal("0")
    paid_wan: Decimal = Decimal("0")
    spent_wan: Decimal = Decimal("0")
    income_wan: Decimal = Decimal("0")
    fund_earning_wan: Decimal = Decimal("0")
    jobs: int = 0
    satisfaction: list[float] = field(default_factory=list)

    @property
    def completion_rate(self): return _pct(self.completed, self.approved_projects)

    @property
    def arrival_rate(self): return _pct(self.paid_wan, self.approved_wan)

    @property
    def spending_rate(self): return _pct(self.spent_wan, self.approved_wan)

    @property
    def yield_rate(self): return _pct(self.income_wan, self.fund_earning_wan)

    @property
    def mean_satisfaction(self):
        return round(sum(self.satisfaction) / len(self.satisfaction), 1) if self.satisfaction else None


def performance(year: int, projects: QuerySet | None = None) -> list[PerformanceRow]:
    """One row per batch of the year and a total row, over ``projects`` (the reader's view)."""
    qs = (projects if projects is not None else Project.objects.all()).filter(batch__year__lte=year)
    qs = qs.select_related("batch").prefetch_related("payments", "progress", "returns")
    rows: dict[int, PerformanceRow] = {}
    total = PerformanceRow(label=f"{year}年度合计")
    for p in qs:
        row = rows.setdefault(p.batch_id, PerformanceRow(label=p.batch.name))
        for r in (row, total):
            r.projects += 1
            if p.state in wf.APPROVED_STATES:
                r.approved_projects += 1
                r.approved_wan += p.amount_wan
                r.completed += p.state in wf.COMPLETED_STATES
                r.paid_wan += sum((x.amount_wan for x in p.payments.all()), Decimal("0"))
                latest = max(p.progress.all(), key=lambda x: (x.reported_on, x.id), default=None)
                r.spent_wan += latest.spent_wan if latest else Decimal("0")
            for ret in p.returns.all():
                if ret.year == year:
                    r.income_wan += ret.income_wan
                    r.fund_earning_wan += p.amount_wan
                    r.jobs += ret.jobs
                    if ret.satisfaction is not None:
                        r.satisfaction.append(float(ret.satisfaction))
    return [rows[k] for k in sorted(rows)] + [total]


def village_income(year: int) -> dict[int, Decimal]:
    out: dict[int, Decimal] = defaultdict(Decimal)
    for vid, income in YearlyReturn.objects.filter(year=year).values_list("project__village_id", "income_wan"):
        out[vid] += income
    return out


def villages_below_target(year: int, villages: QuerySet | None = None) -> QuerySet:
    """Villages with a fund project past acceptance whose reported 经营性收入 for the year is below target."""
    income = village_income(year)
    target = rules.income_target_wan()
    qs = (villages if villages is not None else Village.objects.all()).filter(projects__state__in=wf.COMPLETED_STATES).distinct()
    below = [v.pk for v in qs if income.get(v.pk, Decimal("0")) < target]
    return Village.objects.filter(pk__in=below)


def guarantee_shortfall(p: Project, year: int) -> Decimal | None:
    """How much the 保底分红 of the year falls short of its terms (None: no terms or no report)."""
    if p.guaranteed_rate is None:
        return None
    ret = next((r for r in p.returns.all() if r.year == year), None)
    if ret is None:
        return None
    due = (p.amount_wan * p.guaranteed_rate / 100).quantize(Decimal("0.01"))
    return max(due - ret.dividend_wan, Decimal("0"))


def ledger(batch: Batch, projects: QuerySet) -> dict[str, Any]:
    """The batch's fund ledger: sources in, approved, each payment out, the balance."""
    qs = projects.filter(batch=batch)
    payments = Payment.objects.filter(project__in=qs).select_related("project", "project__village").order_by("paid_on", "id")
    approved = qs.filter(state__in=wf.APPROVED_STATES).aggregate(s=Sum("amount_wan"))["s"] or Decimal("0")
    paid = payments.aggregate(s=Sum("amount_wan"))["s"] or Decimal("0")
    sources = [(rules.SOURCES[k], getattr(batch, f"{k}_wan")) for k in rules.SOURCES]
    return {"sources": sources, "total": batch.total_wan, "approved": approved, "paid": paid, "payments": list(payments),
            "unallocated": batch.total_wan - approved, "unpaid": approved - paid}
