"""From a resident's report to the company's grade: a closed complaint case becomes a bad record.

Cases calls ``on_case_transition`` for every move (registered from PropertyConfig.ready(); cases
does not know property). A case counts when it is closed (结案: its handling was checked on site,
so the complaint was real), came from a resident (the scheme's sources: 公众上报, 12345 热线), is
of an event class the scheme lists, and lies inside a compound a company manages. It then
becomes one bad record under the scheme's complaint item, issued by the unit that handled the
case (or the property office), with the case as its evidence; one record per case.
"""
from __future__ import annotations

from typing import Any

from django.utils import timezone
from shapely.geometry import Point

from ..models import CreditRecord, Management
from .scoring import active_scheme, add_record

CASE_CLOSED = "closed"  # cases.workflow.CLOSED; property reads the state it is told about


def compound_at(community_id: int, lng: float, lat: float):
    """The compound of the community whose outline contains the point, or None."""
    from chengyun.geo.models import Compound

    p = Point(lng, lat)
    for c in Compound.objects.filter(community_id=community_id, active=True).exclude(geometry=""):
        if c.shape is not None and c.shape.covers(p):
            return c
    return None


def counts(case: Any, scheme: Any) -> bool:
    from chengyun.cases.models import Category

    return (case.status == CASE_CLOSED and scheme.complaint_item_id is not None
            and case.category.kind == Category.Kind.EVENT and case.category.code in set(scheme.complaint_categories)
            and case.source in set(scheme.complaint_sources))


def on_case_transition(case: Any, action: str, from_status: str) -> CreditRecord | None:
    scheme = active_scheme()
    if not counts(case, scheme) or CreditRecord.objects.filter(case=case).exists():
        return None
    compound = compound_at(case.community_id, case.lng, case.lat)
    if compound is None:
        return None
    mgmt = Management.objects.filter(compound=compound, company__isnull=False).select_related("company").first()
    if mgmt is None:
        return None
    evidence = f"案件 {case.number}（{case.get_source_display()}，{case.category.name}）经核查属实并结案：{case.description[:300]}"
    return add_record(None, mgmt.company, item=scheme.complaint_item, evidence=evidence, issued_on=timezone.localdate(case.closed_at) if case.closed_at else None,
                      issued_by=case.unit, compound=compound, case=case)
