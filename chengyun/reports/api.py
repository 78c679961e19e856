"""/api/v1/reports/: the archive of generated reports."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from django.utils import timezone
from ninja import Query, Router, Schema

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
