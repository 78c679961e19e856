"""20 sweeping vehicles with a month of tracks, the sweeping plan, inspections and 环卫示范街.

Each vehicle works its street's planned segments in two shifts (05:00 and 14:00), choosing at
every crossing the adjacent segment of its street that is furthest behind its plan; points
every 10 s at sweeping speed with a few metres of receiver noise. A few days a vehicle is in the
workshop, and now and then a receiver jumps: those points go through the same cleaning as an
import and are reported on the track. Tracks are generated as arrays and stored compactly.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict

import numpy as np

from chengyun.demo.context import DemoContext

DAYS = 30
INSPECTIONS = 60
VEHICLES = 20
STEP_S = 10  # the demo stores 1 point / 10 s (the benchmark runs 1 / 5 s)
SHIFTS = ((5, 0, 150), (14, 0, 60))  # start hour, minute, minutes of work
SPEED_MPS = 3.0  # about 11 km/h: a wash-sweeper at work

SHEET = (("surface", "路面保洁（路见本色、无积尘积水）", 25), ("mechanized", "机械化作业（遍数、时段）", 15),
         ("bins", "果皮箱与垃圾收集", 15), ("frontage", "门前三包落实", 15), ("order", "无乱堆乱放、占道经营", 15),
         ("facilities", "公厕与环卫设施", 15))


def _graph(segments):
    """Crossings keyed by rounded coordinates; per crossing the (segment, other end) pairs."""
    adj = defaultdict(list)
    ends = {}
    for seg in segments:
        coords = json.loads(seg.geometry)["coordinates"]
        a, b = tuple(round(c, 6) for c in coords[0]), tuple(round(c, 6) for c in coords[-1])
        ends[seg.id] = (a, b, coords)
        adj[a].append((seg.id, b))
        adj[b].append((seg.id, a))
    return adj, ends


def _walk(rng, start, adj, ends, mine, plan, seconds, t0, noise_m):
    """Points of one shift: (t, lng, lat) arrays; `plan` counts what is still owed per segment."""
    kx = 111_320.0 * math.cos(math.radians(start[1]))
    legs = []  # (x0, y0, x1, y1, points on the leg)
    node, spent = start, 0.0
    while spent < seconds:
        options = adj[node]
        choices = [o for o in options if o[0] in mine] or options
        best = max(plan.get(s, 0) for s, _ in choices)
        seg, other = rng.choice([o for o in choices if plan.get(o[0], 0) == best])
        a, _b, coords = ends[seg]
        (x0, y0), (x1, y1) = (coords[0], coords[-1]) if node == a else (coords[-1], coords[0])
        n = max(1, int(math.hypot((x1 - x0) * kx, (y1 - y0) * 110_950.0) / (SPEED_MPS * STEP_S)))
        legs.append((x0, y0, x1, y1, n))
        spent += n * STEP_S
        if seg in plan:
            plan[seg] -= 1
        node = other
    leg = np.asarray(legs)
    counts = leg[:, 4].astype(np.int64)
    total = int(counts.sum())
    which = np.repeat(np.arange(len(leg)), counts)
    f = (np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)) / counts[which]
    noise = np.random.default_rng(rng.randrange(2 ** 32))
    x = leg[which, 0] + (leg[which, 2] - leg[which, 0]) * f + noise.normal(0, noise_m, total) / kx
    y = leg[which, 1] + (leg[which, 3] - leg[which, 1]) * f + noise.normal(0, noise_m, total) / 110_950.0
    return t0 + np.arange(total) * float(STEP_S), x, y, node


def generate(ctx: DemoContext) -> None:
    from chengyun.geo.models import Street, Unit
    from chengyun.roads.models import RoadSegment

    from . import services
    from .models import DemoStreet, SweepPlan, Track, Vehicle
    from .trackfile import CHINA

    if Vehicle.objects.exists():
        ctx.log("环卫：已存在，跳过")
        return
    rng = ctx.rng("sanitation")
    streets = list(Street.objects.order_by("code"))
    companies = {u.code: u for u in Unit.objects.filter(code__in=("C01", "C02"))}
    if not streets or len(companies) < 2 or not RoadSegment.objects.exists():
        ctx.log("环卫：缺少街道、环卫作业单位或道路，跳过")
        return
    services.ensure_plans()
    company_of = {s.id: companies["C01"] if k < 3 else companies["C02"] for k, s in enumerate(streets)}
    for sid, unit in company_of.items():
        SweepPlan.objects.filter(street_id=sid).update(unit=unit)
    segments = list(RoadSegment.objects.order_by("id"))
    adj, ends = _graph(segments)
    plans = dict(SweepPlan.objects.values_list("segment_id", "passes_per_day"))
    by_street = defaultdict(set)
    for s in segments:
        by_street[s.street_id].add(s.id)

    kinds = [Vehicle.Kind.WASH_SWEEPER] * 3 + [Vehicle.Kind.SWEEPER]
    vehicles = []
    for k in range(VEHICLES):
        st = streets[k % len(streets)]
        vehicles.append(services.create_vehicle(None, code=f"SV{k + 1:03d}", plate=f"青A·H{k + 1:04d}", unit=company_of[st.id].code,
                                                kind=kinds[k % len(kinds)], street=st.code, feed_password=f"demo-{k + 1:03d}"))
    # Vehicles of one street share its segments: each takes a share of the street's crossings to start from.
    team = defaultdict(list)
    for v in vehicles:
        team[v.street_id].append(v)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    days = [yesterday - dt.timedelta(days=d) for d in range(DAYS - 1, -1, -1)]
    stored = dropped = 0
    for day in days:
        for sid, crew in team.items():
            mine = by_street[sid]
            owed = {s: plans.get(s, 0) for s in mine}
            starts = sorted({ends[s][0] for s in mine})
            for n, v in enumerate(crew):
                if rng.random() < 0.06:  # in the workshop today
                    continue
                node = starts[(n * len(starts)) // len(crew)]
                parts = []
                for hour, minute, minutes in SHIFTS:
                    t0 = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA).timestamp() + rng.randint(0, 600)
                    # Some crews cut the afternoon shift short: the plan is then missed on part of the street.
                    work = minutes * 60 * (rng.uniform(0.3, 0.8) if rng.random() < 0.15 else 1.0)
                    t, x, y, node = _walk(rng, node, adj, ends, mine, owed, work, t0, 3.0)
                    parts.append((t, x, y))
                t = np.concatenate([p[0] for p in parts])
                x = np.concatenate([p[1] for p in parts])
                y = np.concatenate([p[2] for p in parts])
                if rng.random() < 0.05:  # a receiver's jump: a fix kilometres away for one point
                    k = rng.randrange(10, len(t) - 10)
                    x[k] += 0.03
                report = services.import_arrays(None, v, t, x, y, source=Track.Source.DEMO, recompute=False)
                stored += report.stored
                dropped += len(report.dropped)
    for day in days:
        services.recompute_day(day)

    # Quality inspections by the ops center's supervisors, through the month.
    planned = list(SweepPlan.objects.select_related("segment").order_by("segment__code"))
    inspectors = ("王监督", "李监督", "赵监督", "陈监督")
    for k in range(INSPECTIONS):
        p = rng.choice(planned)
        good = rng.random() < 0.8
        services.record_inspection(None, segment=p.segment.code, inspected_on=rng.choice(days), inspector=rng.choice(inspectors),
                                   sensory=round(rng.uniform(88, 99) if good else rng.uniform(70, 90), 1),
                                   litter=round(rng.uniform(0, 8) if good else rng.uniform(6, 25), 1),
                                   stain=round(rng.uniform(0, 0.2) if good else rng.uniform(0, 1.2), 2),
                                   cleanliness=round(rng.uniform(94, 99.5) if good else rng.uniform(84, 96), 1),
                                   dust=round(rng.uniform(3, 18), 1) if rng.random() < 0.4 else None)

    # 环卫示范街: arterial stretches of three or more segments with one name, in their street.
    for code, name, score in SHEET:
        services.set_score_item(None, code=code, name=name, max_score=score, order=SHEET.index((code, name, score)))
    runs = defaultdict(list)
    for s in RoadSegment.objects.filter(road_class="arterial").order_by("code"):
        runs[(s.name, s.street_id)].append(s)
    candidates = [(k, v) for k, v in sorted(runs.items(), key=lambda kv: (kv[0][1] or 0, kv[0][0])) if len(v) >= 2 and k[1] is not None]
    this_month = dt.date.today().replace(day=1)
    made = 0
    for n, ((road, sid), segs) in enumerate(candidates[:8], start=1):
        street = next(s for s in streets if s.id == sid)
        since = (this_month - dt.timedelta(days=30 * rng.randint(8, 14))).replace(day=1)
        ds = services.create_demo_street(None, code=f"SFJ{n:02d}", name=f"{road}示范街", street=street.code, segments=[s.code for s in segs[:4]],
                                         since=since, unit=company_of[sid].code, shops=rng.randint(15, 60))
        month = since
        while month < this_month:
            base = rng.uniform(0.86, 0.97)
            items = {c: round(min(m, m * rng.uniform(base - 0.05, base + 0.04)), 1) for c, _n, m in SHEET}
            services.score_month(None, ds, month=month, items=items, scored_by="城运中心考核组")
            month = (month + dt.timedelta(days=32)).replace(day=1)
        recent = list(ds.scores.order_by("-month")[:3])
        if n == 5:
            services.set_demo_street_status(None, ds, DemoStreet.Status.REVOKED)
        elif len(recent) == 3 and sum(s.passed for s in recent) >= 2:
            services.set_demo_street_status(None, ds, DemoStreet.Status.NAMED)
        made += 1
    ctx.log(f"环卫：{len(vehicles)} 辆机扫车，{DAYS} 天轨迹 {stored} 个点（清洗剔除 {dropped} 个），{len(planned)} 个计划路段，示范街 {made} 条")
