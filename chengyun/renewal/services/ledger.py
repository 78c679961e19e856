"""The problem ledger (问题台账): problems generated from failing measurements, inspected
findings with photos, and turning a problem into a case or a supervised key task.

Re-check: a problem in 待复核 closes when the next year's measurement of its indicator for the
same unit passes (recheck_by_measurements) or when an inspector closes it on site
(problems.transition "close").
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.geo.models import Compound, Unit
from chengyun.people import policy

from .. import checklist, workflow
from ..models import Indicator, Measurement, Problem, ProblemPhoto
from . import problems as problem_services
from . import verdicts
from .access import is_office, require_office, require_write

# Finest first: a failing indicator becomes problems at the finest unit it was measured at.
FINEST_FIRST = ("building", "compound", "community", "street", "district")


def default_deadline(year: int) -> dt.date:
    """The last day of the month `RENEWAL_PROBLEM_DEADLINE_MONTHS` (default 12) after the check year."""
    months = int(getattr(settings, "RENEWAL_PROBLEM_DEADLINE_MONTHS", 12))
    y, m = divmod(12 + months, 12)  # the month after the deadline month, 0-based
    return dt.date(year + y, m + 1, 1) - dt.timedelta(days=1)


def _codes(year: int, n: int) -> list[str]:
    prefix = f"TJ{year}-"
    last = Problem.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    start = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return [f"{prefix}{i:05d}" for i in range(start, start + n)]


def _severity(indicator: Indicator, value: float) -> str:
    if indicator.kind != Indicator.Kind.BASELINE:
        return Problem.Severity.MINOR
    target = indicator.target_value or 0.0
    miss = abs(value - target) / (abs(target) if target else 1.0)
    return Problem.Severity.SEVERE if miss >= float(getattr(settings, "RENEWAL_SEVERE_MISS", 3)) else Problem.Severity.MAJOR


def _location(m: Measurement) -> dict[str, Any]:
    loc: dict[str, Any] = {"community_id": m.community_id, "street_id": m.street_id, "location_kind": Problem.LocationKind.AREA}
    if m.unit_kind in ("compound", "building"):
        compound_code = m.unit_code if m.unit_kind == "compound" else m.unit_code.rsplit("-", 1)[0]
        c = Compound.objects.filter(code=compound_code).first()
        if c is not None:
            loc.update(compound=c, lng=c.lng, lat=c.lat, location_kind=Problem.LocationKind.COMPOUND)
            if m.unit_kind == "building":
                loc.update(building=m.unit_code.rsplit("-", 1)[1][:40], location_kind=Problem.LocationKind.BUILDING)
    return loc


def _place_name(m: Measurement) -> str:
    from .measurements import resolve_unit

    try:
        return resolve_unit(m.unit_kind, m.unit_code).name
    except Invalid:
        return m.unit_code


def generate_from_measurements(user: Any, year: int) -> dict[str, int]:
    """Every failing value of the year becomes a problem, at the finest unit its indicator was
    measured at; a measurement that already has its problem is skipped (idempotent)."""
    if user is not None:
        require_office(user, "只有城市体检办公室可以生成问题清单")
    rows = [r for r in verdicts.evaluate(year) if r.verdict.status == verdicts.UNMET]
    finest: dict[int, int] = {}
    for r in rows:
        rank = FINEST_FIRST.index(r.measurement.unit_kind)
        finest[r.indicator.pk] = min(finest.get(r.indicator.pk, rank), rank)
    rows = [r for r in rows if FINEST_FIRST.index(r.measurement.unit_kind) == finest[r.indicator.pk]]
    have = set(Problem.objects.filter(measurement__in=[r.measurement for r in rows]).values_list("measurement_id", flat=True))
    todo = [r for r in rows if r.measurement.pk not in have]
    creator = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        codes = _codes(year, len(todo))
        made = []
        for code, r in zip(codes, todo):
            ind, m = r.indicator, r.measurement
            target = "" if ind.target_value is None else f"，目标{ind.target_value:g}{ind.unit}"
            made.append(Problem(code=code, year=year, origin=Problem.Origin.INDICATOR, indicator=ind, measurement=m,
                                title=f"{_place_name(m)}：{ind.name} {m.value:g}{ind.unit}{target}"[:200],
                                severity=_severity(ind, m.value), responsible_unit=ind.responsible_unit,
                                deadline=default_deadline(year), created_by=creator, **_location(m)))
        Problem.objects.bulk_create(made)
        audit.bulk_created(made, verb="generate_problems")
    return {"failing": len(rows), "created": len(made), "existing": len(rows) - len(todo)}


def _problem_indicator(year: int, problem_type: str, indicator_code: str | None) -> Indicator | None:
    code = indicator_code or checklist.indicator_of(problem_type)
    if not code:
        return None
    ind = Indicator.objects.filter(indicator_set__year=year, code=code).order_by("indicator_set_id").first()
    if ind is None and indicator_code:
        raise Invalid(f"{year} 年的指标体系中没有指标 {indicator_code}", code="unknown_indicator", detail={"field": "indicator"})
    return ind


def create_finding(user: Any, *, year: int, problem_type: str, description: str = "", title: str = "", compound: Any = None,
                   building: str = "", lng: float | None = None, lat: float | None = None, severity: str = Problem.Severity.MINOR,
                   responsible_unit: Any = None, deadline: dt.date | None = None, indicator_code: str | None = None,
                   photos: Sequence[Any] = ()) -> Problem:
    """An inspected finding (现场发现) at a building, compound or point; placed in the district."""
    from chengyun.geo import services as geo

    problem_type = (problem_type or "").strip()
    if problem_type not in checklist.all_types():
        raise Invalid(f"问题类型“{problem_type}”不在体检问题清单中", code="unknown_problem_type", detail={"field": "problem_type"})
    if severity not in Problem.Severity.values:
        raise Invalid(f"未知的严重程度：{severity}", code="bad_severity", detail={"field": "severity"})
    ind = _problem_indicator(year, problem_type, indicator_code)
    comp = None
    if compound not in (None, ""):
        comp = compound if isinstance(compound, Compound) else Compound.objects.filter(code=str(compound).strip()).first()
        if comp is None:
            raise Invalid(f"小区 {compound} 不存在", code="unknown_compound", detail={"field": "compound"})
    if comp is not None and (lng is None or lat is None):
        lng, lat = comp.lng, comp.lat
    if lng is None or lat is None:
        raise Invalid("请指定小区或点位坐标", code="missing_location", detail={"field": "lng"})
    location = geo.locate(float(lng), float(lat))
    grid = location.grid
    community_id = comp.community_id if comp is not None else grid.community_id
    street_id = comp.community.street_id if comp is not None else grid.street_id
    unit = responsible_unit
    if unit not in (None, "") and not isinstance(unit, Unit):
        unit = Unit.objects.filter(code=str(unit).strip()).first()
        if unit is None:
            raise Invalid(f"责任单位 {responsible_unit} 不存在", code="unknown_unit", detail={"field": "responsible_unit"})
    unit = unit or (ind.responsible_unit if ind is not None else None)
    if user is not None and not is_office(user):
        policy.require_create(user, Problem, community_id=community_id, street_id=street_id,
                              unit_id=getattr(unit, "pk", None), message="只能登记本人负责区域或本单位的问题")
    checked = [_check_photo(p) for p in photos]
    kind = Problem.LocationKind.BUILDING if building else Problem.LocationKind.COMPOUND if comp else Problem.LocationKind.POINT
    with transaction.atomic():
        p = Problem.objects.create(code=_codes(year, 1)[0], year=year, origin=Problem.Origin.FINDING, indicator=ind,
                                   problem_type=problem_type, title=(title or (f"{comp.name} " if comp else "") + problem_type)[:200],
                                   description=description or "", location_kind=kind, compound=comp, building=(building or "")[:40],
                                   lng=location.lng, lat=location.lat, community_id=community_id, street_id=street_id,
                                   severity=severity, responsible_unit=unit, deadline=deadline or default_deadline(year),
                                   created_by=user if getattr(user, "is_authenticated", False) else None)
        audit.created(p)
        for data, info in checked:
            _store_photo(p, data, info)
    return p


def _check_photo(upload: Any):
    from chengyun.cases import images

    if isinstance(upload, (bytes, bytearray)):
        data = bytes(upload)
    else:
        if getattr(upload, "size", 0) and upload.size > settings.UPLOAD_MAX_BYTES:
            raise Invalid(f"照片过大，上限 {settings.UPLOAD_MAX_BYTES / 1048576:.1f} MB", code="file_too_large", detail={"field": "photos"})
        data = upload.read()
    try:
        return data, images.check_image(data, max_bytes=settings.UPLOAD_MAX_BYTES)
    except images.ImageRejected as exc:
        raise Invalid(str(exc), code=exc.code, detail={"field": "photos"}) from None


def _store_photo(problem: Problem, data: bytes, info: Any, caption: str = "") -> ProblemPhoto:
    photo = ProblemPhoto(problem=problem, caption=caption[:100])
    photo.file.save(f"{info.sha256}.{info.extension}", ContentFile(data), save=False)
    photo.save()
    audit.created(photo)
    return photo


def add_photos(user: Any, problem: Problem, uploads: Sequence[Any], caption: str = "") -> list[ProblemPhoto]:
    if user is not None:
        require_write(user, problem, "您无权为该问题上传照片")
    if not uploads:
        raise Invalid("请选择照片", code="missing_photos", detail={"field": "photos"})
    checked = [_check_photo(u) for u in uploads]
    with transaction.atomic():
        return [_store_photo(problem, data, info, caption) for data, info in checked]


def to_case(user: Any, problem: Problem, *, category_code: str, category_kind: str = "event", description: str = "") -> Any:
    """File the problem as a case (source 城市体检) and link it as the problem's remedy; once per problem."""
    from chengyun.cases import services as case_services

    if user is not None:
        require_write(user, problem, "您无权将该问题转为案件")
    if problem.state == workflow.CLOSED:
        raise Conflict("问题已销号", code="problem_closed")
    if problem.lng is None or problem.lat is None:
        raise Invalid("问题没有点位坐标，不能转为案件（请先指定小区或点位）", code="missing_location")
    with transaction.atomic():
        case = case_services.report(user, source="healthcheck", category_code=category_code, category_kind=category_kind,
                                    lng=problem.lng, lat=problem.lat, description=(description or f"【城市体检 {problem.code}】{problem.title}"),
                                    external_id=problem.code, extra={"renewal_problem": problem.code})
        problem_services.link_remedy(user, problem, case=case)
    return case


def to_key_task(user: Any, problem: Problem, *, lead_unit: Unit | None = None, deadline: dt.date | None = None, title: str = "") -> Any:
    """Supervise the problem as a key task (source 体检问题, category 城市体检问题整改)."""
    from chengyun.supervision import services as supervision

    if problem.supervision_task:
        raise Conflict(f"该问题已列为督办任务 {problem.supervision_task}", code="already_supervised")
    lead = lead_unit or problem.responsible_unit
    if lead is None:
        raise Invalid("请选择牵头单位", code="lead_unit_required", detail={"field": "lead_unit"})
    with transaction.atomic():
        if deadline is None:
            # A task cannot end before it starts: an overdue problem gets a month from today.
            deadline = max(problem.deadline or default_deadline(problem.year), supervision.dates.today() + dt.timedelta(days=30))
        task = supervision.create_task(user, title=title or f"体检问题整改：{problem.title}", source="checkup", category="checkup",
                                       lead_unit=lead, deadline=deadline,
                                       description=problem.description, links=[("renewal.problem", problem.code)])
        before = audit.snapshot(problem)
        problem.supervision_task = task.code
        problem.save(update_fields=["supervision_task"])
        audit.updated(problem, before, verb="to_key_task")
    return task


def recheck_by_measurements(user: Any, year: int) -> dict[str, int]:
    """Close the problems in 待复核 whose indicator passes in `year` for the same unit
    (next year's check re-checks last year's problems)."""
    if user is not None:
        require_office(user, "只有城市体检办公室可以按年度复核")
    closed = kept = 0
    candidates = Problem.objects.filter(state=workflow.REVIEWING, year__lt=year, measurement__isnull=False).select_related("measurement", "indicator")
    for p in candidates:
        now = (Measurement.objects.filter(year=year, indicator__code=p.indicator.code, unit_kind=p.measurement.unit_kind,
                                          unit_code=p.measurement.unit_code).select_related("indicator").first())
        if now is None or verdicts.fails(now.indicator, now.value):
            kept += 1
            continue
        problem_services.transition(None, p, "close", note=f"{year} 年复核：{now.indicator.name} {now.value:g}{now.indicator.unit}，已达标")
        closed += 1
    return {"closed": closed, "still_failing_or_unmeasured": kept}
