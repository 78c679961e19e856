"""The public disclosure (公示公开): what any visitor may see without signing in.

Only projects in publicity or past it (workflow.PUBLIC_STATES), and of them only the fields the
publicity notice carries — village, project, amount, support model, expected return, period,
the publicity dates, money paid and the returns reported — never a person: no applicant,
reviewer, objector, phone or voucher.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from . import rules
from . import workflow as wf
from .models import Project


def public_projects(year: int | None = None):
    qs = Project.objects.filter(state__in=wf.PUBLIC_STATES).select_related("village", "village__community__street", "batch")
    if year:
        qs = qs.filter(batch__year=year)
    return qs.annotate(paid=Sum("payments__amount_wan")).order_by("-publicity_start", "code")


def public_rows(year: int | None = None) -> list[dict[str, Any]]:
    out = []
    for p in public_projects(year):
        out.append({
            "code": p.code, "village": p.village.name, "street": p.village.community.street.name, "organisation": p.village.organisation,
            "project": p.name, "batch": p.batch.name, "year": p.batch.year, "model": str(rules.SUPPORT_MODELS[p.model]),
            "amount_wan": float(p.amount_wan), "self_funds_wan": float(p.self_funds_wan),
            "expected_return_wan": float(p.expected_return_wan), "period_start": p.period_start, "period_end": p.period_end,
            "state": p.state, "state_label": str(wf.STATES[p.state]),
            "publicity_start": p.publicity_start, "publicity_end": p.publicity_end,
            "paid_wan": float(p.paid or Decimal("0")),
        })
    return out
