"""Filing a report (上报) from any source, and moving a case's location."""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from chengyun.core import audit, notify
from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.geo import services as geo
from chengyun.people import policy
from chengyun.people import roles as R

from .. import privacy, workflow
from ..models import Attachment, Case, CaseCounter, CaseEvent
from . import clocks
from .actors import _actor_name, _person_id, _users_with_roles
from .attachments import _check_upload, _store_attachment, _without_gps
from .catalogue import get_category
from .clocks import SHANGHAI, _start_stage
from .dispatch import suggest_unit
from .duplicates import find_duplicates


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
    now = clocks.current_time()
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
    if source in PUBLIC_SOURCES:
        _notify_acceptors(case)
    return case


# Reports the public files itself (Open311 apps, the mobile page) wait for an acceptor: the desk on duty hears of each.
PUBLIC_SOURCES = frozenset({"public"})


def _notify_acceptors(case: Case) -> None:
    notify.notify(_users_with_roles(workflow.OPS_DESK), f"群众新上报 {case.number}：{case.category.name}", body=case.description[:120],
                  url=case.get_absolute_url(), kind="public_report", dedup_key=f"case:public:{case.pk}")


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
        CaseEvent.objects.create(case=case, at=clocks.current_time(), action="move", from_status=case.status, to_status=case.status, actor=user,
                                 actor_name=_actor_name(user), data={"from": old, "to": {"lng": case.lng, "lat": case.lat, "grid": g.code}})
        audit.updated(case, before, verb="move")
    return case
