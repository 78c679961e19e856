"""综合评价 (GB/T 30428.4 style): grid workers, responsible units, streets and communities.

Formulas, weights and grade bands are written out in docs/evaluation.md. Weights come from
settings.CASES_EVALUATION_WEIGHTS or the CHENGYUN_CASE_EVALUATION_WEIGHTS environment variable
(JSON), falling back to DEFAULT_WEIGHTS; they are normalised to sum to 1.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from chengyun.people import roles as R

SH = ZoneInfo("Asia/Shanghai")
VIEWERS = R.DISTRICT_WIDE

DEFAULT_WEIGHTS = {"on_time_rate": 0.5, "handled_rate": 0.2, "rework_free_rate": 0.15, "postpone_free_rate": 0.15}
WEIGHT_LABELS = {"on_time_rate": _("按期处置率"), "handled_rate": _("处置率"), "rework_free_rate": _("无返工率"), "postpone_free_rate": _("无延期率")}
GRADES = ((90.0, "A"), (75.0, "B"), (60.0, "C"), (40.0, "D"))


def weights() -> dict[str, float]:
    from django.conf import settings

    raw = getattr(settings, "CASES_EVALUATION_WEIGHTS", None)
    if raw is None and os.environ.get("CHENGYUN_CASE_EVALUATION_WEIGHTS"):
        raw = json.loads(os.environ["CHENGYUN_CASE_EVALUATION_WEIGHTS"])
    w = {k: float(v) for k, v in (raw or DEFAULT_WEIGHTS).items() if k in DEFAULT_WEIGHTS}
    total = sum(w.values())
    if total <= 0:
        return dict(DEFAULT_WEIGHTS)
    return {k: v / total for k, v in w.items()}


def grade(score: float) -> str:
    for floor, letter in GRADES:
        if score >= floor:
            return letter
    return "E"


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def unit_score(*, assigned: int, handled: int, on_time: int, reworked: int, postponed: int, w: dict[str, float]) -> float | None:
    """综合指标值 = 100 × Σ weight × indicator; a unit with nothing assigned is not scored."""
    if not assigned:
        return None
    indicators = {
        "on_time_rate": on_time / assigned,
        "handled_rate": min(handled / assigned, 1.0),
        "rework_free_rate": 1 - (reworked / handled if handled else 0.0),
        "postpone_free_rate": 1 - postponed / assigned,
    }
    return round(100 * sum(w.get(k, 0) * v for k, v in indicators.items()), 2)


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return (dt.datetime.combine(self.start, dt.time.min, SH), dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, SH))


def period_bounds(kind: str, start: dt.date | None = None, end: dt.date | None = None, today: dt.date | None = None) -> Period:
    from chengyun.core.errors import Invalid

    today = today or dt.datetime.now(SH).date()
    ref = start or today
    if kind == "day":
        return Period(kind, ref, ref)
    if kind == "week":
        monday = ref - dt.timedelta(days=ref.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=6))
    if kind == "month":
        first = ref.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return Period(kind, first, nxt - dt.timedelta(days=1))
    if kind == "custom":
        if not start or not end or end < start:
            raise Invalid("自定义时段须给出起止日期，且止日期不早于起日期", code="bad_period")
        return Period(kind, start, end)
    raise Invalid("时段应为 day、week、month 或 custom", code="bad_period")


@dataclass
class WorkerRow:
    name: str
    unit: str
    reported: int
    valid: int
    valid_rate: float | None
    verified: int
    verified_on_time_rate: float | None
    checked: int
    checked_on_time_rate: float | None


@dataclass
class UnitRow:
    code: str
    name: str
    assigned: int
    handled: int
    on_time: int
    on_time_rate: float | None
    rework_rate: float | None
    overdue: int
    postpone_rate: float | None
    score: float | None
    grade: str


@dataclass
class AreaRow:
    level: str
    code: str
    name: str
    cases: int
    area_km2: float
    density: float | None
    closed: int
    closed_rate: float | None


@dataclass
class Evaluation:
    period: Period
    weights: dict[str, float]
    workers: list[WorkerRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    areas: list[AreaRow] = field(default_factory=list)

    @property
    def weight_labels(self) -> list[tuple[Any, float]]:
        return [(WEIGHT_LABELS.get(k, k), v) for k, v in self.weights.items()]

    def to_dict(self) -> dict[str, Any]:
        return {"period": {"kind": self.period.kind, "start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
                "weights": self.weights, "workers": [asdict(r) for r in self.workers], "units": [asdict(r) for r in self.units],
                "areas": [asdict(r) for r in self.areas]}


def _distinct_cases(qs, key: str) -> dict[Any, set[int]]:
    out: dict[Any, set[int]] = {}
    for k, case_id in qs.values_list(key, "case_id"):
        out.setdefault(k, set()).add(case_id)
    return out


def evaluate(period: Period, now: dt.datetime | None = None) -> Evaluation:
    from django.db.models import Count, F, Q
    from django.utils import timezone

    from chengyun.geo.models import Community, Street, Unit
    from chengyun.people.models import Person

    from . import workflow
    from .models import Case, CaseEvent

    now = now or timezone.now()
    t0, t1 = period.bounds()
    w = weights()
    result = Evaluation(period, w)
    events = CaseEvent.objects.filter(at__gte=t0, at__lt=t1)

    # --- grid workers, street chiefs and supervisors (counted per person, login or not)
    cases_in = Case.objects.filter(reported_at__gte=t0, reported_at__lt=t1, reporter_person__isnull=False)
    reported = dict(cases_in.values("reporter_person_id").annotate(n=Count("id")).values_list("reporter_person_id", "n"))
    valid = dict(cases_in.filter(filed_at__isnull=False).values("reporter_person_id").annotate(n=Count("id")).values_list("reporter_person_id", "n"))

    def on_time_counts(actions):
        rows = events.filter(action__in=actions, actor_person__isnull=False).values("actor_person_id").annotate(n=Count("id"), ok=Count("id", filter=Q(on_time=True)))
        return {r["actor_person_id"]: (r["n"], r["ok"]) for r in rows}

    verify = on_time_counts(["verify"])
    check = on_time_counts(["check_pass", "rework"])
    ids = set(reported) | set(verify) | set(check)
    for p in Person.objects.filter(pk__in=ids, roles__code__in=list(workflow.GRID_WORKERS | {R.STREET_CHIEF})).select_related("unit").distinct():
        n_rep, n_valid = reported.get(p.pk, 0), valid.get(p.pk, 0)
        v_n, v_ok = verify.get(p.pk, (0, 0))
        c_n, c_ok = check.get(p.pk, (0, 0))
        result.workers.append(WorkerRow(p.name, p.unit.short_name or p.unit.name, n_rep, n_valid, ratio(n_valid, n_rep), v_n, ratio(v_ok, v_n), c_n, ratio(c_ok, c_n)))
    result.workers.sort(key=lambda r: (-(r.valid_rate or 0), -r.reported, r.name))

    # --- responsible units
    assigned = _distinct_cases(events.filter(action="dispatch", unit__isnull=False), "unit_id")
    handled = _distinct_cases(events.filter(action="feedback", unit__isnull=False), "unit_id")
    reworked = _distinct_cases(events.filter(action="rework", unit__isnull=False), "unit_id")
    postponed = _distinct_cases(events.filter(action="approve_postpone", unit__isnull=False), "unit_id")
    late_q = Q(fed_back_at__gt=F("overall_deadline")) | Q(fed_back_at__isnull=True, overall_deadline__lt=now, status__in=list(workflow.WITH_UNIT))
    for unit in Unit.objects.filter(pk__in=list(assigned)).order_by("code"):
        a = assigned.get(unit.pk, set())
        h = handled.get(unit.pk, set())
        # On time = the latest feedback (after any rework) no later than the overall deadline.
        ot = set(Case.objects.filter(pk__in=list(h & a), fed_back_at__lte=F("overall_deadline")).values_list("pk", flat=True)) if h & a else set()
        rw = reworked.get(unit.pk, set()) & h
        pp = postponed.get(unit.pk, set()) & a
        overdue = Case.objects.filter(late_q, pk__in=list(a), unit_id=unit.pk).count() if a else 0
        score = unit_score(assigned=len(a), handled=len(h & a), on_time=len(ot), reworked=len(rw), postponed=len(pp), w=w)
        result.units.append(UnitRow(unit.code, unit.short_name or unit.name, len(a), len(h & a), len(ot), ratio(len(ot), len(a)),
                                    ratio(len(rw), len(h & a)), overdue, ratio(len(pp), len(a)), score, grade(score) if score is not None else "—"))
    result.units.sort(key=lambda r: (-(r.score if r.score is not None else -1), r.code))

    # --- streets and communities
    filed = Case.objects.filter(filed_at__gte=t0, filed_at__lt=t1)
    for level, model, key in (("street", Street, "street_id"), ("community", Community, "community_id")):
        counts = {r[key]: (r["n"], r["closed"]) for r in filed.values(key).annotate(n=Count("id"), closed=Count("id", filter=Q(status=workflow.CLOSED)))}
        rows = []
        for area in model.objects.order_by("code"):
            n, closed = counts.get(area.pk, (0, 0))
            km2 = area.area_m2 / 1e6
            rows.append(AreaRow(level, area.code, area.name, n, round(km2, 3), round(n / km2, 2) if km2 else None, closed, ratio(closed, n)))
        rows.sort(key=lambda r: (-(r.closed_rate or 0), r.code))
        result.areas.extend(rows)
    return result


SHEETS = {
    "workers": ("网格员", ["姓名", "单位", "上报数", "有效上报数", "有效上报率", "核实数", "按时核实率", "核查数", "按时核查率"]),
    "units": ("责任单位", ["编码", "单位", "应处置数", "处置数", "按期处置数", "按期处置率", "返工率", "超期数", "延期率", "综合指标值", "等级"]),
    "areas": ("街道与社区", ["层级", "编码", "名称", "立案数", "面积（km²）", "案件密度（件/km²）", "结案数", "结案率"]),
}


def to_xlsx(ev: Evaluation) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for key, (title, header) in SHEETS.items():
        ws = wb.create_sheet(title)
        ws.append([f"综合评价 {ev.period.label}"])
        ws.append(["排名"] + header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for n, row in enumerate(getattr(ev, key), start=1):
            values = list(asdict(row).values())
            if key == "areas":
                values[0] = "街道" if values[0] == "street" else "社区"
            ws.append([n] + values)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
