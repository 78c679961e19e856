"""Road segments along the demo district's lattice roads, and a GPR hazard survey in progress."""
from __future__ import annotations

import datetime as dt

from chengyun.demo.context import DemoContext
from chengyun.drainage.demo import lattice_roads
from chengyun.geo.importers import RawFeature

TRAFFIC = {"arterial": ("heavy", "heavy", "extra_heavy"), "secondary": ("medium", "medium", "heavy"), "branch": ("light", "light", "medium")}
WIDTH = {"arterial": 40.0, "secondary": 24.0, "branch": 14.0}


def generate(ctx: DemoContext) -> None:
    from chengyun.geo.models import Unit

    from . import services
    from .models import RoadSegment

    if RoadSegment.objects.exists():
        ctx.log("道路：已存在，跳过")
        return
    rng = ctx.rng("roads")
    pts, edges = lattice_roads(ctx)
    features = []
    for n, e in enumerate(edges, start=1):
        (i0, j0), (i1, j1) = e.a, e.b
        features.append(RawFeature(n, {"code": f"RD{e.key.replace('-', '')}", "name": e.name, "class": e.road_class,
                                       "traffic": rng.choice(TRAFFIC[e.road_class]), "width_m": WIDTH[e.road_class]},
                                   {"type": "LineString", "coordinates": [list(pts[i0][j0]), list(pts[i1][j1])]}))
    report = services.import_segments(features, owner_code="D05")
    if not report.ok:
        raise RuntimeError("；".join(report.errors[:10]))

    today = dt.date.today()
    unit = Unit.objects.filter(code="C04").first()
    survey = services.create_survey(None, code=f"GPR-{today.year}", name=f"{today.year}年全区道路隐患排查（探地雷达）",
                                    started_on=today - dt.timedelta(days=75), deadline=today + dt.timedelta(days=45), unit=unit)
    segs = list(RoadSegment.objects.order_by("code"))
    # Arterials first, then the rest; a little over half surveyed so far, day by day.
    order = sorted(segs, key=lambda s: (s.road_class != "arterial", rng.random()))
    done = order[: int(len(order) * 0.56)]
    per_day = max(1, len(done) // 70)
    operators = ["物探一组", "物探二组", "物探三组"]
    for k in range(0, len(done), per_day):
        day = survey.started_on + dt.timedelta(days=min(k // per_day, 73))
        services.record_surveyed(None, survey, [s.code for s in done[k:k + per_day]], surveyed_on=day, operator=rng.choice(operators))
    kinds = ("cavity", "void", "loose")
    findings = 0
    for s in rng.sample(done, 42):
        line = s.shape
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            p = line.interpolate(rng.uniform(0.1, 0.9), normalized=True)
            kind = rng.choices(kinds, weights=(3, 3, 4))[0]
            f = services.add_finding(None, survey, segment_code=s.code, kind=kind, depth_m=round(rng.uniform(0.3, 2.5), 2),
                                     length_m=round(rng.uniform(0.5, 4.0), 1), width_m=round(rng.uniform(0.5, 3.0), 1),
                                     height_m=round(rng.uniform(0.1, 1.2), 2), lng=p.x, lat=p.y,
                                     found_on=survey.started_on + dt.timedelta(days=rng.randint(0, 70)))
            findings += 1
            if rng.random() < 0.2:
                services.treat_finding(None, f, note="已注浆回填")
    ctx.log(f"道路：{len(segs)} 个路段；隐患排查已完成 {len(done)} 段，发现隐患 {findings} 处")
