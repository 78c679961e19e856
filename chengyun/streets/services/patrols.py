"""Patrols (巡街): a GPS track from the phone page or a GPX file, cleaned (dropped points are
reported and kept with the patrol, never silently lost), its coverage of the segments, and
problems reported on the way filed as cases with the reporter's role."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Sequence

from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.geo import services as geo
from chengyun.geo import tracks
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.models import Person
from chengyun.roads.models import RoadSegment

from .. import coverage as cov
from ..models import Patrol, PatrolCoverage, PatrolFinding, PatrolRule
from .common import OPS, STREET_STAFF, aware, case_source, clean_text, person_of, setting

# Walking or cycling along the streets; a jump faster than this is a GPS glitch.
DEFAULT_MAX_SPEED_MPS = 8.0
DEFAULT_BUFFER_M = 25.0  # a walker on either pavement of a 40 m arterial is within 25 m of the centre line

FINDING_CATEGORY = {
    PatrolFinding.Kind.BUILDING: "0101", PatrolFinding.Kind.OCCUPY: "0406", PatrolFinding.Kind.PARKING: "0410",
    PatrolFinding.Kind.ADS: "0104", PatrolFinding.Kind.ROAD: "0113", PatrolFinding.Kind.PILING: "0136",
    PatrolFinding.Kind.FACADE: "0104", PatrolFinding.Kind.NIGHT: "0405",
}


def max_speed() -> float:
    return float(setting("STREETS_MAX_SPEED_MPS", DEFAULT_MAX_SPEED_MPS))


def buffer_m() -> float:
    return float(setting("STREETS_PATROL_BUFFER_M", DEFAULT_BUFFER_M))


def _patroller(user: Any, patroller: Person | None) -> Person:
    me = person_of(user)
    if patroller is None:
        if me is None:
            raise Forbidden("只有登记在册的人员可以巡街", code="not_a_person")
        return me
    if user is not None and (me is None or me.pk != patroller.pk):
        policy.require_role(user, OPS, "只能记录自己的巡街")
    return patroller


def _kind_for(person: Person, kind: str | None) -> str:
    if kind is None:
        return PatrolRule.Kind.LEADER if R.STREET_CHIEF in person.role_codes else PatrolRule.Kind.TEAM
    if kind not in PatrolRule.Kind.values:
        raise Invalid(f"巡查类型 {kind!r} 无效（可用：leader、team）", code="bad_kind", detail={"field": "kind"})
    if kind == PatrolRule.Kind.LEADER and R.STREET_CHIEF not in person.role_codes:
        raise Invalid(f"{person.name} 不是街长，不能记作街长巡街", code="not_street_chief", detail={"field": "kind"})
    return kind


def start(user: Any, *, patroller: Person | None = None, kind: str | None = None, started_at: dt.datetime | None = None) -> Patrol:
    """Start a patrol: the street's staff walk their own; the ops center may enter one for them."""
    if user is not None:
        policy.require_role(user, STREET_STAFF | OPS, "只有街长、网格员、监督员和处置队伍可以巡街")
    person = _patroller(user, patroller)
    kind = _kind_for(person, kind)
    if Patrol.objects.filter(patroller=person, status=Patrol.Status.ONGOING).exists():
        raise Conflict("您有一次巡街尚未结束，请先结束它", code="patrol_ongoing")
    street = person.streets.first() or person.unit.streets.first()
    with transaction.atomic():
        patrol = Patrol.objects.create(kind=kind, patroller=person, team=person.unit if kind == PatrolRule.Kind.TEAM else None,
                                       street=street, started_at=aware(started_at, "started_at") or timezone.now())
        audit.created(patrol)
    return patrol


def parse_points(raw: Sequence[Any]) -> list[tracks.TrackPoint]:
    """[{"t": iso, "lng": x, "lat": y}] or [[lng, lat, iso]] from the phone page or the API."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise Invalid("轨迹为空", code="empty_track", detail={"field": "points"})
    points = []
    for n, item in enumerate(raw, start=1):
        try:
            if isinstance(item, dict):
                lng, lat, t = float(item["lng"]), float(item["lat"]), item["t"]
            else:
                lng, lat, t = float(item[0]), float(item[1]), item[2]
            when = dt.datetime.fromisoformat(str(t).replace("Z", "+00:00"))
        except (KeyError, IndexError, TypeError, ValueError):
            raise Invalid(f"第 {n} 个轨迹点无法识别（应含经度、纬度和时间）", code="bad_point", detail={"field": "points", "index": n - 1}) from None
        if when.tzinfo is None:
            raise Invalid(f"第 {n} 个轨迹点的时间缺少时区", code="naive_datetime", detail={"field": "points", "index": n - 1})
        points.append(tracks.TrackPoint(when, lng, lat))
    return points


def _dropped_report(cleaned: tracks.CleanTrack) -> list[dict]:
    return [{"index": d.index, "t": d.point.t.isoformat(), "lng": d.point.lng, "lat": d.point.lat, "reason": d.reason,
             "reason_label": tracks.DROP_REASONS[d.reason], "speed_mps": round(d.speed_mps, 1) if d.speed_mps not in (None, float("inf")) else None}
            for d in cleaned.dropped]


def finish(user: Any, patrol: Patrol, *, points: Sequence[tracks.TrackPoint], ended_at: dt.datetime | None = None, note: str = "",
           source: str = "phone") -> Patrol:
    """End a patrol with its track. Out-of-order points and impossible jumps are dropped and
    listed in ``patrol.dropped``; fewer than two good points is refused (nothing stored)."""
    if user is not None:
        policy.require_write(user, patrol, "只能结束自己的巡街")
    if patrol.status != Patrol.Status.ONGOING:
        raise Conflict("该巡街已结束", code="bad_transition")
    cleaned = tracks.clean(points, max_speed())
    if len(cleaned.points) < 2:
        raise Invalid(f"清洗后有效轨迹点不足 2 个（收到 {len(points)} 个，剔除 {len(cleaned.dropped)} 个），未保存", code="track_too_short",
                      detail={"field": "points", "dropped": _dropped_report(cleaned)})
    ended_at = aware(ended_at, "ended_at") or cleaned.points[-1].t
    first = cleaned.points[0]
    with transaction.atomic():
        before = audit.snapshot(patrol)
        patrol.track = json.dumps({"type": "LineString", "coordinates": [[round(p.lng, 7), round(p.lat, 7)] for p in cleaned.points]}, separators=(",", ":"))
        patrol.track_times = [p.t.isoformat() for p in cleaned.points]
        patrol.distance_m = round(tracks.length_m(cleaned.points), 1)
        patrol.points_received = len(points)
        patrol.dropped = _dropped_report(cleaned)
        patrol.started_at = min(patrol.started_at, first.t)
        patrol.ended_at = max(ended_at, cleaned.points[-1].t)
        patrol.note, patrol.source, patrol.status = note[:200], source, Patrol.Status.FINISHED
        try:
            patrol.street_id = geo.locate(first.lng, first.lat).grid.street_id
        except Exception:  # noqa: BLE001 — a track starting outside the district keeps the patroller's street
            pass
        patrol.save()
        _store_coverage(patrol)
        audit.action(patrol, "finish", before=before, after={"distance_m": patrol.distance_m, "dropped": len(patrol.dropped)})
    return patrol


def record(user: Any, *, points: Sequence[tracks.TrackPoint], patroller: Person | None = None, kind: str | None = None,
           source: str = "gpx", note: str = "") -> Patrol:
    """A patrol walked without the phone page (a GPX file): started and finished at once."""
    if not points:
        raise Invalid("轨迹为空", code="empty_track", detail={"field": "points"})
    ordered = sorted(p.t for p in points)
    with transaction.atomic():
        patrol = start(user, patroller=patroller, kind=kind, started_at=ordered[0])
        return finish(user, patrol, points=points, ended_at=ordered[-1], source=source, note=note)


_segment_cache: dict[str, Any] = {"key": None, "rows": []}


def _segment_rows() -> list[tuple[int, list, tuple]]:
    """(id, coordinates, bounds) of every segment, read once per change of the segment table
    (a demo's three months of patrols would otherwise parse every segment's GeoJSON per patrol)."""
    from django.db.models import Count, Max

    key = tuple(RoadSegment.objects.aggregate(n=Count("id"), m=Max("id")).values())
    if _segment_cache["key"] != key:
        rows = []
        for s in RoadSegment.objects.only("id", "geometry"):
            line = s.shape
            coords = list(line.coords) if line.geom_type == "LineString" else [c for part in line.geoms for c in part.coords]
            rows.append((s.id, coords, line.bounds))
        _segment_cache.update(key=key, rows=rows)
    return _segment_cache["rows"]


def _store_coverage(patrol: Patrol) -> None:
    track = json.loads(patrol.track)["coordinates"]
    xs, ys = [p[0] for p in track], [p[1] for p in track]
    pad = 0.002
    lo_x, hi_x, lo_y, hi_y = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    candidates = {sid: coords for sid, coords, (minx, miny, maxx, maxy) in _segment_rows()
                  if not (maxx < lo_x or minx > hi_x or maxy < lo_y or miny > hi_y)}
    found = cov.patrol_coverage(track, candidates, buffer_m())
    rows = []
    for seg_id, intervals in found.items():
        length = cov.segment_length_m(candidates[seg_id]) or 1.0
        covered = cov.total(intervals)
        rows.append(PatrolCoverage(patrol=patrol, segment_id=seg_id, covered_m=round(covered, 1), share=round(min(1.0, covered / length), 4),
                                   intervals=intervals))
    PatrolCoverage.objects.filter(patrol=patrol).delete()
    PatrolCoverage.objects.bulk_create(rows)


def report_finding(user: Any, patrol: Patrol, *, kind: str, description: str, lng: float, lat: float,
                   found_at: dt.datetime | None = None, extra: dict | None = None) -> PatrolFinding:
    """A problem seen on the way, filed as a case at once under the reporter's role."""
    if user is not None:
        policy.require_write(user, patrol, "只能在自己的巡街中上报问题")
    if patrol.status != Patrol.Status.ONGOING and user is not None:
        raise Conflict("该巡街已结束，不能再上报问题", code="patrol_not_ongoing")
    if kind not in PatrolFinding.Kind.values:
        raise Invalid(f"问题类型 {kind!r} 无效", code="bad_kind", detail={"field": "kind"})
    description = clean_text(description, "description")
    location = geo.locate(lng, lat)
    found_at = aware(found_at, "found_at") or timezone.now()
    from chengyun.cases import services as cases

    source, as_person = case_source(patrol.patroller)
    reporter = user if as_person and user is not None and person_of(user) == patrol.patroller else None
    with transaction.atomic():
        finding = PatrolFinding.objects.create(patrol=patrol, kind=kind, description=description, lng=location.lng, lat=location.lat, found_at=found_at)
        case = cases.report(reporter, source=source, category_code=FINDING_CATEGORY[kind], lng=location.lng, lat=location.lat,
                            description=f"【巡街发现】{finding.get_kind_display()}：{description}", reporter_name=patrol.patroller.name,
                            reporter_phone=patrol.patroller.phone, external_id=f"streets.finding:{finding.pk}", occurred_at=found_at,
                            extra={"patrol": patrol.pk, **(extra or {})})
        finding.case_id, finding.case_number = case.pk, str(case.number)
        finding.save(update_fields=["case_id", "case_number"])
        audit.created(finding)
    return finding
