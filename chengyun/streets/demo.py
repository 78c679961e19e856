"""The demo district's street chiefs and night economy: every road segment under a chief and a
team, three months of leader and team patrols (some chiefs behind their rule, a few tracks with
GPS glitches that the cleaning drops), two business districts and a tourist street with their
policies, about eighty outdoor-dining permits and the violations found on evening patrols."""
from __future__ import annotations

import datetime as dt
import math

from chengyun.demo.context import DemoContext

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WEEKS = 13
WALK_MPS = 1.3
STEP_M = 25.0


class _Frame:
    def __init__(self, lat0: float):
        self.kx, self.ky = 111_320.0 * math.cos(math.radians(lat0)), 111_320.0

    def xy(self, p):
        return (p[0] * self.kx, p[1] * self.ky)

    def ll(self, x, y):
        return (round(x / self.kx, 7), round(y / self.ky, 7))


def _walk(coords, start: dt.datetime, rng, share: float = 1.0):
    """Points every ~25 m along a polyline at walking pace with a few metres of GPS noise."""
    from chengyun.geo.tracks import TrackPoint

    f = _Frame(coords[0][1])
    xy = [f.xy(c) for c in coords]
    total = sum(math.dist(a, b) for a, b in zip(xy, xy[1:]))
    limit = total * share
    points, t, walked = [], start, 0.0
    for a, b in zip(xy, xy[1:]):
        seg = math.dist(a, b)
        n = max(1, int(seg // STEP_M))
        for k in range(n):
            if walked > limit:
                return points, t
            x = a[0] + (b[0] - a[0]) * k / n + rng.uniform(-3, 3)
            y = a[1] + (b[1] - a[1]) * k / n + rng.uniform(-3, 3)
            points.append(TrackPoint(t, *f.ll(x, y)))
            step = seg / n
            walked += step
            t += dt.timedelta(seconds=step / WALK_MPS)
    points.append(TrackPoint(t, *coords[-1][:2]))
    return points, t


def _route(segments, start: dt.datetime, rng, partial: frozenset = frozenset()):
    """A continuous walk over several segments (straight across between them, as people do)."""
    points, t = [], start
    for s in segments:
        coords = list(s.shape.coords)
        if points:
            gap, t = _walk([(points[-1].lng, points[-1].lat), coords[0]], t + dt.timedelta(seconds=5), rng)
            points += gap[1:]
            t += dt.timedelta(seconds=5)  # the next stretch's first fix comes after the last one
        walked, t = _walk(coords, t, rng, 0.4 if s.id in partial else 1.0)
        points += walked
    return points


def _glitch(points, rng):
    """What phones do: a stale fix far away, or a point delivered late (out of order)."""
    from chengyun.geo.tracks import TrackPoint

    if len(points) < 10:
        return points
    k = rng.randint(3, len(points) - 3)
    p = points[k]
    if rng.random() < 0.5:
        points.insert(k + 1, TrackPoint(p.t + dt.timedelta(seconds=2), p.lng + 0.006, p.lat + 0.004))
    else:
        points.insert(k + 2, TrackPoint(p.t - dt.timedelta(seconds=30), p.lng, p.lat))
    return points


def _snake(segments):
    """Order segments so a walk over them is short: by row, alternating direction."""
    def key(s):
        c = s.shape.centroid
        row = int(c.y * 1000)
        return (row, c.x if row % 2 == 0 else -c.x)
    return sorted(segments, key=key)


def generate(ctx: DemoContext) -> None:
    from chengyun.geo.models import Unit
    from chengyun.people import roles as R
    from chengyun.people.models import Person
    from chengyun.roads.models import RoadSegment

    from .models import SegmentAssignment
    from .services import compliance, patrols, segments

    if SegmentAssignment.objects.exists():
        ctx.log("街长制：已存在，跳过")
        return
    rng = ctx.rng("streets")
    today = dt.date.today()
    compliance.set_rule(None, kind="leader", period="week", min_patrols=1, min_share=0.5, effective_from=today - dt.timedelta(days=365))
    compliance.set_rule(None, kind="team", period="week", min_patrols=1, min_share=0.5, effective_from=today - dt.timedelta(days=365))
    # The team rule was tightened six weeks ago: weeks before it are judged by the old rule.
    compliance.set_rule(None, kind="team", period="week", min_patrols=2, min_share=0.5, effective_from=today - dt.timedelta(days=42))

    offices = {u.code: u for u in Unit.objects.filter(kind=Unit.Kind.STREET_OFFICE)}
    office_of_street = {s_id: u for u in offices.values() for s_id in u.streets.values_list("id", flat=True)}
    all_segments = list(RoadSegment.objects.order_by("code"))
    fallback_street = next((s.street_id for s in all_segments if s.street_id), None)
    by_street: dict[int, list] = {}
    for s in all_segments:
        by_street.setdefault(s.street_id or fallback_street, []).append(s)
    start_day = today - dt.timedelta(days=7 * WEEKS + 7)
    chief_segments: dict[int, list] = {}
    behind: set[int] = set()
    teams: dict[int, tuple] = {}
    for street_id, segs in sorted(by_street.items()):
        office = office_of_street.get(street_id)
        chiefs = list(Person.objects.filter(unit=office, roles__code=R.STREET_CHIEF, active=True).order_by("id")) if office else []
        if not chiefs:
            chiefs = list(Person.objects.filter(roles__code=R.STREET_CHIEF, active=True).order_by("id")[:1])
        # The street office's director (the street's own leader) takes the arterials; the other chiefs share the rest.
        directors = [c for c in chiefs if R.RIVER_CHIEF in c.role_codes]
        others = [c for c in chiefs if c not in directors] or chiefs
        ordered = _snake(segs)
        for k, s in enumerate(ordered):
            chief = directors[0] if directors and s.road_class == "arterial" else others[k * len(others) // len(ordered)]
            if rng.random() < 0.04 and len(others) > 1:
                # A segment handed over two months ago: its history shows the chief before.
                earlier = others[(others.index(chief) + 1) % len(others)] if chief in others else others[0]
                segments.assign(None, s, chief=earlier, team=office, valid_from=start_day - dt.timedelta(days=120), note="原责任人")
                segments.assign(None, s, chief=chief, team=office, valid_from=today - dt.timedelta(days=60), note="片区调整")
            else:
                segments.assign(None, s, chief=chief, team=office, valid_from=start_day)
            chief_segments.setdefault(chief.pk, []).append(s)
        # Some chiefs fall behind their rule (one in each street).
        if len(others) > 3:
            behind.add(others[3].pk)
        if office is not None:
            workers = list(Person.objects.filter(unit=office, roles__code=R.COMMUNITY_GRID_WORKER, active=True).order_by("id"))
            teams[street_id] = (office, workers, ordered)
    people = {p.pk: p for p in Person.objects.filter(pk__in=chief_segments)}
    made = dropped = findings = 0
    monday = today - dt.timedelta(days=today.weekday())
    kinds = ["building", "occupy", "parking", "ads", "road", "piling", "facade"]
    for w in range(WEEKS, -1, -1):
        week = monday - dt.timedelta(weeks=w)
        for chief_id, segs in sorted(chief_segments.items()):
            if chief_id in behind and rng.random() < 0.55:
                continue
            day = week + dt.timedelta(days=rng.randint(0, 4))
            if day >= today:
                continue
            start = dt.datetime.combine(day, dt.time(rng.randint(8, 14), rng.randint(0, 59)), tzinfo=SHANGHAI)
            partial = frozenset(s.id for s in segs if rng.random() < 0.15)
            points = _route(_snake(segs), start, rng, partial)
            if rng.random() < 0.06:
                points = _glitch(points, rng)
            p = patrols.record(None, points=points, patroller=people[chief_id], kind="leader", source="phone")
            made += 1
            dropped += len(p.dropped)
            if rng.random() < 0.12:
                q = points[rng.randint(0, len(points) - 1)]
                patrols.report_finding(None, p, kind=rng.choice(kinds), description="巡街发现，已拍照取证", lng=q.lng, lat=q.lat, found_at=q.t)
                findings += 1
        for street_id, (office, workers, ordered) in sorted(teams.items()):
            if not workers:
                continue
            rounds = 2 if w < 6 else 1
            for r in range(rounds):
                if rng.random() < 0.1:
                    continue  # a round the team missed
                chunk = 30
                for n, k in enumerate(range(0, len(ordered), chunk)):
                    day = week + dt.timedelta(days=min(6, r * 3 + rng.randint(0, 2)))
                    if day >= today:
                        continue
                    start = dt.datetime.combine(day, dt.time(rng.randint(7, 15), rng.randint(0, 59)), tzinfo=SHANGHAI)
                    p = patrols.record(None, points=_route(ordered[k:k + chunk], start, rng), patroller=workers[n % len(workers)], kind="team")
                    made += 1
    ctx.log(f"街长制：{SegmentAssignment.objects.count()} 条路段责任，{made} 次巡街（剔除轨迹点 {dropped} 个），{findings} 件巡街发现立案")
    from .demo_night import generate_night

    generate_night(ctx, rng, today)
