"""Archiving generated reports. Every report file the platform issues goes through `archive`."""
from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from chengyun.core import audit, current
from chengyun.core.errors import Invalid
from chengyun.people import policy
from chengyun.people import roles as R

from . import kinds
from .models import ReportRun


def archive(user: Any, *, kind: str, generated: kinds.Generated, params: dict[str, Any] | None = None) -> ReportRun:
    """Store a generated report as a new run of `kind` for its period (user None = a scheduled job)."""
    if not generated.docx and not generated.xlsx:
        raise Invalid("报告没有生成任何文件", code="empty_report")
    safe = f"{kind}-{generated.period}"
    with transaction.atomic():
        run = ReportRun(kind=kind, period=generated.period, title=generated.title[:200], params=params or {},
                        summary=generated.summary or {}, generated_by=user if getattr(user, "is_authenticated", False) else None,
                        source=current.get().source)
        if generated.docx:
            run.docx.save(f"{safe}.docx", ContentFile(generated.docx), save=False)
        if generated.xlsx:
            run.xlsx.save(f"{safe}.xlsx", ContentFile(generated.xlsx), save=False)
        run.save()
        audit.created(run, verb="generate_report")
    return run


def generate(user: Any, key: str, options: dict[str, Any]) -> tuple[ReportRun, kinds.Generated]:
    """Build a report of a registered kind and archive it."""
    kind = kinds.get(key)
    generated = kind.build(options)
    return archive(user, kind=key, generated=generated, params=kind.params(options)), generated


# Who may generate reports on demand and change schedules: the ops centre's desk and the leaders.
GENERATORS = frozenset({R.OPS_SHIFT_LEADER, R.OPS_DISPATCHER, R.DISTRICT_LEADER, R.SYSADMIN})


def generate_for(user: Any, key: str, options: dict[str, Any]) -> tuple[ReportRun, kinds.Generated]:
    """A person asks the report centre for a report of any period: checked, built, archived with their name."""
    policy.require_role(user, GENERATORS, "只有城运中心值班长、调度员和区领导可以生成报告")
    try:
        kinds.get(key)
    except LookupError:
        raise Invalid(f"未知的报告类型：{key}", code="unknown_kind", detail={"field": "kind"}) from None
    return generate(user, key, options)


def latest(kind: str, period: str) -> ReportRun | None:
    return ReportRun.objects.filter(kind=kind, period=period).order_by("-generated_at", "-id").first()
