"""The demo district's 2025 city health check (with 2024 for the year-on-year comparison):
~150 compounds in the platform's register (a third built before 2000, mixed management), the
national basic indicator sets with district targets, values for every community, the layers
(residential parcels, parks, facilities, the road network) and the computed indicators, and the
problem ledger generated from the failing values plus inspected findings."""
from __future__ import annotations

import json
import math

from shapely.geometry import Point, box, mapping

from chengyun.demo.context import DemoContext
from chengyun.geo.importers import RawFeature

STEMS = ("幸福", "和平", "建设", "文化", "民主", "团结", "光明", "新华", "朝阳", "红星", "康乐", "胜利", "昆仑", "湟源", "青年",
         "铁路", "电力", "粮食", "纺织", "水泥", "气象", "园丁", "教师", "医苑", "金桥", "安居", "丽景", "锦绣", "春华", "秋实")
SUFFIXES = ("小区", "家属院", "花园", "新村", "公寓", "苑")
# District targets (区定目标值) for the rate indicators the national list gives no threshold for.
TARGETS = {"IND-COMM-012": 60, "IND-BLOCK-001": 90, "IND-BLOCK-002": 80, "IND-BLOCK-005": 85, "IND-CITY-010": 90,
           "IND-CITY-019": 95, "IND-CITY-021": 60}
CITY_VALUES = {"IND-CITY-001": 2.1, "IND-CITY-002": 0.18, "IND-CITY-003": 6.9, "IND-CITY-004": 12.4, "IND-CITY-009": 0.0,
               "IND-CITY-012": 6, "IND-CITY-018": 72.5}
FACILITIES = {"fire_station": 3, "middle_school": 8, "primary_school": 10, "kindergarten": 12, "elderly_care": 12, "clinic": 12,
              "community_service": 14, "market": 14, "sports": 10, "culture": 8}


def generate(ctx: DemoContext) -> None:
    from chengyun.geo.models import Community, Compound

    from .models import IndicatorSet

    if IndicatorSet.objects.exists():
        ctx.log("城市体检：已存在，跳过")
        return
    if not Community.objects.exists():
        ctx.log("城市体检：没有社区，跳过")
        return
    rng = ctx.rng("renewal")
    if not Compound.objects.exists():
        _compounds(rng)
    sets = _indicator_sets()
    _layers(ctx, rng)
    _values(rng, sets)
    from .services import ledger, measurements

    for year in (2024, 2025):
        measurements.compute(None, year)
    made = ledger.generate_from_measurements(None, 2025)
    findings = _findings(rng)
    _progress(rng)
    from .models import Measurement, Problem

    ctx.log(f"城市体检：小区 {Compound.objects.count()} 个，指标 {sum(s.indicators.count() for s in sets)} 项（2024、2025），"
            f"指标值 {Measurement.objects.count()} 条，问题 {Problem.objects.count()} 个（指标生成 {made['created']}、现场发现 {findings}）")


def _compounds(rng) -> None:
    from chengyun.geo import compounds
    from chengyun.geo.demo import PROPERTY
    from chengyun.geo.models import Community, Compound

    communities = list(Community.objects.order_by("code").prefetch_related("grids"))
    used: set[str] = set()
    n = 0
    for i in range(150):
        comm = communities[i % len(communities)]
        grid = rng.choice(list(comm.grids.all()))
        shape = grid.shape
        minx, miny, maxx, maxy = shape.bounds
        for _ in range(50):
            c = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            half_x, half_y = rng.uniform(0.0003, 0.0006), rng.uniform(0.00025, 0.0005)
            poly = box(c.x - half_x, c.y - half_y, c.x + half_x, c.y + half_y)
            if shape.contains(poly):
                break
        else:
            poly = shape.representative_point().buffer(0.0002, quad_segs=2)
        old = i % 3 == 0
        year = rng.randint(1978, 1999) if old else rng.randint(2001, 2022)
        weights = (20, 25, 20, 35) if old else (75, 10, 10, 5)
        mode = rng.choices(["professional", "community_cleaning", "community_quasi", "none"], weights=weights)[0]
        name = f"{rng.choice(STEMS)}{rng.choice(SUFFIXES)}"
        while name in used:
            name = f"{rng.choice(STEMS)}{rng.choice(('东', '西', '南', '北', '二期', '三期'))}{rng.choice(SUFFIXES)}"
        used.add(name)
        n += 1
        buildings = rng.randint(2, 8) if old else rng.randint(4, 20)
        compounds.create_compound(None, code=f"XQ{comm.code[-6:]}{n:03d}", name=name, community=comm, built_year=year,
                                  buildings=buildings, households=buildings * rng.choice((18, 24, 36, 48, 60)),
                                  floor_area_m2=round(buildings * rng.uniform(1800, 6500), 0), management_mode=mode,
                                  property_company=(f"河湟{rng.choice(PROPERTY)}有限公司" if mode == "professional" else ""),
                                  geometry=json.dumps(mapping(poly)))
    assert Compound.objects.count() == 150


def _indicator_sets():
    from .models import Indicator
    from .services import indicators

    sets = [indicators.load_national_set(None, year) for year in (2024, 2025)]
    for s in sets:
        for code, target in TARGETS.items():
            Indicator.objects.filter(indicator_set=s, code=code).update(target_value=target)
    return sets


def _layers(ctx: DemoContext, rng) -> None:
    from chengyun.drainage.demo import lattice_roads
    from chengyun.geo.models import Compound, Grid

    from .services import layers

    def load(code, name, kind, feats):
        report = layers.import_layer(None, feats, code=code, name=name, kind=kind, year=2025, unit="D10")
        if not report.ok:
            raise RuntimeError("；".join(str(e) for e in report.errors[:5]))

    parcels = [RawFeature(n, {"code": c.code, "name": c.name}, json.loads(c.geometry))
               for n, c in enumerate(Compound.objects.order_by("code"), start=1)]
    load("DEMO-RES", "居住用地（小区范围）", "residential", parcels)
    grids = list(Grid.objects.order_by("code"))
    parks = []
    for n in range(1, 29):
        g = rng.choice(grids)
        c = g.shape.representative_point()
        side = math.sqrt(rng.choice((1500, 2500, 3500, 6000, 9000, 15000, 30000))) / 2
        dx, dy = side / 89_300, side / 110_950
        parks.append(RawFeature(n, {"code": f"GY{n:02d}", "name": f"{rng.choice(STEMS)}{rng.choice(('公园', '游园', '广场', '绿地'))}"},
                                mapping(box(c.x - dx, c.y - dy, c.x + dx, c.y + dy))))
    load("DEMO-PARK", "公园绿化活动场地", "park", parks)
    facilities, n = [], 0
    for kind, count in FACILITIES.items():
        for k in range(count):
            n += 1
            g = rng.choice(grids)
            p = g.shape.representative_point()
            facilities.append(RawFeature(n, {"code": f"SS{n:03d}", "name": f"{kind}-{k + 1}", "kind": kind},
                                         {"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]}))
    load("DEMO-FAC", "公共服务设施", "facility", facilities)
    pts, edges = lattice_roads(ctx)
    roads = [RawFeature(n, {"code": e.key, "name": e.name}, {"type": "LineString", "coordinates": [list(pts[e.a[0]][e.a[1]]), list(pts[e.b[0]][e.b[1]])]})
             for n, e in enumerate(edges, start=1)]
    load("DEMO-ROAD", "道路网", "road", roads)


def _values(rng, sets) -> None:
    """Entered values for every community (2024 a little worse than 2025), district totals."""
    from chengyun.core import audit
    from chengyun.geo.models import Community, District

    from .models import Measurement

    communities = list(Community.objects.order_by("code"))
    district = District.objects.order_by("code").first()
    rows = []
    for s in sets:
        worse = s.year == 2024
        for ind in s.indicators.filter(computed_by=""):
            if ind.dimension == "city":
                if ind.value_kind == "rate":
                    v = round(rng.uniform(70, 99), 1)
                elif ind.value_kind == "count":
                    v = float(rng.choice((0, 0, 0, 1, 2)))
                else:
                    v = CITY_VALUES.get(ind.code, round(rng.uniform(1, 10), 2))
                rows.append(Measurement(indicator=ind, year=s.year, unit_kind="district", unit_code=district.code, value=v, origin="entered"))
                continue
            vals = []
            for c in communities:
                if ind.value_kind == "rate":
                    v = round(min(100.0, rng.uniform(35, 100) - (rng.uniform(0, 8) if worse else 0)), 1)
                elif ind.value_kind == "number":
                    v = round(rng.uniform(0.2, 1.5), 1) if rng.random() < 0.10 else 0.0
                else:
                    v = float(rng.randint(1, 5)) if rng.random() < (0.05 if not worse else 0.07) else 0.0
                vals.append(v)
                rows.append(Measurement(indicator=ind, year=s.year, unit_kind="community", unit_code=c.code, value=v,
                                        community=c, street_id=c.street_id, origin="entered"))
            total = round(sum(vals) / len(vals), 1) if ind.value_kind == "rate" else round(sum(vals), 1)
            rows.append(Measurement(indicator=ind, year=s.year, unit_kind="district", unit_code=district.code, value=total, origin="entered"))
    Measurement.objects.bulk_create(rows, batch_size=2000)
    audit.bulk_created(rows, verb="demo")


def _findings(rng) -> int:
    from chengyun.geo.models import Compound

    from . import checklist
    from .services import ledger

    old = list(Compound.objects.filter(built_year__lt=2000).order_by("code"))
    types = [t for c in checklist.categories() if c["indicator"].startswith(("IND-HOUSE", "IND-COMM")) for t in c["types"]]
    n = 0
    for comp in rng.sample(old, min(30, len(old))):
        ledger.create_finding(None, year=2025, problem_type=rng.choice(types), compound=comp, building=str(rng.randint(1, max(1, comp.buildings))),
                              severity=rng.choice(("minor", "minor", "major", "severe")), description="2025 年体检入户调查发现")
        n += 1
    return n


def _progress(rng) -> None:
    """Some problems under way, some turned into cases — a ledger as it looks mid-year."""
    from . import workflow
    from .models import Problem
    from .services import ledger, problems

    pending = list(Problem.objects.filter(state=workflow.PENDING).order_by("code"))
    for p in rng.sample(pending, min(40, len(pending))):
        problems.transition(None, p, "start", note="责任单位已制定整改方案")
    # Problem types that are also city-management events (案件类别) go to the case system.
    events = {"飞线": "0108", "私拉乱接": "0108", "堆物": "0136", "步行道路面破损": "0113"}
    for p in Problem.objects.filter(origin="finding", state=workflow.PENDING).order_by("code"):
        code = next((c for key, c in events.items() if key in p.problem_type), None)
        if code and p.lng is not None:
            ledger.to_case(None, p, category_code=code)
