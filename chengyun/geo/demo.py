"""The demo district's boundaries and units.

A jittered lattice of road intersections (about 200 m apart, like a city's block pattern) is
cut into unit grids; every few lattice lines is a main road, along which streets and
communities are divided. Neighbouring cells share their corner points exactly, so the
tiling has no gaps and no overlaps by construction — the import service still checks it.
"""
from __future__ import annotations

import math

from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union

from chengyun.core import audit
from chengyun.demo.context import DemoContext

from . import services
from .importers import RawFeature
from .models import District, Grid, Street, Unit

DIVISION = "630109"
DISTRICT_NAME = "河湟区"
ORIGIN = (101.752, 36.583)  # south-west corner, lng/lat
CELL_M = 205.0
NX, NY = 24, 18
STREET_COLS = (0, 8, 16, 24)
STREET_ROWS = (0, 9, 18)
STREET_NAMES = ("湟水街道", "文汇街道", "海湖街道", "古城街道", "彩虹街道", "通海街道")
COMMUNITY_NAMES = (
    "兴隆", "光明", "和平", "新华", "团结", "胜利", "建设", "幸福", "朝阳", "安康", "育才", "锦绣", "丰泽", "怡和",
    "南川", "北岸", "西宁路", "东关", "虹桥", "青年", "文苑", "康乐", "瑞祥", "金桥", "银河", "滨河", "杨家湾", "柳园",
    "桃李", "丹霞", "昆仑", "祁连", "河畔", "学院", "机场", "铁路", "湖滨", "彩林", "北塔", "新城", "凤凰", "翠园",
)
# Cells cut away at the corners so that the outline is not a plain rectangle.
_CUT = {(23, 17), (22, 17), (23, 16), (21, 17), (0, 0), (1, 0), (0, 1), (0, 17), (23, 0), (12, 17)}

_M_PER_DEG_LAT = 110_950.0


def _lattice(rng) -> list[list[tuple[float, float]]]:
    m_per_deg_lng = 111_320.0 * math.cos(math.radians(ORIGIN[1]))
    pts = []
    for i in range(NX + 1):
        col = []
        for j in range(NY + 1):
            # Main roads (every 4th line and the district edge) stay straight; side streets wander.
            jx = 0.0 if i % 4 == 0 or i in (0, NX) else rng.uniform(-28, 28)
            jy = 0.0 if j % 3 == 0 or j in (0, NY) else rng.uniform(-28, 28)
            x = i * CELL_M + jx + j * 6.0  # a slight skew, as real street grids have
            y = j * CELL_M + jy - i * 4.0
            col.append((ORIGIN[0] + x / m_per_deg_lng, ORIGIN[1] + y / _M_PER_DEG_LAT))
        pts.append(col)
    return pts


def _community_splits(street_index: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    cols = (0, 3, 6, 8) if street_index in (1, 4) else (0, 4, 8)
    rows = (0, 3, 6, 9)
    return cols, rows


def build_boundaries(rng) -> dict[str, list[RawFeature]]:
    pts = _lattice(rng)

    def cell(i: int, j: int) -> Polygon:
        return Polygon([pts[i][j], pts[i + 1][j], pts[i + 1][j + 1], pts[i][j + 1]])

    features: dict[str, list[RawFeature]] = {"district": [], "street": [], "community": [], "grid": []}
    all_cells = []
    community_names = list(COMMUNITY_NAMES)
    rng.shuffle(community_names)
    street_no = 0
    for sr in range(2):
        for sc in range(3):
            street_no += 1
            street_code = f"{DIVISION}{street_no:03d}"
            x0, x1 = STREET_COLS[sc], STREET_COLS[sc + 1]
            y0, y1 = STREET_ROWS[sr], STREET_ROWS[sr + 1]
            cols, rows = _community_splits(street_no - 1)
            street_cells = []
            community_no = 0
            for ci in range(len(cols) - 1):
                for ri in range(len(rows) - 1):
                    cells = [(i, j) for i in range(x0 + cols[ci], x0 + cols[ci + 1]) for j in range(y0 + rows[ri], y0 + rows[ri + 1]) if (i, j) not in _CUT]
                    if not cells:
                        continue
                    community_no += 1
                    community_code = f"{street_code}{community_no:03d}"
                    cname = community_names.pop() + "社区"
                    polys = [cell(i, j) for i, j in cells]
                    for seq, ((i, j), poly) in enumerate(sorted(zip(cells, polys), key=lambda t: (-t[0][1], t[0][0])), start=1):
                        features["grid"].append(RawFeature(0, {"code": f"{community_code}{seq:03d}", "name": f"{cname}第{seq}网格"}, mapping(poly)))
                    features["community"].append(RawFeature(0, {"code": community_code, "name": cname}, mapping(unary_union(polys))))
                    street_cells.extend(polys)
            features["street"].append(RawFeature(0, {"code": street_code, "name": STREET_NAMES[street_no - 1]}, mapping(unary_union(street_cells))))
            all_cells.extend(street_cells)
    features["district"].append(RawFeature(0, {"code": DIVISION, "name": DISTRICT_NAME}, mapping(unary_union(all_cells))))
    for level in features.values():
        for n, f in enumerate(level, start=1):
            f.index = n
    return features


DEPARTMENTS = [
    ("D01", "区城市管理局", "城管局", "城管"), ("D02", "区住房和城乡建设局", "住建局", "住建"), ("D03", "区水务局", "水务局", "水务"),
    ("D04", "市生态环境局河湟分局", "生态环境分局", "生态环境"), ("D05", "区交通运输局", "交通局", "交通"),
    ("D06", "区园林绿化服务中心", "园林中心", "园林"), ("D07", "区市场监督管理局", "市场监管局", "市场监管"),
    ("D08", "区应急管理局", "应急局", "应急"), ("D09", "公安河湟分局交警大队", "交警大队", "交警"),
    ("D10", "区自然资源局", "自然资源局", "自然资源"),
]
UTILITIES = [
    ("U01", "市供水集团河湟营业所", "供水公司", "供水"), ("U02", "市排水公司河湟管养所", "排水公司", "排水"),
    ("U03", "中燃河湟燃气有限公司", "燃气公司", "燃气"), ("U04", "市热力公司河湟分公司", "热力公司", "热力"),
    ("U05", "国网河湟供电公司", "供电公司", "电力"), ("U06", "河湟通信管线联合办", "通信公司", "通信"),
]
CONTRACTORS = [
    ("C01", "河湟环卫作业一公司", "环卫一公司", "环卫"), ("C02", "河湟环卫作业二公司", "环卫二公司", "环卫"),
    ("C03", "绿源园林养护有限公司", "绿源养护", "园林"), ("C04", "城建市政养护有限公司", "市政养护", "市政"),
    ("C05", "安途交通设施维护公司", "安途交通", "交通设施"),
]
PROPERTY = ["万嘉物业", "锦华物业", "安居物业", "绿城服务", "碧水物业", "明珠物业", "祥和物业", "瑞丰物业", "金地物业", "华宇物业", "康乐物业", "银河物业"]


def generate(ctx: DemoContext) -> None:
    if District.objects.exists():
        ctx.log("区域：已存在，跳过")
        return
    rng = ctx.rng("geo")
    features = build_boundaries(rng)
    for level in ("district", "street", "community", "grid"):
        report = services.import_boundaries(features[level], level)
        if not report.ok:
            raise RuntimeError(report.as_text())
    ctx.log(f"区域：1 个区、{Street.objects.count()} 个街道、{len(features['community'])} 个社区、{Grid.objects.count()} 个单元网格")

    units = [Unit(code="OPS", name="河湟区城市运行管理中心", short_name="城运中心", kind=Unit.Kind.OPS_CENTER, specialty="城运", district_wide=True, address="河湟区政务服务中心 5 楼")]
    units += [Unit(code=c, name=n, short_name=s, kind=Unit.Kind.DEPARTMENT, specialty=sp, district_wide=True) for c, n, s, sp in DEPARTMENTS]
    units += [Unit(code=c, name=n, short_name=s, kind=Unit.Kind.UTILITY, specialty=sp, district_wide=True) for c, n, s, sp in UTILITIES]
    streets = list(Street.objects.order_by("code"))
    units += [Unit(code=f"S{i:02d}", name=f"{s.name}办事处", short_name=s.name, kind=Unit.Kind.STREET_OFFICE, specialty="街道") for i, s in enumerate(streets, start=1)]
    units += [Unit(code=c, name=n, short_name=s, kind=Unit.Kind.CONTRACTOR, specialty=sp) for c, n, s, sp in CONTRACTORS]
    units += [Unit(code=f"P{i:02d}", name=f"河湟{n}有限公司", short_name=n, kind=Unit.Kind.PROPERTY, specialty="物业") for i, n in enumerate(PROPERTY, start=1)]
    Unit.objects.bulk_create(units)
    units = {u.code: u for u in Unit.objects.all()}
    for i, s in enumerate(streets, start=1):
        units[f"S{i:02d}"].streets.set([s])
    # Sanitation contractors split the streets; property companies manage compounds (a few grids each).
    units["C01"].streets.set(streets[:3])
    units["C02"].streets.set(streets[3:])
    units["C03"].streets.set(streets)
    units["C04"].streets.set(streets)
    units["C05"].streets.set(streets)
    grids = list(Grid.objects.order_by("code"))
    rng.shuffle(grids)
    for i in range(len(PROPERTY)):
        units[f"P{i + 1:02d}"].grids.set(grids[i * 6:(i + 1) * 6])
    from chengyun.demo.names import person_name, phone
    from .models import UnitContact

    contacts = []
    for u in units.values():
        contacts.append(UnitContact(unit=u, name=person_name(rng), title="值班员", phone=phone(rng), on_duty=True))
        contacts.append(UnitContact(unit=u, name=person_name(rng), title="负责人", phone=phone(rng)))
    UnitContact.objects.bulk_create(contacts)
    audit.bulk_created(units.values(), verb="demo")
    ctx.log(f"责任单位：{len(units)} 个")
