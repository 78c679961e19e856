"""Every write of the case domain: catalogue, reporting, the lifecycle, clocks, imports.

Views, the API, Open311, importers, jobs and the demo call these functions; each checks the
policy and the workflow table (workflow.py), writes, records the timeline and the audit entry.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from chengyun.core import audit, notify
from chengyun.core.calendar import get_calendar
from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.core.workcalendar import UNITS
from chengyun.geo import services as geo
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people import roles as R

from . import bulk, images, privacy, standard, workflow
from .models import Attachment, Case, CaseCounter, CaseEvent, Category, DroneFlight, FilingCondition, Responsibility

SHANGHAI = ZoneInfo("Asia/Shanghai")
WARNING_FRACTION = 0.8
EARTH_M_PER_DEG = 111_320.0


# ---------------------------------------------------------------- helpers


def _actor_name(user: Any) -> str:
    if user is None:
        return "系统"
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return (person.name if person else "") or user.get_full_name() or user.get_username()


def _person_id(user: Any) -> int | None:
    if user is None:
        return None
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.pk if person else None


def _now() -> dt.datetime:
    return timezone.now()


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        raise Invalid(f"{name} 必须带时区", code="naive_datetime")
    return value


def _allocate_numbers(day: dt.date, n: int) -> list[str]:
    """n consecutive case numbers of one day: YYYYMMDD + 5-digit sequence."""
    CaseCounter.objects.get_or_create(day=day)
    CaseCounter.objects.filter(day=day).update(last=F("last") + n)
    last = CaseCounter.objects.get(day=day).last
    return [f"{day:%Y%m%d}{i:05d}" for i in range(last - n + 1, last + 1)]


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Equirectangular distance: exact enough at the tens-of-metres scale of duplicate checks."""
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * 6_371_008.8


def get_category(code: str, kind: str = standard.KIND_EVENT) -> Category:
    kind = standard.KIND_BY_NAME.get(kind, kind)
    try:
        return Category.objects.get(kind=kind, code=str(code), active=True)
    except Category.DoesNotExist:
        # An emptied catalogue (a flushed database) is reseeded on first use.
        if load_seed_catalogue():
            return get_category(code, kind)
        raise Invalid(f"案件类别不存在：{standard.KIND_NAMES.get(kind, kind)} {code}", code="unknown_category",
                      detail={"category_code": code, "category_kind": kind}) from None


# ---------------------------------------------------------------- catalogue


@dataclass
class CatalogueReport:
    dry_run: bool
    classes: int = 0
    conditions: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "classes": self.classes, "conditions": self.conditions,
                "created": len(self.created), "updated": len(self.updated), "errors": self.errors, "warnings": self.warnings}

    def as_text(self) -> str:
        head = "（试运行，未写入）" if self.dry_run else ("已写入" if self.written else "未写入任何数据")
        lines = [f"案件类别标准导入{head}：{self.classes} 个小类，{self.conditions} 条立案条件；新增 {len(self.created)}，更新 {len(self.updated)}"]
        lines += [f"错误：{e}" for e in self.errors] + [f"警告：{w}" for w in self.warnings]
        return "\n".join(lines)


def read_standard_table(data: bytes, filename: str = "") -> list[dict[str, str]]:
    try:
        if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
            return standard.read_xlsx(data)
        return standard.read_csv(data)
    except standard.TableError as exc:
        raise Invalid(str(exc), code="bad_table") from None


def import_catalogue(user: Any, data: bytes, filename: str = "", *, dry_run: bool = False) -> CatalogueReport:
    """Import a city's standard table (CSV or Excel). Any row error: nothing is written."""
    if user is not None:
        policy.require_role(user, {R.SYSADMIN}, "只有系统管理员可以导入案件类别标准")
    parsed = standard.parse_rows(read_standard_table(data, filename))
    report = CatalogueReport(dry_run=dry_run, classes=len(parsed.classes), conditions=sum(len(c.conditions) for c in parsed.classes), errors=list(parsed.errors))
    if not parsed.classes and not report.errors:
        report.errors.append("文件中没有任何数据行")
    if not report.ok or dry_run:
        return report
    with transaction.atomic():
        existing = {(c.kind, c.code): c for c in Category.objects.prefetch_related("conditions")}
        for mc in parsed.classes:
            cat = existing.get(mc.key)
            values = {"name": mc.name, "major_code": mc.major_code, "major_name": mc.major_name, "active": True}
            if mc.responsible_specialty:
                values["responsible_specialty"] = mc.responsible_specialty
            if mc.duplicate_radius_m is not None:
                values["duplicate_radius_m"] = mc.duplicate_radius_m
            if mc.duplicate_window_hours is not None:
                values["duplicate_window_hours"] = mc.duplicate_window_hours
            label = f"{standard.KIND_NAMES[mc.kind]}{mc.code}"
            if cat is None:
                cat = Category.objects.create(kind=mc.kind, code=mc.code, **values)
                audit.created(cat, verb="import_catalogue")
                report.created.append(label)
                old_conditions = {}
            else:
                before = audit.snapshot(cat)
                for k, v in values.items():
                    setattr(cat, k, v)
                cat.save()
                if audit.updated(cat, before, verb="import_catalogue"):
                    report.updated.append(label)
                old_conditions = {c.text: c for c in cat.conditions.all()}
            kept = set()
            for seq, cond in enumerate(mc.conditions, start=1):
                fc = old_conditions.get(cond.text)
                if fc is None:
                    fc = FilingCondition.objects.create(category=cat, seq=seq, text=cond.text, limit_amount=cond.limit_amount,
                                                        limit_unit=cond.limit_unit, closing_condition=cond.closing)
                    audit.created(fc, verb="import_catalogue")
                else:
                    before = audit.snapshot(fc)
                    fc.seq, fc.limit_amount, fc.limit_unit, fc.closing_condition = seq, cond.limit_amount, cond.limit_unit, cond.closing
                    fc.save()
                    audit.updated(fc, before, verb="import_catalogue")
                kept.add(fc.pk)
            for text, fc in old_conditions.items():
                if fc.pk in kept:
                    continue
                if Case.objects.filter(condition=fc).exists():
                    report.warnings.append(f"{label} 的立案条件“{text}”已有案件引用，予以保留")
                    continue
                audit.deleted(fc, verb="import_catalogue")
                fc.delete()
        audit.action(None, "import_catalogue", otype="cases.category", object_repr=filename or "standard table", after=report.to_dict())
        report.written = True
    return report


SEED_CATALOGUE = __import__("pathlib").Path(__file__).resolve().parent / "data" / "catalogue.csv"


def load_seed_catalogue() -> int:
    """Load the project's seeded catalogue into an empty catalogue (first use, demo, tests).

    The data migration does the same on install; this is for databases emptied since.
    """
    if Category.objects.exists():
        return 0
    parsed = standard.parse_rows(standard.read_csv(SEED_CATALOGUE.read_bytes()))
    with transaction.atomic():
        for mc in parsed.classes:
            extra = {k: v for k, v in (("duplicate_radius_m", mc.duplicate_radius_m), ("duplicate_window_hours", mc.duplicate_window_hours)) if v is not None}
            cat = Category.objects.create(kind=mc.kind, code=mc.code, name=mc.name, major_code=mc.major_code, major_name=mc.major_name,
                                          responsible_specialty=mc.responsible_specialty, **extra)
            FilingCondition.objects.bulk_create([
                FilingCondition(category=cat, seq=n, text=c.text, limit_amount=c.limit_amount, limit_unit=c.limit_unit, closing_condition=c.closing)
                for n, c in enumerate(mc.conditions, start=1)])
        audit.action(None, "load_seed_catalogue", otype="cases.category", object_repr="seeded catalogue", after={"classes": len(parsed.classes)})
    return len(parsed.classes)


def catalogue_classes() -> list[standard.MinorClass]:
    out = []
    for cat in Category.objects.prefetch_related("conditions").order_by("kind", "code"):
        mc = standard.MinorClass(cat.kind, cat.major_code, cat.major_name, cat.code, cat.name, cat.responsible_specialty,
                                 cat.duplicate_radius_m, cat.duplicate_window_hours)
        mc.conditions = [standard.Condition(c.text, c.limit_amount, c.limit_unit, c.closing_condition) for c in cat.conditions.all()]
        out.append(mc)
    # 部件 first, as published standards list them.
    return sorted(out, key=lambda m: (m.kind != standard.KIND_COMPONENT, m.code))


def export_catalogue(fmt: str = "csv") -> bytes:
    rows = standard.to_rows(catalogue_classes())
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "案件类别标准"
        for row in rows:
            ws.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def set_responsibility(user: Any, *, unit: Unit, category: Category | None = None, street_id: int | None = None, community_id: int | None = None) -> Responsibility:
    """Set who handles a class of case in an area (the dispatch suggestion's table)."""
    if user is not None:
        policy.require_role(user, {R.SYSADMIN, R.OPS_SHIFT_LEADER}, "只有系统管理员或值班长可以维护责任分工")
    with transaction.atomic():
        row = Responsibility.objects.filter(category=category, street_id=street_id, community_id=community_id).first()
        if row is None:
            row = Responsibility.objects.create(category=category, street_id=street_id, community_id=community_id, unit=unit)
            audit.created(row)
        else:
            before = audit.snapshot(row)
            row.unit = unit
            row.save()
            audit.updated(row, before)
    return row


class _UnitSuggester:
    """Dispatch suggestion: responsibility table first, then the category's specialty, then the street office."""

    def __init__(self):
        self.rows = list(Responsibility.objects.select_related("unit").filter(unit__active=True))
        self.units = list(Unit.objects.filter(active=True).order_by("code"))
        reach: dict[int, dict[str, set[int]]] = {u.pk: {"grid": set(), "community": set(), "street": set()} for u in self.units}
        for rel, key in ((Unit.grids.through, "grid"), (Unit.communities.through, "community"), (Unit.streets.through, "street")):
            for unit_id, area_id in rel.objects.values_list("unit_id", f"{key}_id"):
                if unit_id in reach:
                    reach[unit_id][key].add(area_id)
        self.reach = reach
        self._cache: dict[tuple, Unit | None] = {}

    def suggest(self, category: Category, street_id: int, community_id: int, grid_id: int) -> Unit | None:
        key = (category.pk, street_id, community_id, grid_id)
        if key not in self._cache:
            self._cache[key] = self._suggest(category, street_id, community_id, grid_id)
        return self._cache[key]

    def _level(self, u: Unit, street_id: int, community_id: int, grid_id: int) -> int:
        r = self.reach[u.pk]
        if grid_id in r["grid"]:
            return 4
        if community_id in r["community"]:
            return 3
        if street_id in r["street"]:
            return 2
        return 1 if u.district_wide else 0

    def _suggest(self, category, street_id, community_id, grid_id):
        best, best_score = None, -1
        for r in self.rows:
            if r.category_id not in (None, category.pk) or r.street_id not in (None, street_id) or r.community_id not in (None, community_id):
                continue
            score = (r.category_id is not None) * 4 + (r.community_id is not None) * 2 + (r.street_id is not None)
            if score > best_score:
                best, best_score = r.unit, score
        if best is not None:
            return best
        for specialty in (category.responsible_specialty, "街道"):
            if not specialty:
                continue
            ranked = [(self._level(u, street_id, community_id, grid_id), u) for u in self.units if u.specialty == specialty]
            ranked = [t for t in ranked if t[0] > 0]
            if ranked:
                return max(ranked, key=lambda t: t[0])[1]
        return None


def suggest_unit(category: Category, street_id: int, community_id: int, grid_id: int) -> Unit | None:
    return _UnitSuggester().suggest(category, street_id, community_id, grid_id)


# ---------------------------------------------------------------- clocks


def _stage_limit(case: Case, state: str) -> tuple[float, str] | None:
    if state not in workflow.STAGE_LIMITS:
        return None
    limit = workflow.STAGE_LIMITS[state]
    if limit is None:
        cond = case.condition
        return (cond.limit_amount, cond.limit_unit) if cond else None
    return limit


def _pauses(case: Case) -> list[tuple[dt.datetime, dt.datetime | None]]:
    out = []
    for start, end in case.pauses or []:
        out.append((dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end) if end else None))
    return out


def _start_stage(case: Case, state: str, at: dt.datetime) -> None:
    limit = _stage_limit(case, state)
    cal = get_calendar()
    case.stage_started_at = at
    if limit is None:
        case.stage_deadline = case.stage_warning_at = None
        case.stage_limit_amount, case.stage_limit_unit = None, ""
        return
    amount, unit = limit
    case.stage_limit_amount, case.stage_limit_unit = amount, unit
    case.stage_deadline = cal.add(at, amount, unit)
    case.stage_warning_at = cal.add(at, amount * WARNING_FRACTION, unit)


def clock_status_at(case: Case, now: dt.datetime) -> str:
    """正常 / 预警 (80% used) / 超期 from the stored instants; a suspended or finished case keeps its status."""
    if case.status in workflow.TERMINAL or case.status == workflow.SUSPENDED:
        return case.clock_status
    status = Case.Clock.NORMAL
    for deadline, warn in ((case.stage_deadline, case.stage_warning_at), (case.overall_deadline if case.status in workflow.WITH_UNIT else None, case.overall_warning_at)):
        if deadline is None:
            continue
        if now > deadline:
            return Case.Clock.OVERDUE
        if warn is not None and now >= warn:
            status = Case.Clock.WARNING
    return status


def _shift_after_pause(deadline: dt.datetime | None, unit: str, pause_start: dt.datetime, pause_end: dt.datetime) -> dt.datetime | None:
    """The time left at the pause's start runs again from its end."""
    if deadline is None or not unit or deadline <= pause_start:
        return deadline
    cal = get_calendar()
    remaining = cal.elapsed(pause_start, deadline, unit)
    return cal.add(pause_end, remaining, unit)


def refresh_clocks(now: dt.datetime | None = None) -> dict[str, int]:
    """Bring every open case's clock status up to date and notify the people concerned once."""
    now = now or _now()
    changed = {Case.Clock.WARNING: 0, Case.Clock.OVERDUE: 0, Case.Clock.NORMAL: 0}
    open_cases = Case.objects.filter(status__in=workflow.OPEN - {workflow.SUSPENDED}).exclude(stage_deadline=None, overall_deadline=None)
    overdue_q = Q(stage_deadline__lt=now) | Q(status__in=workflow.WITH_UNIT, overall_deadline__lt=now)
    warning_q = (Q(stage_warning_at__lte=now) | Q(status__in=workflow.WITH_UNIT, overall_warning_at__lte=now)) & ~overdue_q
    normal_q = ~overdue_q & ~warning_q
    with transaction.atomic():
        for status, q in ((Case.Clock.OVERDUE, overdue_q), (Case.Clock.WARNING, warning_q), (Case.Clock.NORMAL, normal_q)):
            targets = list(open_cases.filter(q).exclude(clock_status=status).select_related("category", "unit"))
            if not targets:
                continue
            ids = [c.pk for c in targets]
            update = {"clock_status": status}
            if status == Case.Clock.OVERDUE:
                update["was_overdue"] = True
            Case.objects.filter(pk__in=ids).update(**update)
            changed[status] = len(ids)
            if status != Case.Clock.NORMAL:
                for case in targets:
                    case.clock_status = status
                    _notify_clock(case, status)
    return changed


def _notify_clock(case: Case, status: str) -> None:
    word = "已超期" if status == Case.Clock.OVERDUE else "即将到期（已用时 80%）"
    recipients = _people_for_stage(case)
    if status == Case.Clock.OVERDUE:
        recipients += _users_with_roles({R.OPS_SHIFT_LEADER})
    notify.notify(recipients, f"案件 {case.number} {workflow.label(case.status)}环节{word}",
                  body=f"{case.category.name}：{case.description[:80]}", url=case.get_absolute_url(),
                  level="danger" if status == Case.Clock.OVERDUE else "warning",
                  dedup_key=f"case:{case.pk}:{status}:{case.stage_started_at:%Y%m%d%H%M%S}")


def _users_with_roles(role_codes: Iterable[str], **person_filter: Any) -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(person__active=True, person__roles__code__in=list(role_codes), **person_filter).distinct())


def policy_person_grids():
    """The person ↔ grid assignment table (定人定片区)."""
    from chengyun.people.models import Person

    return Person.grids.through


def _people_for_stage(case: Case) -> list[Any]:
    if case.status in workflow.WITH_UNIT and case.unit_id:
        return _users_with_roles({R.DEPT_HANDLER}, person__unit_id=case.unit_id)
    if case.status in (workflow.VERIFYING, workflow.CHECKING):
        return _users_with_roles(workflow.GRID_WORKERS, person__grids=case.grid_id)
    if case.status == workflow.FILED:
        return _users_with_roles(workflow.DISPATCH_DESK)
    return _users_with_roles(workflow.OPS_DESK)


# ---------------------------------------------------------------- duplicates


def find_duplicates(category: Category, lng: float, lat: float, at: dt.datetime, *, exclude_id: int | None = None, limit: int = 10) -> list[Case]:
    """Open cases of the same minor class within the class's radius and time window."""
    radius = category.duplicate_radius_m
    dlat = radius / EARTH_M_PER_DEG
    dlng = radius / (EARTH_M_PER_DEG * max(math.cos(math.radians(lat)), 0.01))
    window = dt.timedelta(hours=category.duplicate_window_hours)
    qs = (Case.objects.filter(category=category, status__in=workflow.OPEN, reported_at__gte=at - window, reported_at__lte=at + window,
                              lng__range=(lng - dlng, lng + dlng), lat__range=(lat - dlat, lat + dlat))
          .exclude(pk=exclude_id).order_by("reported_at"))
    found = [c for c in qs[:200] if distance_m(lng, lat, c.lng, c.lat) <= radius]
    found.sort(key=lambda c: distance_m(lng, lat, c.lng, c.lat))
    return found[:limit]


# ---------------------------------------------------------------- attachments


def _check_upload(upload: Any) -> tuple[bytes, images.ImageInfo]:
    if isinstance(upload, (bytes, bytearray)):
        data = bytes(upload)
    elif isinstance(upload, tuple):
        data = bytes(upload[1])
    else:
        if getattr(upload, "size", 0) and upload.size > settings.UPLOAD_MAX_BYTES:
            raise Invalid(f"照片过大，上限 {settings.UPLOAD_MAX_BYTES / 1048576:.1f} MB", code="file_too_large")
        data = upload.read()
    try:
        return data, images.check_image(data, max_bytes=settings.UPLOAD_MAX_BYTES)
    except images.ImageRejected as exc:
        raise Invalid(str(exc), code=exc.code) from None


def _without_gps(data: bytes, info: images.ImageInfo) -> tuple[bytes, images.ImageInfo]:
    if info.gps is None:
        return data, info
    stripped = privacy.strip_gps(data)
    return stripped, images.check_image(stripped, max_bytes=max(settings.UPLOAD_MAX_BYTES, len(stripped)))


def _store_attachment(case: Case, data: bytes, info: images.ImageInfo, stage: str, user: Any, at: dt.datetime) -> Attachment:
    att = Attachment(case=case, stage=stage, content_type=info.content_type, extension=info.extension, size=info.size,
                     width=info.width, height=info.height, sha256=info.sha256, uploaded_by=user if user is not None else None,
                     uploaded_at=at, gps_lng=info.gps[0] if info.gps else None, gps_lat=info.gps[1] if info.gps else None)
    att.file.save(f"{info.sha256}.{info.extension}", ContentFile(data), save=False)
    att.save()
    audit.created(att)
    return att


def add_attachments(user: Any, case: Case, uploads: Sequence[Any], stage: str = Attachment.Stage.REPORT) -> list[Attachment]:
    """Check every photo first; store them all or none."""
    if stage not in Attachment.Stage.values:
        raise Invalid("照片环节有误", code="bad_stage")
    if user is not None:
        policy.require_write(user, case)
        if case.status in workflow.TERMINAL:
            raise Conflict("案件已办结，不能再上传照片", code="case_closed")
    checked = [_check_upload(u) for u in uploads]
    at = _now()
    with transaction.atomic():
        out = [_store_attachment(case, data, info, stage, user, at) for data, info in checked]
        if out:
            CaseEvent.objects.create(case=case, at=at, action="attach", from_status=case.status, to_status=case.status,
                                     actor=user, actor_person_id=_person_id(user), actor_name=_actor_name(user), data={"stage": stage, "count": len(out)})
    return out


# ---------------------------------------------------------------- report


def _check_source(user: Any, source: str) -> None:
    if source not in workflow.SOURCES:
        raise Invalid(f"来源有误：{source}（可用：{'、'.join(workflow.SOURCES)}）", code="bad_source")
    if user is None:
        return
    p = policy.principal(user)
    if not p.is_authenticated:
        raise Forbidden("请先登录", code="unauthenticated", status=401)
    allowed = workflow.SOURCE_ROLES[source]
    if allowed is not None and not p.has(allowed | {R.SYSADMIN}):
        raise Forbidden(f"您的角色不能以“{workflow.SOURCES[source]}”来源上报案件", code="source_not_allowed")


def report(user: Any, *, source: str, category_code: str, category_kind: str = "event", lng: float, lat: float, crs: str = "wgs84",
           description: str, address: str = "", reporter_name: str = "", reporter_phone: str = "", external_id: str | None = None,
           occurred_at: dt.datetime | None = None, attachments: Sequence = (), extra: dict | None = None,
           location_consent: bool = False) -> Case:
    """File a new report (上报). user None = the system (sensor alerts, imports run by jobs).

    A repeated (source, external_id) returns the case already reported, unchanged. A citizen's
    photos (public, hotline) keep their EXIF GPS only with ``location_consent``.
    """
    _check_source(user, source)
    category = get_category(category_code, category_kind)
    description = (description or "").strip()
    if not description:
        raise Invalid("问题描述不能为空", code="missing_description", detail={"field": "description"})
    occurred_at = _aware(occurred_at, "occurred_at")
    external_id = (str(external_id).strip() or None) if external_id is not None else None
    if external_id:
        existing = Case.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return existing
    location = geo.locate(lng, lat, crs)
    checked = [_check_upload(u) for u in attachments]
    if source in privacy.CITIZEN_SOURCES and not location_consent:
        checked = [_without_gps(data, info) for data, info in checked]
    now = _now()
    g = location.grid
    with transaction.atomic():
        number = _allocate_numbers(now.astimezone(SHANGHAI).date(), 1)[0]
        case = Case(number=number, category=category, source=source, status=workflow.REPORTED, description=description[:4000],
                    address=address[:200], lng=location.lng, lat=location.lat, street_id=g.street_id, community_id=g.community_id,
                    grid_id=g.id, reporter=user, reporter_person_id=_person_id(user), reporter_name=(reporter_name or (_actor_name(user) if user is not None else ""))[:50],
                    reporter_phone=reporter_phone[:30], external_id=external_id, needs_verification=source in workflow.NEEDS_VERIFICATION,
                    occurred_at=occurred_at or now, reported_at=now, extra=dict(extra or {}))
        if source in privacy.CITIZEN_SOURCES:
            case.extra["location_consent"] = bool(location_consent)
        duplicates = find_duplicates(category, location.lng, location.lat, now)
        if duplicates:
            case.extra["possible_duplicates"] = [d.number for d in duplicates]
        suggested = suggest_unit(category, g.street_id, g.community_id, g.id)
        case.suggested_unit = suggested
        _start_stage(case, workflow.REPORTED, now)
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError:
            if external_id:
                existing = Case.objects.filter(source=source, external_id=external_id).first()
                if existing is not None:
                    return existing
            raise
        CaseEvent.objects.create(case=case, at=now, action="report", to_status=workflow.REPORTED, actor=user, actor_person_id=_person_id(user), actor_name=_actor_name(user),
                                 note=description[:500], data={"source": source, "possible_duplicates": case.extra.get("possible_duplicates", [])})
        for data, info in checked:
            _store_attachment(case, data, info, Attachment.Stage.REPORT, user, now)
        audit.created(case, verb="report")
    return case


def move(user: Any, case: Case, *, lng: float, lat: float, crs: str = "wgs84", address: str | None = None) -> Case:
    """Correct a case's position: street, community and grid follow; the move is audited."""
    if user is not None:
        policy.require_write(user, case)
        policy.require_role(user, workflow.OPS_DESK | workflow.DISPATCH_DESK | workflow.GRID_WORKERS, "您的角色不能修改案件位置")
    if case.status in workflow.TERMINAL:
        raise Conflict("案件已办结，不能修改位置", code="case_closed")
    location = geo.locate(lng, lat, crs)
    with transaction.atomic():
        before = audit.snapshot(case)
        g = location.grid
        old = {"lng": case.lng, "lat": case.lat, "grid": case.grid_id}
        case.lng, case.lat, case.grid_id, case.community_id, case.street_id = location.lng, location.lat, g.id, g.community_id, g.street_id
        if address is not None:
            case.address = address[:200]
        case.save()
        CaseEvent.objects.create(case=case, at=_now(), action="move", from_status=case.status, to_status=case.status, actor=user,
                                 actor_name=_actor_name(user), data={"from": old, "to": {"lng": case.lng, "lat": case.lat, "grid": g.code}})
        audit.updated(case, before, verb="move")
    return case


# ---------------------------------------------------------------- the lifecycle


def _in_scope(p: policy.Principal, t: workflow.Transition, case: Case, user: Any) -> bool:
    if not t.scope:
        return True
    if t.scope == "unit":
        return p.unit_id is not None and p.unit_id == case.unit_id
    in_grid = case.grid_id in p.grid_ids
    if t.scope == "grid":
        return in_grid
    if t.scope == "grid_or_reporter":
        return in_grid or (case.reporter_id is not None and case.reporter_id == getattr(user, "pk", None))
    return False


def _guard(name: str, case: Case, fields: dict[str, Any]) -> None:
    if not name:
        return
    if name == "verified_if_needed":
        if case.needs_verification and not case.verified:
            raise Conflict("该来源的案件须经网格员现场核实属实后才能立案", code="not_verified")
    elif name == "feedback_photo":
        has_photo = case.attachments.filter(stage=Attachment.Stage.FEEDBACK, uploaded_at__gte=case.stage_started_at).exists()
        if not has_photo and not fields.get("attachments"):
            raise Invalid("处置反馈须附处置后照片", code="feedback_photo_required", detail={"field": "attachments"})
    elif name == "no_pending_request":
        if case.pending_request:
            raise Conflict("已有待审批的延期或挂账申请", code="request_pending")
    elif name == "pending_postpone":
        if not case.pending_request or case.pending_request.get("kind") != "postpone":
            raise Conflict("没有待审批的延期申请", code="no_postpone_request")
    elif name == "pending_suspend":
        if not case.pending_request or case.pending_request.get("kind") != "suspend":
            raise Conflict("没有待审批的挂账申请", code="no_suspend_request")
    else:
        raise LookupError(f"unknown guard {name}")


FIELD_NAMES = {"verified": "是否属实", "note": "说明", "reason": "理由", "condition_id": "立案条件", "unit_id": "责任单位",
               "amount": "延期时长", "time_unit": "时长单位", "target": "合并到的案件编号"}


def allowed_actions(user: Any, case: Case) -> list[workflow.Transition]:
    """The transitions this user could fire on this case now (for the detail page's buttons)."""
    if user is None or not policy.can_read(user, case):
        return []
    p = policy.principal(user)
    out = []
    for t in workflow.allowed_from(case.status):
        if not p.has(t.roles) or not _in_scope(p, t, case, user):
            continue
        try:
            if t.guard not in ("feedback_photo",):
                _guard(t.guard, case, {})
        except (Conflict, Invalid):
            continue
        out.append(t)
    return out


def transition(user: Any, case: Case | int, action: str, **fields: Any) -> Case:
    """Fire one transition of the workflow table on a case."""
    t = workflow.BY_ACTION.get(action)
    if t is None:
        raise Invalid(f"未知的案件操作：{action}", code="unknown_action")
    case_id = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        qs = Case.objects.select_for_update(of=("self",)).select_related("category", "condition", "unit")
        if user is not None:
            case = policy.get_visible(user, qs, pk=case_id)
        else:
            try:
                case = qs.get(pk=case_id)
            except Case.DoesNotExist:
                raise NotFound() from None
        if case.status not in t.sources:
            raise Conflict(f"案件当前状态为“{case.status_label}”，不能执行“{t.label}”", code="illegal_transition",
                           detail={"status": case.status, "action": action, "allowed": [x.action for x in workflow.allowed_from(case.status)]})
        if user is not None:
            p = policy.principal(user)
            if not p.has(t.roles):
                raise Forbidden(f"您的角色不能对案件执行“{t.label}”", code="role_not_allowed")
            if not _in_scope(p, t, case, user):
                scope = {"unit": "派遣给本单位的案件", "grid": "本人负责网格内的案件", "grid_or_reporter": "本人负责网格内或本人上报的案件"}[t.scope]
                raise Forbidden(f"只能对{scope}执行“{t.label}”", code="out_of_scope")
        missing = [f for f in t.required if fields.get(f) in (None, "")]
        if missing:
            raise Invalid("缺少必填项：" + "、".join(FIELD_NAMES.get(f, f) for f in missing), code="missing_fields", detail={"fields": missing})
        _guard(t.guard, case, fields)
        return _apply(user, case, t, fields)


def _apply(user: Any, case: Case, t: workflow.Transition, fields: dict[str, Any]) -> Case:
    now = _now()
    before = audit.snapshot(case)
    from_status = case.status
    old_deadline = case.stage_deadline
    note = str(fields.get("note") or fields.get("reason") or "")[:2000]
    event = CaseEvent(case=case, at=now, action=t.action, from_status=from_status, actor=user, actor_person_id=_person_id(user), actor_name=_actor_name(user), note=note, unit_id=case.unit_id,
                      stage_deadline=old_deadline, on_time=(now <= old_deadline) if old_deadline else None)
    data: dict[str, Any] = {}
    extra_notify: list[tuple[list, str]] = []
    cal = get_calendar()
    uploads = fields.get("attachments") or ()
    stage_for_upload = {"feedback": Attachment.Stage.FEEDBACK, "verify": Attachment.Stage.VERIFY,
                        "check_pass": Attachment.Stage.CHECK, "rework": Attachment.Stage.CHECK}.get(t.action)
    checked_uploads = [_check_upload(u) for u in uploads] if uploads else []
    if checked_uploads and stage_for_upload is None:
        raise Invalid(f"“{t.label}”不接受照片", code="unexpected_attachments")

    a = t.action
    if a == "verify":
        verified = fields["verified"]
        if isinstance(verified, str):
            verified = verified.strip().lower() in ("1", "true", "yes", "属实", "是")
        case.verified = bool(verified)
        data["verified"] = case.verified
    elif a == "file":
        try:
            cond = FilingCondition.objects.get(pk=int(fields["condition_id"]), category=case.category)
        except (FilingCondition.DoesNotExist, ValueError, TypeError):
            raise Invalid("立案条件不属于该案件的小类", code="bad_condition", detail={"field": "condition_id"}) from None
        case.condition = cond
        case.filed_at = now
        data["condition"] = cond.text
        data["limit"] = cond.limit_text
    elif a == "dispatch":
        try:
            unit = Unit.objects.get(pk=int(fields["unit_id"]), active=True)
        except (Unit.DoesNotExist, ValueError, TypeError):
            raise Invalid("责任单位不存在或已停用", code="bad_unit", detail={"field": "unit_id"}) from None
        if case.condition is None:
            raise Conflict("案件尚未确定立案条件，不能派遣", code="no_condition")
        case.unit = unit
        event.unit = unit
        data["unit"] = unit.name
        if case.dispatched_at is None:
            case.dispatched_at = now
            case.overall_deadline = cal.add(now, case.condition.limit_amount, case.condition.limit_unit)
            case.overall_warning_at = cal.add(now, case.condition.limit_amount * WARNING_FRACTION, case.condition.limit_unit)
        extra_notify.append((_users_with_roles({R.DEPT_HANDLER}, person__unit_id=unit.pk), f"新派遣案件 {case.number}：{case.category.name}"))
    elif a == "send_back":
        event.unit = case.unit
        data["unit"] = case.unit.name if case.unit else ""
        case.unit = None
        case.returned_count += 1
        extra_notify.append((_users_with_roles(workflow.DISPATCH_DESK), f"案件 {case.number} 被回退，请重新派遣"))
    elif a == "feedback":
        case.fed_back_at = now
        event.unit = case.unit
        if case.overall_deadline:
            data["overall_on_time"] = now <= case.overall_deadline
        extra_notify.append((_users_with_roles(workflow.GRID_WORKERS, person__grids=case.grid_id), f"案件 {case.number} 已处置，请现场核查"))
    elif a == "rework":
        case.rework_count += 1
        extra_notify.append((_users_with_roles({R.DEPT_HANDLER}, person__unit_id=case.unit_id), f"案件 {case.number} 核查未通过，需返工"))
    elif a == "close":
        case.closed_at = now
    elif a == "request_postpone":
        try:
            amount = float(fields["amount"])
        except (TypeError, ValueError):
            raise Invalid("延期时长应为数字", code="bad_amount", detail={"field": "amount"}) from None
        if not (0 < amount <= 1000) or fields["time_unit"] not in UNITS:
            raise Invalid(f"延期时长应大于 0，单位为 {'、'.join(UNITS)} 之一", code="bad_amount", detail={"field": "amount"})
        case.pending_request = {"kind": "postpone", "amount": amount, "unit": fields["time_unit"], "reason": note, "by": _actor_name(user), "at": now.isoformat()}
        data.update(case.pending_request)
        extra_notify.append((_users_with_roles(workflow.APPROVERS), f"案件 {case.number} 申请延期，待审批"))
    elif a == "approve_postpone":
        req = case.pending_request
        amount, unit = req["amount"], req["unit"]
        if case.stage_deadline:
            case.stage_deadline = cal.add(case.stage_deadline, amount, unit)
            case.stage_warning_at = cal.add(case.stage_started_at, (cal.elapsed(case.stage_started_at, case.stage_deadline, unit)) * WARNING_FRACTION, unit)
        if case.overall_deadline:
            case.overall_deadline = cal.add(case.overall_deadline, amount, unit)
            case.overall_warning_at = cal.add(case.dispatched_at, cal.elapsed(case.dispatched_at, case.overall_deadline, unit) * WARNING_FRACTION, unit)
        case.postpone_count += 1
        case.pending_request = None
        data.update({"amount": amount, "unit": unit, "stage_deadline": case.stage_deadline, "overall_deadline": case.overall_deadline})
        case.clock_status = clock_status_at(case, now)
    elif a in ("deny_postpone", "deny_suspend"):
        data["request"] = case.pending_request
        case.pending_request = None
    elif a == "request_suspend":
        case.pending_request = {"kind": "suspend", "reason": note, "by": _actor_name(user), "at": now.isoformat()}
        data.update(case.pending_request)
        extra_notify.append((_users_with_roles(workflow.APPROVERS), f"案件 {case.number} 申请挂账，待审批"))
    elif a == "approve_suspend":
        case.pauses = list(case.pauses or []) + [[now.isoformat(), None]]
        data["request"] = case.pending_request
        case.pending_request = None
    elif a == "resume":
        pauses = list(case.pauses or [])
        start = dt.datetime.fromisoformat(pauses[-1][0])
        pauses[-1] = [pauses[-1][0], now.isoformat()]
        case.pauses = pauses
        case.stage_deadline = _shift_after_pause(case.stage_deadline, case.stage_limit_unit, start, now)
        case.stage_warning_at = _shift_after_pause(case.stage_warning_at, case.stage_limit_unit, start, now)
        if case.condition:
            unit = case.condition.limit_unit
            case.overall_deadline = _shift_after_pause(case.overall_deadline, unit, start, now)
            case.overall_warning_at = _shift_after_pause(case.overall_warning_at, unit, start, now)
        data["paused"] = [start.isoformat(), now.isoformat()]
    elif a == "escalate":
        case.escalation_level += 1
        data["level"] = case.escalation_level
        if case.unit_id:
            extra_notify.append((_users_with_roles({R.DEPT_HANDLER}, person__unit_id=case.unit_id), f"案件 {case.number} 被督办"))
    elif a == "merge":
        target = Case.objects.select_for_update().filter(number=str(fields["target"]).strip()).first()
        if target is None or target.pk == case.pk:
            raise Invalid("合并目标案件不存在", code="bad_target", detail={"field": "target"})
        if target.status in workflow.TERMINAL:
            raise Conflict(f"目标案件 {target.number} 已{target.status_label}，不能合并", code="target_closed")
        tbefore = audit.snapshot(target)
        target.reporter_count += case.reporter_count
        target.save(update_fields=["reporter_count", "updated_at"])
        CaseEvent.objects.create(case=target, at=now, action="duplicate_report", from_status=target.status, to_status=target.status,
                                 actor=user, actor_person_id=_person_id(user), actor_name=_actor_name(user), data={"merged": case.number, "reporter_count": target.reporter_count})
        audit.updated(target, tbefore, verb="merge_duplicate")
        case.merged_into = target
        data["target"] = target.number

    if t.target is not None:
        case.status = t.target
        if t.restarts_stage:
            _start_stage(case, t.target, now)
        if t.target in workflow.TERMINAL:
            case.stage_deadline = case.stage_warning_at = None
        # While suspended the clock status stays as it was when the clock stopped.
        if case.status != workflow.SUSPENDED:
            case.clock_status = clock_status_at(case, now)
    if case.clock_status == Case.Clock.OVERDUE:
        case.was_overdue = True
    event.to_status = case.status
    event.data = audit._jsonable(data)
    case.save()
    event.save()
    for d, info in checked_uploads:
        _store_attachment(case, d, info, stage_for_upload, user, now)
    changed = _changed(case, before)
    audit.action(case, t.action, before={k: before.get(k) for k in changed}, after=changed)
    for recipients, title in extra_notify:
        notify.notify(recipients, title, body=case.description[:120], url=case.get_absolute_url())
    if t.action == "send_verify":
        notify.notify(_users_with_roles(workflow.GRID_WORKERS, person__grids=case.grid_id), f"案件 {case.number} 待现场核实", url=case.get_absolute_url())
    return case


def _changed(case: Case, before: dict[str, Any]) -> dict[str, Any]:
    after = audit.snapshot(case)
    return {k: v for k, v in after.items() if before.get(k) != v and k != "updated_at"}


# ---------------------------------------------------------------- drone patrols


@dataclass
class DroneImportResult:
    flight_id: str
    already_imported: bool
    detections: int
    created: int
    duplicates: int
    outside: int
    case_numbers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"flight_id": self.flight_id, "already_imported": self.already_imported, "detections": self.detections, "created": self.created,
                "duplicates": self.duplicates, "outside": self.outside, "case_numbers": self.case_numbers}


def _parse_time(value: Any, where: str, errors: list[str]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors.append(f"{where}“time”应为带时区的 ISO 8601 时间")
        return None
    if t.tzinfo is None:
        errors.append(f"{where}“time”必须带时区偏移")
        return None
    return t


def import_drone_flight(user: Any, payload: dict[str, Any]) -> DroneImportResult:
    """A patrol flight's detections → located, de-duplicated, waiting for on-site verification.

    Importing the same flight again returns the first import's result and changes nothing.
    """
    import numpy as np

    if user is not None:
        policy.require_role(user, {R.DRONE_OPERATOR, R.OPS_SHIFT_LEADER, R.SYSADMIN}, "只有无人机飞手或值班长可以导入巡查结果")
    if not isinstance(payload, dict):
        raise Invalid("请求体应为 JSON 对象", code="bad_payload")
    flight_id = str(payload.get("flight_id") or "").strip()
    detections = payload.get("detections")
    errors: list[str] = []
    if not flight_id:
        errors.append("缺少 flight_id")
    if not isinstance(detections, list):
        errors.append("detections 应为数组")
        detections = []
    done = DroneFlight.objects.filter(flight_id=flight_id).first() if flight_id else None
    if done is not None:
        numbers = list(Case.objects.filter(source="drone", external_id__startswith=f"{flight_id}:").order_by("number").values_list("number", flat=True))
        return DroneImportResult(flight_id, True, done.detections, done.created, done.duplicates, done.outside, numbers)
    categories = {(c.kind, c.code): c for c in Category.objects.filter(active=True)}
    rows = []
    for i, d in enumerate(detections):
        where = f"detections[{i}] "
        if not isinstance(d, dict):
            errors.append(f"{where}应为对象")
            continue
        kind = standard.KIND_BY_NAME.get(str(d.get("category_kind", "event")), None)
        cat = categories.get((kind, str(d.get("category_code", ""))))
        if cat is None:
            errors.append(f"{where}“category_code”类别不存在：{d.get('category_kind', 'event')} {d.get('category_code')}")
        try:
            lng, lat = float(d["lng"]), float(d["lat"])
            if not (math.isfinite(lng) and math.isfinite(lat)):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            errors.append(f"{where}“lng/lat”应为数字")
            continue
        crs = str(d.get("crs") or "wgs84").lower()
        if crs not in ("wgs84", "cgcs2000", "gcj02", "bd09"):
            errors.append(f"{where}“crs”应为 wgs84、cgcs2000、gcj02 或 bd09")
        conf = d.get("confidence")
        if conf is not None:
            try:
                conf = float(conf)
                if not 0 <= conf <= 1:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(f"{where}“confidence”应为 0 到 1 之间的数")
        when = _parse_time(d.get("time"), where, errors)
        rows.append({"i": i, "id": str(d.get("id") or i), "cat": cat, "lng": lng, "lat": lat, "crs": crs, "confidence": conf,
                     "image": str(d.get("image") or "")[:500], "time": when})
    if errors:
        raise Invalid(f"巡查数据有 {len(errors)} 处错误，未导入", code="bad_detections", detail=errors[:200])
    now = _now()
    # Locate per coordinate system, vectorised.
    gi = np.full(len(rows), -1, dtype=np.int64)
    wlng = np.array([r["lng"] for r in rows], dtype=float)
    wlat = np.array([r["lat"] for r in rows], dtype=float)
    idx = None
    for crs in {r["crs"] for r in rows}:
        sel = np.array([r["crs"] == crs for r in rows], dtype=bool)
        from chengyun.standards import coords

        if crs in ("gcj02", "bd09"):
            wlng[sel], wlat[sel] = coords.to_wgs84_array(wlng[sel], wlat[sel], crs)
        hits, idx = geo.locate_many(wlng[sel], wlat[sel], "wgs84")
        gi[sel] = hits
    # De-duplicate against open cases and within the batch with a spatial hash per class.
    buckets: dict[tuple, list[tuple[float, float, Any]]] = {}

    def cell_key(cat, lng, lat):
        size = cat.duplicate_radius_m / EARTH_M_PER_DEG
        return (cat.pk, int(math.floor(lng / size)), int(math.floor(lat / size)))

    def find(cat, lng, lat):
        k0, kx, ky = cell_key(cat, lng, lat)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for (olng, olat, ref) in buckets.get((k0, kx + dx, ky + dy), ()):
                    if distance_m(lng, lat, olng, olat) <= cat.duplicate_radius_m:
                        return ref
        return None

    inside = [k for k in range(len(rows)) if gi[k] >= 0]
    if inside:
        cats = {rows[k]["cat"].pk: rows[k]["cat"] for k in inside}
        window = max(c.duplicate_window_hours for c in cats.values())
        pad = max(c.duplicate_radius_m for c in cats.values()) / EARTH_M_PER_DEG * 2
        open_cases = Case.objects.filter(category_id__in=list(cats), status__in=workflow.OPEN, reported_at__gte=now - dt.timedelta(hours=window),
                                         lng__range=(float(wlng[inside].min()) - pad, float(wlng[inside].max()) + pad),
                                         lat__range=(float(wlat[inside].min()) - pad, float(wlat[inside].max()) + pad))
        for cid, cat_id, lng, lat, rep in open_cases.values_list("id", "category_id", "lng", "lat", "reported_at"):
            cat = cats[cat_id]
            if rep >= now - dt.timedelta(hours=cat.duplicate_window_hours):
                buckets.setdefault(cell_key(cat, lng, lat), []).append((lng, lat, ("case", cid)))
    suggester = _UnitSuggester()
    new_cases: list[Case] = []
    dup_existing: dict[int, int] = {}
    duplicates = 0
    stage_probe = Case(status=workflow.VERIFYING)
    _start_stage(stage_probe, workflow.VERIFYING, now)
    for k in inside:
        r = rows[k]
        cat, lng, lat = r["cat"], float(wlng[k]), float(wlat[k])
        ref = find(cat, lng, lat)
        if ref is not None:
            duplicates += 1
            if ref[0] == "case":
                dup_existing[ref[1]] = dup_existing.get(ref[1], 0) + 1
            else:
                ref[1].reporter_count += 1
                ref[1].extra.setdefault("detections", []).append(r["id"])
            continue
        grid = idx.grids[int(gi[k])]
        case = Case(category=cat, source="drone", status=workflow.VERIFYING, description=f"无人机巡查识别：{cat.name}（置信度 {r['confidence']:.2f}）" if r["confidence"] is not None else f"无人机巡查识别：{cat.name}",
                    lng=lng, lat=lat, street_id=grid.street_id, community_id=grid.community_id, grid_id=grid.id, reporter=user, reporter_person_id=_person_id(user),
                    reporter_name=_actor_name(user) if user is not None else "无人机巡查", external_id=f"{flight_id}:{r['id']}",
                    needs_verification=True, occurred_at=r["time"] or now, reported_at=now,
                    extra={"flight_id": flight_id, "detections": [r["id"]], "confidence": r["confidence"], "image": r["image"]},
                    suggested_unit=suggester.suggest(cat, grid.street_id, grid.community_id, grid.id),
                    stage_started_at=now, stage_deadline=stage_probe.stage_deadline, stage_warning_at=stage_probe.stage_warning_at,
                    stage_limit_amount=stage_probe.stage_limit_amount, stage_limit_unit=stage_probe.stage_limit_unit)
        new_cases.append(case)
        buckets.setdefault(cell_key(cat, lng, lat), []).append((lng, lat, ("new", case)))
    with transaction.atomic():
        try:
            flight = DroneFlight.objects.create(flight_id=flight_id, imported_by=user, detections=len(rows), created=len(new_cases),
                                                duplicates=duplicates, outside=len(rows) - len(inside))
        except IntegrityError:
            raise Conflict("该架次正在导入", code="flight_importing") from None
        numbers = _allocate_numbers(now.astimezone(SHANGHAI).date(), len(new_cases)) if new_cases else []
        for case, number, pk in zip(new_cases, numbers, bulk.reserve_ids(Case, len(new_cases))):
            case.number, case.pk, case.updated_at = number, pk, now
        bulk.fast_insert(Case, new_cases)
        actor_name = _actor_name(user)
        person_id = _person_id(user)
        user_id = user.pk if user is not None else None
        events = []
        for case in new_cases:
            events.append({"case_id": case.pk, "at": now, "action": "report", "to_status": workflow.REPORTED, "actor_id": user_id,
                           "actor_person_id": person_id, "actor_name": actor_name, "note": case.description, "data": {"source": "drone", "flight_id": flight_id}})
            events.append({"case_id": case.pk, "at": now, "action": "send_verify", "from_status": workflow.REPORTED, "to_status": workflow.VERIFYING,
                           "actor_name": "系统", "note": "无人机巡查结果自动派发网格员核实", "data": {}})
        by_count: dict[int, list[int]] = {}
        for cid, n in dup_existing.items():
            events.append({"case_id": cid, "at": now, "action": "duplicate_report", "actor_id": user_id, "actor_person_id": person_id,
                           "actor_name": actor_name, "data": {"flight_id": flight_id, "count": n}})
            by_count.setdefault(n, []).append(cid)
        for n, ids in by_count.items():
            Case.objects.filter(pk__in=ids).update(reporter_count=F("reporter_count") + n, updated_at=now)
        for event, pk in zip(events, bulk.reserve_ids(CaseEvent, len(events))):
            event["id"] = pk
        bulk.fast_insert(CaseEvent, events)
        # One audit entry for the flight names every case it created and every case it added reports to.
        audit.action(flight, "import_drone_flight", after={"flight_id": flight_id, "detections": len(rows), "created": len(new_cases),
                                                           "duplicates": duplicates, "outside": len(rows) - len(inside),
                                                           "case_numbers": numbers, "reports_added_to": sorted(dup_existing)})
    per_grid: dict[int, int] = {}
    for case in new_cases:
        per_grid[case.grid_id] = per_grid.get(case.grid_id, 0) + 1
    from django.contrib.auth import get_user_model

    # One notification per grid worker for the whole flight, counting the cases in their grids.
    Through = policy_person_grids()
    per_user: dict[int, int] = {}
    for grid_id, user_id in (Through.objects.filter(grid_id__in=list(per_grid), person__active=True, person__user__isnull=False,
                                                    person__roles__code__in=list(workflow.GRID_WORKERS))
                             .values_list("grid_id", "person__user_id").distinct()):
        per_user[user_id] = per_user.get(user_id, 0) + per_grid[grid_id]
    users = get_user_model().objects.in_bulk(list(per_user))
    for user_id, n in per_user.items():
        notify.notify([users[user_id]], f"无人机巡查 {flight_id}：您负责的网格有 {n} 件待现场核实", url="/cases/inbox/", dedup_key=f"drone:{flight_id}")
    return DroneImportResult(flight_id, False, len(rows), len(new_cases), duplicates, len(rows) - len(inside), sorted(numbers))


# ---------------------------------------------------------------- 12345 hotline


HOTLINE_COLUMNS = {"工单编号": "external_id", "受理时间": "occurred_at", "诉求内容": "description", "地址": "address", "经度": "lng", "纬度": "lat",
                   "小类代码": "category_code"}
HOTLINE_OPTIONAL = {"坐标系": "crs", "类型": "category_kind", "来电人": "reporter_name", "联系电话": "reporter_phone"}


@dataclass
class HotlineReport:
    rows: int = 0
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "created": self.created, "skipped": self.skipped, "errors": self.errors}


def _read_table(data: bytes, filename: str) -> list[dict[str, str]]:
    import csv

    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise Invalid(f"无法读取 Excel 文件：{exc}", code="bad_table") from None
        it = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, [])]
        out = []
        for values in it:
            row = {}
            for h, v in zip(header, values):
                if isinstance(v, dt.datetime):
                    v = (v if v.tzinfo else v.replace(tzinfo=SHANGHAI)).isoformat()
                row[h] = "" if v is None else str(v)
            out.append(row)
        return out
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("文件编码无法识别（请使用 UTF-8 或 GB18030）", code="bad_encoding")
    return list(csv.DictReader(io.StringIO(text)))


def import_hotline(user: Any, data: bytes, filename: str = "") -> HotlineReport:
    """12345 work orders (Excel/CSV) → cases from the hotline source. Any row error: nothing imported.

    Work orders already imported (same 工单编号) are skipped, so a file can be imported again.
    """
    if user is not None:
        policy.require_role(user, {R.OPS_ACCEPTOR, R.OPS_SHIFT_LEADER, R.SYSADMIN}, "只有受理员或值班长可以导入 12345 工单")
    rows = _read_table(data, filename)
    rep = HotlineReport(rows=len(rows))
    if rows:
        missing = [c for c in HOTLINE_COLUMNS if c not in rows[0]]
        if missing:
            raise Invalid(f"缺少列：{'、'.join(missing)}", code="bad_table", detail={"missing": missing})
    categories = {(c.kind, c.code): c for c in Category.objects.filter(active=True)}
    parsed = []
    for n, raw in enumerate(rows, start=2):
        row = {HOTLINE_COLUMNS.get(k) or HOTLINE_OPTIONAL.get(k) or k: (v or "").strip() for k, v in raw.items() if k}
        errs = []
        for col, key in HOTLINE_COLUMNS.items():
            if key not in ("address",) and not row.get(key):
                errs.append(f"“{col}”不能为空")
        kind = standard.KIND_BY_NAME.get(row.get("category_kind") or "事件")
        if row.get("category_code") and (kind, row["category_code"].zfill(4)) not in categories:
            errs.append(f"“小类代码”不存在：{row.get('category_kind') or '事件'} {row['category_code']}")
        when = None
        if row.get("occurred_at"):
            try:
                when = dt.datetime.fromisoformat(row["occurred_at"].replace("/", "-"))
                if when.tzinfo is None:
                    when = when.replace(tzinfo=SHANGHAI)  # the hotline's exports are in Beijing time
            except ValueError:
                errs.append(f"“受理时间”格式有误：{row['occurred_at']}")
        lng = lat = None
        try:
            lng, lat = float(row.get("lng")), float(row.get("lat"))
        except (TypeError, ValueError):
            if row.get("lng") and row.get("lat"):
                errs.append("“经度/纬度”应为数字")
        crs = (row.get("crs") or "wgs84").lower()
        if lng is not None and not errs:
            try:
                geo.locate(lng, lat, crs)
            except (geo.OutsideDistrict, Invalid) as exc:
                errs.append(f"“经度/纬度”：{exc.message}")
        if errs:
            rep.errors.extend(f"第 {n} 行：{e}" for e in errs)
            continue
        parsed.append((n, row, kind, when, lng, lat, crs))
    if rep.errors:
        return rep
    with transaction.atomic():
        for n, row, kind, when, lng, lat, crs in parsed:
            if Case.objects.filter(source="hotline", external_id=row["external_id"]).exists():
                rep.skipped.append(row["external_id"])
                continue
            case = report(user, source="hotline", category_code=row["category_code"].zfill(4), category_kind=kind, lng=lng, lat=lat, crs=crs,
                          description=row["description"], address=row.get("address", ""), reporter_name=row.get("reporter_name", ""),
                          reporter_phone=row.get("reporter_phone", ""), external_id=row["external_id"], occurred_at=when)
            rep.created.append(case.number)
        audit.action(None, "import_hotline", otype="cases.case", object_repr=filename or "12345", after={"created": len(rep.created), "skipped": len(rep.skipped)})
    return rep
