"""Who answers for each road segment (街长 + team), with the assignment history."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import shapely
from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.geo import index as geo_index
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.models import Person
from chengyun.roads.models import RoadSegment

from ..models import SegmentAssignment


def crossed_areas(segment: RoadSegment) -> tuple[list[str], list[str]]:
    """(community codes, grid codes) the segment's line crosses."""
    idx = geo_index.get_index()
    if not idx.grids:
        return [], []
    hits = sorted(int(k) for k in idx.tree.query(shapely.from_geojson(segment.geometry), predicate="intersects"))
    grids = [idx.grids[k] for k in hits]
    return sorted({g.community_code for g in grids}), [g.code for g in grids]


def current(segment: RoadSegment) -> SegmentAssignment | None:
    return SegmentAssignment.objects.filter(segment=segment, valid_to__isnull=True).select_related("chief", "team").first()


def assign(user: Any, segment: RoadSegment, *, chief: Person, team: Unit | None = None, valid_from: dt.date | None = None,
           note: str = "") -> SegmentAssignment:
    """Put a segment under a street chief (a leader with the street-chief role) and a team from
    ``valid_from`` on (default today); the assignment before it is closed the day before."""
    street_id = segment.street_id
    if user is not None:
        policy.require_create(user, SegmentAssignment, street_id=street_id, message="只能为本街道的路段指定街长")
    if not chief.active or R.STREET_CHIEF not in chief.role_codes:
        raise Invalid(f"{chief.name} 不是在岗的街长", code="not_street_chief", detail={"field": "chief"})
    valid_from = valid_from or timezone.localdate()
    before = current(segment)
    if before is not None and before.valid_from >= valid_from:
        raise Invalid(f"新的责任须晚于现有责任的起始日期 {before.valid_from}", code="assignment_order", detail={"field": "valid_from"})
    communities, grids = crossed_areas(segment)
    with transaction.atomic():
        if before is not None:
            snap = audit.snapshot(before)
            before.valid_to = valid_from - dt.timedelta(days=1)
            before.save(update_fields=["valid_to"])
            audit.updated(before, snap, verb="close_assignment")
        made = SegmentAssignment.objects.create(segment=segment, chief=chief, team=team, street_id=street_id, communities=communities,
                                                grids=grids, valid_from=valid_from, note=note[:200])
        audit.created(made)
    return made


def segments_of(chief: Person, on: dt.date | None = None):
    """The segments a chief answers for on a day (default: now)."""
    qs = SegmentAssignment.objects.filter(chief=chief)
    if on is None:
        return qs.filter(valid_to__isnull=True)
    return qs.filter(valid_from__lte=on).exclude(valid_to__lt=on)


def segment_feature(segment: RoadSegment, assignment: SegmentAssignment | None, share: float | None = None) -> dict:
    return {"type": "Feature", "geometry": json.loads(segment.geometry), "properties": {
        "code": segment.code, "name": segment.name, "class": segment.get_road_class_display(), "length_m": round(segment.length_m),
        "chief": assignment.chief.name if assignment else "", "team": (assignment.team.short_name or assignment.team.name) if assignment and assignment.team else "",
        "share": share}}
