"""/api/v1/reports/: the archive of generated reports."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from django.utils import timezone
from ninja import Query, Router, Schema, Status

from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy

from .models import ReportRun

router = Router(tags=["报告"])


class RunOut(Schema):
    id: int
    kind: str
    period: str
    title: str
    generated_at: dt.datetime
    source: str
    docx_url: Optional[str]
    xlsx_url: Optional[str]
    summary: dict


def run_out(r: ReportRun) -> dict:
    return {"id": r.pk, "kind": r.kind, "period": r.period, "title": r.title, "generated_at": timezone.localtime(r.generated_at),
            "source": r.source, "docx_url": f"/reports/{r.pk}/docx" if r.docx else None,
            "xlsx_url": f"/reports/{r.pk}/xlsx" if r.xlsx else None, "summary": r.summary}


@router.get("/runs", response=Page[RunOut], summary="报告归档")
def runs(request, kind: Optional[str] = None, period: Optional[str] = None, page: PageParams = Query(...)):
    qs = policy.visible(request.user, ReportRun.objects.all())
    if kind:
        qs = qs.filter(kind=kind)
    if period:
        qs = qs.filter(period__startswith=period)
    return paginate(qs, page, run_out)


class ReportKindOut(Schema):
    key: str
    label: str
    options: dict
    schedule: Optional[dict]


class ReportGenerateIn(Schema):
    kind: str
    options: dict = {}


class ReportScheduleIn(Schema):
    frequency: str
    at: str
    day: int = 1
    enabled: bool = True
    recipients: list[str] = []


def _plan_out(p) -> Optional[dict]:
    if p is None:
        return None
    return {"enabled": p.enabled, "frequency": p.frequency, "day": p.day, "at": p.at.strftime("%H:%M"),
            "recipients": list(p.recipients), "last_period": p.last_period}


@router.get("/kinds", response=list[ReportKindOut], summary="报告类型及其定时计划")
def report_kinds(request):
    from . import kinds, schedules

    plans = {p.kind: p for p in schedules.plans()}
    today = timezone.localdate()
    return [{"key": k.key, "label": k.label, "options": k.default_options(today) if k.default_options else {},
             "schedule": _plan_out(plans.get(k.key))} for k in kinds.all_kinds()]


@router.post("/generate", response={201: RunOut}, summary="生成报告（任意期间）")
def generate(request, payload: ReportGenerateIn):
    from . import services

    run, _ = services.generate_for(request.user, payload.kind, {k: str(v) for k, v in payload.options.items()})
    return Status(201, run_out(run))


@router.get("/runs/{run_id}", response=RunOut, summary="归档报告")
def run_detail(request, run_id: int):
    return run_out(policy.get_visible(request.user, ReportRun.objects.all(), pk=run_id))


@router.get("/runs/{run_id}/download", summary="下载归档报告", response={200: None})
def download(request, run_id: int, format: str = "docx"):
    from django.http import FileResponse

    from chengyun.core.errors import NotFound

    run = policy.get_visible(request.user, ReportRun.objects.all(), pk=run_id)
    field = run.docx if format == "docx" else run.xlsx if format == "xlsx" else None
    if not field:
        raise NotFound(f"该报告没有 {format} 文件", code="no_file", detail={"field": "format"})
    return FileResponse(field.open("rb"), as_attachment=True, filename=f"{run.title}.{format}")


@router.put("/kinds/{kind}/schedule", response=ReportKindOut, summary="设置报告定时计划")
def set_schedule(request, kind: str, payload: ReportScheduleIn):
    from . import kinds, schedules

    row = schedules.set_schedule(request.user, kind, frequency=payload.frequency, at=payload.at, day=payload.day,
                                 enabled=payload.enabled, recipients=payload.recipients)
    k = kinds.get(kind)
    return {"key": k.key, "label": k.label, "options": k.default_options(timezone.localdate()) if k.default_options else {},
            "schedule": _plan_out(schedules.plan_for(k, row))}
