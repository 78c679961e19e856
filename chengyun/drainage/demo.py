"""The demo district's drainage network, laid along its lattice roads.

Two separate systems under every road (separate-sewer district): rain pipes on one side
flowing south to outfalls on the river road, sewage pipes on the other side flowing to a pump
station and the treatment plant at the south-east corner. Each road edge (~205 m) carries
five manhole-to-manhole pipes per system; rain gullies and house connections join the
manholes. The lattice is the geo demo's own (``geo.demo._lattice`` with the geo RNG), so the
pipes lie exactly on the roads that divide the unit grids.

Outfall codes are OF-01 … OF-07 (the water app's demo registers its outfalls under the
same codes when it creates them; a drainage outfall node and a water Outfall share a code).
The water demo's monitored outfalls (PK01 …) get nodes with their codes at their points too,
so that their alerts trace upstream: a rain outfall on a river crossing the district drains
the part of the rain system nearest to it; combined-sewer overflows, industrial and other
outfalls end a small combined catchment of their own around the nearest intersection (an
overflow also sends its dry-weather flow on to the sewer). Treatment-plant outfalls carry the
plant's effluent, not the network's flow, and get no node.
"""
from __future__ import annotations

import datetime as dt
import heapq
import math
from dataclasses import dataclass

from chengyun.demo.context import DemoContext
from chengyun.demo.names import person_name
from chengyun.geo import demo as geo_demo

from .importers import InspectionRow, NetFeature

OWNER = "U02"  # 市排水公司河湟管养所
PIPES_PER_EDGE = 5
RAIN_OUTFALL_COLUMNS = (2, 4, 8, 12, 16, 20, 22)
NS_NAMES = ("西川路", "昆仑路", "祁连路", "柴达木路", "黄河路", "长江路", "海湖路", "五四路", "七一路", "胜利路", "建国路", "同仁路",
            "互助路", "湟中路", "大通路", "湟源路", "民和路", "乐都路", "循化路", "化隆路", "门源路", "玉树路", "果洛路", "海晏路", "东川路")
EW_NAMES = ("滨河路", "南关街", "南大街", "解放路", "东关大街", "西大街", "北大街", "新宁路", "文化街", "兴海路", "光明街", "和平路",
            "团结路", "育才路", "北川路", "宁张路", "青年街", "北山路", "朝阳大道")
SOURCE_NAMES = ("锦绣花园", "阳光小区", "金色家园", "康乐小区", "滨河苑", "翠园小区", "学府花园", "幸福里", "和平小区", "湖滨苑",
                "建设小区", "南川花园", "凤凰城", "祁连小区", "昆仑嘉园", "城西小区")
ENTERPRISES = ("河湟食品厂", "青海乳业加工车间", "西北洗涤中心", "湟水汽修厂", "高原印务公司", "彩虹酒店", "昆仑宾馆", "河湟医院",
               "新华书店仓库", "宁张路农贸市场", "东关清真餐厅", "海湖洗车场")
PLANTS_IN_PARKS = ("生物制药厂", "藏药提取车间", "食品发酵厂", "化工助剂厂", "电镀加工中心", "皮革加工厂", "饲料加工厂", "包装材料厂")
LAKESIDE = ("海湖宾馆", "湖畔酒家", "湿地公园游客中心", "海湖会议中心", "湖滨茶楼")
# Water outfall kinds the network discharges through (see the module docstring); how far
# (in road edges from the nearest intersection) an outfall's own combined catchment reaches.
LINKED_OUTFALL_KINDS = ("rain", "combined", "industrial", "other")
OWN_CATCHMENT_HOPS = 2


@dataclass(frozen=True)
class RoadEdge:
    key: str  # "V-ii-jj" (north-south, from (i,j) to (i,j+1)) or "H-ii-jj" (east-west, (i,j) to (i+1,j))
    a: tuple[int, int]
    b: tuple[int, int]
    name: str
    road_class: str  # arterial | secondary | branch


def _cell_exists(i: int, j: int) -> bool:
    return 0 <= i < geo_demo.NX and 0 <= j < geo_demo.NY and (i, j) not in geo_demo._CUT


def lattice_roads(ctx: DemoContext):
    """(lattice points [i][j] -> (lng, lat), the road edges bordering at least one existing cell)."""
    pts = geo_demo._lattice(ctx.rng("geo"))
    edges = []
    for i in range(geo_demo.NX + 1):
        for j in range(geo_demo.NY):
            if _cell_exists(i - 1, j) or _cell_exists(i, j):
                main = i % 4 == 0 or i in (0, geo_demo.NX)
                edges.append(RoadEdge(f"V-{i:02d}-{j:02d}", (i, j), (i, j + 1), NS_NAMES[i], "arterial" if main else ("secondary" if i % 2 == 0 else "branch")))
    for j in range(geo_demo.NY + 1):
        for i in range(geo_demo.NX):
            if _cell_exists(i, j - 1) or _cell_exists(i, j):
                main = j % 3 == 0 or j in (0, geo_demo.NY)
                edges.append(RoadEdge(f"H-{i:02d}-{j:02d}", (i, j), (i + 1, j), EW_NAMES[j], "arterial" if main else ("secondary" if j % 2 == 0 else "branch")))
    return pts, edges


class _Local:
    """Metres east/north of the district origin, and back."""

    def __init__(self):
        self.lng0, self.lat0 = geo_demo.ORIGIN
        self.kx = 111_320.0 * math.cos(math.radians(self.lat0))
        self.ky = 110_950.0

    def xy(self, p):
        return ((p[0] - self.lng0) * self.kx, (p[1] - self.lat0) * self.ky)

    def ll(self, x, y):
        return (round(self.lng0 + x / self.kx, 7), round(self.lat0 + y / self.ky, 7))


def _flow_tree(nodes: set, adj: dict, terminals: list, cost) -> dict:
    """Each intersection's next intersection towards the nearest terminal (Dijkstra, deterministic ties)."""
    dist = {t: 0.0 for t in terminals}
    nxt: dict = {t: None for t in terminals}
    heap = [(0.0, t) for t in sorted(terminals)]
    heapq.heapify(heap)
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, math.inf):
            continue
        for v in sorted(adj[u]):
            nd = d + cost(u, v)
            if nd < dist.get(v, math.inf) - 1e-9:
                dist[v] = nd
                nxt[v] = u
                heapq.heappush(heap, (nd, v))
    return nxt


def linked_outfalls() -> list[dict]:
    """The water demo's monitored outfalls that discharge from the network (code, name, kind, lng, lat)."""
    from django.apps import apps

    if not apps.is_installed("chengyun.water"):
        return []
    from chengyun.water import demo as water_demo

    return [o for o in water_demo.monitored_outfalls() if o["kind"] in LINKED_OUTFALL_KINDS]


def _diameter(system: str, n_served: int) -> int:
    # A combined sewer is sized for the storm, like a rain sewer.
    table = ((2, 300), (8, 400), (20, 500), (50, 600), (120, 800), (10 ** 9, 1000)) if system == "sewage" else \
            ((2, 400), (8, 600), (20, 800), (50, 1000), (120, 1200), (10 ** 9, 1500))
    return next(d for limit, d in table if n_served <= limit)


def build_network(ctx: DemoContext, outfalls: list[dict] | None = None):
    """Node and pipe features (as a GeoJSON import would give them) plus the lateral sources.

    ``outfalls``: the water outfalls to end catchments at (default ``linked_outfalls()``)."""
    rng = ctx.rng("drainage")
    # The outfall catchments draw from their own stream, so the draws for the rest of the
    # network stay what they were before those catchments existed.
    orng = ctx.rng("drainage:outfalls")
    outfalls = sorted((dict(o) for o in (linked_outfalls() if outfalls is None else outfalls)), key=lambda o: o["code"])
    pts, edges = lattice_roads(ctx)
    loc = _Local()
    xy = {(i, j): loc.xy(pts[i][j]) for i in range(len(pts)) for j in range(len(pts[0]))}
    adj: dict = {}
    for e in edges:
        adj.setdefault(e.a, set()).add(e.b)
        adj.setdefault(e.b, set()).add(e.a)
    inter = set(adj)
    edge_by_pair = {frozenset((e.a, e.b)): e for e in edges}
    today = dt.date.today()

    def cost_for(system):
        def cost(u, v):
            horizontal = u[1] == v[1]
            if system == "sewage" and horizontal and u[1] == 0:
                return 0.5  # the trunk sewer runs along the river road
            return 1.3 if horizontal else 1.0
        return cost

    row0 = sorted(n for n in inter if n[1] == 0)
    rain_terms = [(i, 0) for i in RAIN_OUTFALL_COLUMNS if (i, 0) in inter]
    sewage_term = max(row0)
    # Each monitored outfall is fed from the intersection nearest to it.
    for o in outfalls:
        o["xy"] = loc.xy((o["lng"], o["lat"]))
        o["root"] = min(sorted(inter), key=lambda n: math.hypot(xy[n][0] - o["xy"][0], xy[n][1] - o["xy"][1]))
    river_terms = sorted({o["root"] for o in outfalls if o["kind"] == "rain"} - set(rain_terms))
    trees = {"rain": _flow_tree(inter, adj, rain_terms + river_terms, cost_for("rain")),
             "sewage": _flow_tree(inter, adj, [sewage_term], cost_for("sewage"))}

    nodes: dict[str, dict] = {}
    pipes: list[dict] = []
    sources: list[dict] = []

    def add_node(code, kind, x, y, name=""):
        lng, lat = loc.ll(x, y)
        nodes[code] = {"code": code, "kind": kind, "lng": lng, "lat": lat, "name": name}
        return code

    def year_for(i, j):
        # The old town lies in the south-west; the network grows north and east from it.
        base = 1984 + 1.3 * i + 1.1 * j + rng.uniform(-4, 4)
        return int(min(max(base, 1980), today.year - 2))

    def material_for(system, year):
        if year < 1998:
            return rng.choice(("混凝土", "钢筋混凝土", "钢筋混凝土", "砖砌" if system == "rain" else "钢筋混凝土"))
        if year < 2012:
            return rng.choice(("钢筋混凝土", "钢筋混凝土", "HDPE"))
        return rng.choice(("HDPE", "HDPE", "球墨铸铁" if system == "sewage" else "钢筋混凝土"))

    # Upstream intersections served, for sizing the trunks.
    served: dict = {}
    for system, nxt in trees.items():
        count = dict.fromkeys(inter, 1)
        order = sorted(inter, key=lambda n: -_depth(n, nxt))
        for n in order:
            if nxt.get(n) is not None:
                count[nxt[n]] += count[n]
        served[system] = count

    prefix = {"rain": "Y", "sewage": "W"}
    side = {"rain": 3.0, "sewage": -3.0}
    mid_manholes: dict[str, list[tuple[str, float, float, float, float]]] = {"rain": [], "sewage": []}
    for system in ("rain", "sewage"):
        P, nxt = prefix[system], trees[system]
        for n in sorted(inter):
            x, y = xy[n]
            add_node(f"{P}J{n[0]:02d}{n[1]:02d}", "manhole", x + side[system] * 0.7, y + side[system] * 0.7)
        for e in edges:
            a, b = e.a, e.b
            (xa, ya), (xb, yb) = xy[a], xy[b]
            length = math.hypot(xb - xa, yb - ya)
            nx_, ny_ = -(yb - ya) / length, (xb - xa) / length  # unit normal
            off = side[system]
            chain = [f"{P}J{a[0]:02d}{a[1]:02d}"]
            coords = [(xa + off * 0.7, ya + off * 0.7)]  # the intersection manhole's own point
            for k in range(1, PIPES_PER_EDGE):
                f = k / PIPES_PER_EDGE
                cx, cy = xa + (xb - xa) * f + nx_ * off, ya + (yb - ya) * f + ny_ * off
                code = add_node(f"{P}J{a[0]:02d}{a[1]:02d}{e.key[0]}{k}", "manhole", cx, cy)
                chain.append(code)
                coords.append((cx, cy))
                mid_manholes[system].append((code, cx, cy, nx_ * (1 if off > 0 else -1), ny_ * (1 if off > 0 else -1)))
            chain.append(f"{P}J{b[0]:02d}{b[1]:02d}")
            coords.append((xb + off * 0.7, yb + off * 0.7))
            # Flow: along the edge when one end drains into the other; otherwise from a high point
            # in the middle of the block out to both ends.
            if nxt.get(a) == b:
                segs = [(k, k + 1) for k in range(PIPES_PER_EDGE)]
                n_served = served[system][a]
            elif nxt.get(b) == a:
                segs = [(k + 1, k) for k in range(PIPES_PER_EDGE)]
                n_served = served[system][b]
            else:
                half = PIPES_PER_EDGE // 2
                segs = [(k + 1, k) for k in range(half)] + [(k, k + 1) for k in range(half, PIPES_PER_EDGE)]
                n_served = 1
            year = year_for(*a)
            material = material_for(system, year)
            dia = _diameter(system, n_served)
            for s, t in segs:
                pipes.append({"code": f"{P}G{a[0]:02d}{a[1]:02d}{e.key[0]}{min(s, t) + 1}", "type": system, "diameter_mm": dia,
                              "material": material, "install_year": year, "from_node": chain[s], "to_node": chain[t],
                              "road": e.name, "area_class": "arterial" if e.road_class == "arterial" else "other_road",
                              "xy": (coords[s], coords[t])})
        # Outlets.
        if system == "rain":
            for no, (i, j) in enumerate(rain_terms, start=1):
                x, y = xy[(i, j)]
                code = add_node(f"OF-{no:02d}", "outfall", x + 3, y - 70, name=f"{NS_NAMES[i]}雨水排放口")
                pipes.append({"code": f"YG-OF{no:02d}", "type": "rain", "diameter_mm": 1500, "material": "钢筋混凝土",
                              "install_year": 2003, "from_node": f"YJ{i:02d}{j:02d}", "to_node": code, "road": NS_NAMES[i],
                              "area_class": "other", "xy": ((x + 2.1, y + 2.1), (x + 3, y - 70))})
        else:
            x, y = xy[sewage_term]
            pump = add_node("PS-01", "pump", x + 120, y - 110, name="滨河污水提升泵站")
            plant = add_node("WWTP-01", "plant", x + 420, y - 380, name="河湟污水处理厂进水口")
            pipes.append({"code": "WG-PS01", "type": "sewage", "diameter_mm": 1200, "material": "钢筋混凝土", "install_year": 2006,
                          "from_node": f"WJ{sewage_term[0]:02d}{sewage_term[1]:02d}", "to_node": pump, "road": "滨河路",
                          "area_class": "other", "xy": ((x - 2.1, y - 2.1), (x + 120, y - 110))})
            pipes.append({"code": "WG-WWTP", "type": "sewage", "diameter_mm": 1200, "material": "球墨铸铁", "install_year": 2006,
                          "from_node": pump, "to_node": plant, "road": "滨河路", "area_class": "other",
                          "xy": ((x + 120, y - 110), (x + 420, y - 380))})
    # Rain gullies (two per mid-block manhole, one per intersection) and house connections.
    for code, cx, cy, ux, uy in mid_manholes["rain"]:
        for g, shift in (("a", -6.0), ("b", 6.0)):
            gx, gy = cx + ux * 5 + uy * shift, cy + uy * 5 - ux * shift
            gcode = add_node(f"{code}{g}", "manhole", gx, gy, name="雨水口")
            pipes.append({"code": f"YL{code[2:]}{g}", "type": "rain", "diameter_mm": 300, "material": "PVC-U",
                          "install_year": None, "from_node": gcode, "to_node": code, "road": "", "area_class": "other",
                          "xy": ((gx, gy), (cx, cy)), "lateral": True})
    for n in sorted(inter):
        code = f"YJ{n[0]:02d}{n[1]:02d}"
        x, y = nodes[code]["lng"], nodes[code]["lat"]
        cx, cy = loc.xy((x, y))
        gcode = add_node(f"{code}g", "manhole", cx + 6, cy + 6, name="雨水口")
        pipes.append({"code": f"YL{code[2:]}g", "type": "rain", "diameter_mm": 300, "material": "PVC-U", "install_year": None,
                      "from_node": gcode, "to_node": code, "road": "", "area_class": "other", "xy": ((cx + 6, cy + 6), (cx, cy)), "lateral": True})
    for n in sorted(inter):
        # Corner plots connect at the intersection manhole.
        code = f"WJ{n[0]:02d}{n[1]:02d}"
        cx, cy = loc.xy((nodes[code]["lng"], nodes[code]["lat"]))
        mid_manholes["sewage"].append((code, cx, cy, -0.7071, -0.7071))
    for code, cx, cy, ux, uy in mid_manholes["sewage"]:
        hx, hy = cx + ux * 15, cy + uy * 15
        hcode = add_node(f"{code}h", "manhole", hx, hy, name="接户井")
        pipes.append({"code": f"WL{code[2:]}", "type": "sewage", "diameter_mm": rng.choice((200, 300, 300)), "material": "PVC-U",
                      "install_year": None, "from_node": hcode, "to_node": code, "road": "", "area_class": "other",
                      "xy": ((hx, hy), (cx, cy)), "lateral": True})
        if rng.random() < 0.3:
            enterprise = rng.random() < 0.2
            base = rng.choice(ENTERPRISES if enterprise else SOURCE_NAMES)
            sources.append({"code": f"PSH{len(sources) + 1:05d}", "name": f"{base}{'' if enterprise else str(rng.randint(1, 9)) + '期'}",
                            "kind": ("catering" if "餐" in base or "酒店" in base else "enterprise") if enterprise else "compound",
                            "node": hcode, "permit_no": f"HH排许{today.year - rng.randint(0, 5)}{len(sources) + 1:04d}" if enterprise else ""})

    n_main_sources = len(sources)
    _outfall_catchments(outfalls, orng, adj, edges, xy, served, nodes, pipes, sources, add_node, cost_for, today)

    # Laterals inherit the year of the main they join.
    year_of = {}
    for p in pipes:
        if not p.get("lateral"):
            year_of.setdefault(p["to_node"], p["install_year"])
            year_of.setdefault(p["from_node"], p["install_year"])
    for p in pipes:
        if p.get("lateral"):
            p["install_year"] = year_of.get(p["to_node"], 2005)

    # Planted misconnections: house connections wrongly into the rain manhole across the road,
    # and a few gullies into the sewer.
    planted = []
    sewer_laterals = [p for p in pipes if p.get("lateral") and p["type"] == "sewage" and not p.get("own")]
    for p in rng.sample(sewer_laterals, 9):
        rain_code = "Y" + p["to_node"][1:]
        if rain_code in nodes:
            p["to_node"] = rain_code
            hx, hy = p["xy"][0]
            p["xy"] = ((hx, hy), loc.xy((nodes[rain_code]["lng"], nodes[rain_code]["lat"])))
            planted.append(p["code"])
    gullies = [p for p in pipes if p.get("lateral") and p["type"] == "rain" and p["code"].endswith("a")]
    for p in rng.sample(gullies, 3):
        sewer_code = "W" + p["to_node"][1:]
        if sewer_code in nodes:
            p["to_node"] = sewer_code
            p["xy"] = (p["xy"][0], loc.xy((nodes[sewer_code]["lng"], nodes[sewer_code]["lat"])))
            planted.append(p["code"])
    # A rain outfall with dry-weather flow (PK06) has a house connection in its catchment
    # wrongly into the rain sewer, as the water demo's readings tell.
    source_nodes = {src["node"] for src in sources[:n_main_sources]}
    for o in outfalls:
        if o["kind"] != "rain" or not o.get("dry_weather_flow"):
            continue
        here = {n for n in inter if _root(n, trees["rain"]) == o["root"]}
        misplaced = {p["code"] for p in sewer_laterals if p["code"] in planted}
        if any(_rain_manhole_area("Y" + p["to_node"][1:]) <= here for p in sewer_laterals if p["code"] in misplaced):
            continue
        candidates = [p for p in sewer_laterals if p["code"] not in misplaced and p["from_node"] in source_nodes
                      and _rain_manhole_area("Y" + p["to_node"][1:]) <= here]
        if candidates:
            p = orng.choice(candidates)
            rain_code = "Y" + p["to_node"][1:]
            p["to_node"] = rain_code
            p["xy"] = (p["xy"][0], loc.xy((nodes[rain_code]["lng"], nodes[rain_code]["lat"])))
            planted.append(p["code"])

    # Inverts: 3‰ down to the outlet along the flow path (the steeper way where a high point
    # drains both ways), 1.8–3.5 m below ground.
    from .graph import FlowGraph

    codes = list(nodes)
    pos = {c: i for i, c in enumerate(codes)}
    g = FlowGraph(len(codes), [pos[p["from_node"]] for p in pipes], [pos[p["to_node"]] for p in pipes])
    lengths = [max(math.hypot(p["xy"][1][0] - p["xy"][0][0], p["xy"][1][1] - p["xy"][0][1]), 1.0) for p in pipes]
    invert: dict[str, float] = {}
    for v in reversed(g.topological_order().tolist()):
        outs = g.out_edges[g.out_ptr[v]:g.out_ptr[v + 1]].tolist()
        if not outs:
            invert[codes[v]] = 2216.0 if nodes[codes[v]]["kind"] == "plant" else 2220.0
        else:
            invert[codes[v]] = max(invert[pipes[e]["to_node"]] + lengths[e] * 0.003 for e in outs)
    for code, n in nodes.items():
        n["ground_m"] = round(invert[code] + (orng if n.get("own") else rng).uniform(1.8, 3.5), 2)
    reverse = set(rng.sample([p["code"] for p in pipes if not p.get("lateral") and not p.get("own")], 6))
    features = []
    for n in nodes.values():
        features.append(NetFeature("demo", len(features) + 1, {"code": n["code"], "kind": n["kind"], "ground_m": n["ground_m"],
                                                                "name": n["name"], "owner": OWNER},
                                   {"type": "Point", "coordinates": [n["lng"], n["lat"]]}))
    for p in pipes:
        up, down = round(invert[p["from_node"]], 3), round(invert[p["to_node"]], 3)
        if p["code"] in reverse:  # survey slips a real inventory carries
            up, down = down, up
        (x0, y0), (x1, y1) = p["xy"]
        props = {k: p[k] for k in ("code", "type", "diameter_mm", "material", "install_year", "from_node", "to_node", "road", "area_class")}
        props |= {"up_invert_m": up, "down_invert_m": down, "owner": OWNER}
        features.append(NetFeature("demo", len(features) + 1, props, {"type": "LineString", "coordinates": [list(loc.ll(x0, y0)), list(loc.ll(x1, y1))]}))
    return features, sources, planted, edges


def _root(n, nxt):
    while nxt.get(n) is not None:
        n = nxt[n]
    return n


def _rain_manhole_area(code: str) -> set:
    """The intersections whose road edge holds a rain manhole: YJiijj itself, or YJiijjVk / YJiijjHk."""
    a = (int(code[2:4]), int(code[4:6]))
    if len(code) == 6:
        return {a}
    return {a, (a[0], a[1] + 1) if code[6] == "V" else (a[0] + 1, a[1])}


def _outfall_catchments(outfalls, rng, adj, edges, xy, served, nodes, pipes, sources, add_node, cost_for, today) -> None:
    """Nodes, pipes and sources ending at the water demo's monitored outfalls (see the module docstring)."""
    for o in outfalls:
        code, root = o["code"], o["root"]
        ox, oy = o["xy"]
        # The node lies exactly where the water outfall is registered.
        nodes[code] = {"code": code, "kind": "outfall", "lng": o["lng"], "lat": o["lat"], "name": o["name"], "own": True}
        rx, ry = xy[root]
        if o["kind"] == "rain":
            pipes.append({"code": f"YG-{code}", "type": "rain", "diameter_mm": _diameter("rain", served["rain"][root]),
                          "material": "钢筋混凝土", "install_year": 2008, "from_node": f"YJ{root[0]:02d}{root[1]:02d}", "to_node": code,
                          "road": "", "area_class": "other", "xy": ((rx + 2.1, ry + 2.1), (ox, oy)), "own": True})
            continue
        # Its own combined network: the road edges within a few hops of the root, under the road's centre line.
        area, frontier = {root}, {root}
        for _ in range(OWN_CATCHMENT_HOPS):
            frontier = {m for n in frontier for m in adj[n]} - area
            area |= frontier
        sub_adj = {n: adj[n] & area for n in area}
        nxt = _flow_tree(area, sub_adj, [root], cost_for("rain"))
        count = dict.fromkeys(area, 1)
        for n in sorted(area, key=lambda n: -_depth(n, nxt)):
            if nxt.get(n) is not None:
                count[nxt[n]] += count[n]
        # Who discharges there: the park's plants, the hotel and its lakeside neighbours, or the
        # compounds of an old combined-sewer quarter.
        owner = o["name"].removesuffix("排口").removesuffix("工业")
        if o["kind"] == "industrial":
            kind, names = "enterprise", [f"{owner}{n}" for n in rng.sample(PLANTS_IN_PARKS, len(PLANTS_IN_PARKS))]
        elif o["kind"] == "other":
            kind, names = "catering", [owner] + [n for n in rng.sample(LAKESIDE, len(LAKESIDE)) if n != owner]
        else:
            kind, names = "compound", [f"{n}{rng.randint(1, 9)}期" for n in rng.sample(SOURCE_NAMES, len(SOURCE_NAMES))]
        year = 1990 + rng.randint(0, 12)

        def manhole(n):
            return f"{code}-J{n[0]:02d}{n[1]:02d}"

        for n in sorted(area):
            nodes[add_node(manhole(n), "manhole", *xy[n])]["own"] = True
        connections, first_source = 0, len(sources)
        for e in edges:
            if e.a not in area or e.b not in area:
                continue
            (xa, ya), (xb, yb) = xy[e.a], xy[e.b]
            length = math.hypot(xb - xa, yb - ya)
            nx_, ny_ = -(yb - ya) / length, (xb - xa) / length
            chain, coords = [manhole(e.a)], [(xa, ya)]
            for k in range(1, PIPES_PER_EDGE):
                f = k / PIPES_PER_EDGE
                cx, cy = xa + (xb - xa) * f, ya + (yb - ya) * f
                mcode = add_node(f"{code}-J{e.a[0]:02d}{e.a[1]:02d}{e.key[0]}{k}", "manhole", cx, cy)
                nodes[mcode]["own"] = True
                chain.append(mcode)
                coords.append((cx, cy))
                # Plots on alternate sides of the road connect to the combined sewer.
                side = 1 if k % 2 else -1
                hx, hy = cx + nx_ * 15 * side, cy + ny_ * 15 * side
                hcode = add_node(f"{mcode}h", "manhole", hx, hy, name="接户井")
                nodes[hcode]["own"] = True
                pipes.append({"code": f"{code}-L{e.a[0]:02d}{e.a[1]:02d}{e.key[0]}{k}", "type": "sewage", "diameter_mm": 300,
                              "material": "PVC-U", "install_year": None, "from_node": hcode, "to_node": mcode, "road": "",
                              "area_class": "other", "xy": ((hx, hy), (cx, cy)), "lateral": True, "own": True})
                nth = len(sources) - first_source
                if nth < len(names) and (connections == 0 or rng.random() < 0.35):
                    sources.append({"code": f"PSH{len(sources) + 1:05d}", "name": names[nth], "kind": kind, "node": hcode,
                                    "permit_no": f"HH排许{today.year - rng.randint(0, 5)}{len(sources) + 1:04d}" if kind != "compound" else ""})
                connections += 1
            chain.append(manhole(e.b))
            coords.append((xb, yb))
            if nxt.get(e.a) == e.b:
                segs, n_served = [(k, k + 1) for k in range(PIPES_PER_EDGE)], count[e.a]
            elif nxt.get(e.b) == e.a:
                segs, n_served = [(k + 1, k) for k in range(PIPES_PER_EDGE)], count[e.b]
            else:
                half = PIPES_PER_EDGE // 2
                segs, n_served = [(k + 1, k) for k in range(half)] + [(k, k + 1) for k in range(half, PIPES_PER_EDGE)], 1
            for s_, t_ in segs:
                pipes.append({"code": f"{code}-G{e.a[0]:02d}{e.a[1]:02d}{e.key[0]}{min(s_, t_) + 1}", "type": "combined",
                              "diameter_mm": _diameter("combined", n_served), "material": "钢筋混凝土" if year < 1998 else "混凝土",
                              "install_year": year, "from_node": chain[s_], "to_node": chain[t_], "road": e.name,
                              "area_class": "arterial" if e.road_class == "arterial" else "other_road", "xy": (coords[s_], coords[t_]),
                              "own": True})
        trunk = _diameter("combined", count[root])
        if o["kind"] == "combined":
            # The overflow weir: dry-weather flow goes on to the sewer, storm flow over the weir to the river.
            wx, wy = rx + (ox - rx) * 0.25, ry + (oy - ry) * 0.25
            weir = add_node(f"{code}-WEIR", "junction", wx, wy, name=f"{o['name']}截流井")
            nodes[weir]["own"] = True
            pipes.append({"code": f"{code}-G0", "type": "combined", "diameter_mm": trunk, "material": "钢筋混凝土", "install_year": year,
                          "from_node": manhole(root), "to_node": weir, "road": "", "area_class": "other", "xy": ((rx, ry), (wx, wy)), "own": True})
            pipes.append({"code": f"{code}-JL", "type": "combined", "diameter_mm": 400, "material": "钢筋混凝土", "install_year": 2006,
                          "from_node": weir, "to_node": f"WJ{root[0]:02d}{root[1]:02d}", "road": "", "area_class": "other",
                          "xy": ((wx, wy), (rx - 2.1, ry - 2.1)), "own": True})
            start, sx, sy = weir, wx, wy
        else:
            start, sx, sy = manhole(root), rx, ry
        pipes.append({"code": f"{code}-OUT", "type": "combined", "diameter_mm": trunk, "material": "钢筋混凝土", "install_year": year,
                      "from_node": start, "to_node": code, "road": "", "area_class": "other", "xy": ((sx, sy), (ox, oy)), "own": True})


def _depth(n, nxt) -> int:
    d = 0
    while nxt.get(n) is not None:
        n = nxt[n]
        d += 1
    return d


def _inspection_rows(ctx: DemoContext, pipes: list[tuple[str, float, int, int]]) -> list[InspectionRow]:
    """CCTV/QV records for about a tenth of the network, older pipes more often and worse."""
    from chengyun.standards.cjj181 import DEFECT_TYPES

    rng = ctx.rng("drainage:inspections")
    today = dt.date.today()
    structural = [c for c, t in DEFECT_TYPES.items() if t.kind == "structural"]
    functional = [c for c, t in DEFECT_TYPES.items() if t.kind == "functional"]
    operators = [person_name(rng) for _ in range(8)]
    mains = [p for p in pipes if not p[0][1] == "L"]
    target = len(pipes) // 10
    weights = [1.0 + max(0, 2015 - (year or 2015)) / 5 for _, _, _, year in mains]
    chosen: dict[str, tuple] = {}
    while len(chosen) < target:
        p = rng.choices(mains, weights=weights)[0]
        chosen[p[0]] = p
    rows = []
    n = 2
    for code, length, dia, year in sorted(chosen.values()):
        day = today - dt.timedelta(days=rng.randint(5, 700))
        method = "CCTV" if dia >= 300 and rng.random() < 0.85 else "QV"
        operator = rng.choice(operators)
        age = max(0, today.year - (year or 2010))
        n_defects = min(int(rng.expovariate(1.0) * (0.4 + age / 15)), 8)
        if n_defects == 0:
            rows.append(InspectionRow(n, {"pipe": code, "date": day, "method": method, "operator": operator}))
            n += 1
            continue
        for _ in range(n_defects):
            kind = structural if rng.random() < 0.6 else functional
            dcode = rng.choice(kind)
            grades = sorted(DEFECT_TYPES[dcode].scores)
            # Mostly slight defects; the worst grades show up in old pipes.
            wts = [max(0.05, 1.0 - (g - 1) * (0.55 - min(age, 40) / 100)) for g in grades]
            grade = rng.choices(grades, weights=wts)[0]
            pos = round(rng.uniform(0, max(length - 0.5, 0.5)), 1)
            dlen = round(rng.choice((0, 0, 0.5, 1.0, 2.0, 3.0)), 1)
            rows.append(InspectionRow(n, {"pipe": code, "date": day, "method": method, "operator": operator, "code": dcode,
                                          "grade": grade, "position_m": pos, "length_m": min(dlen, max(length - pos, 0)),
                                          "clock": f"{rng.randint(1, 12):02d}{rng.randint(1, 12):02d}", "photo": f"{code}_{pos:.1f}.jpg"}))
            n += 1
    return rows


def generate(ctx: DemoContext) -> None:
    from django.utils import timezone

    from chengyun.geo.models import Street, Unit

    from . import overflow_feed, services
    from .models import Node, Pipe

    if Pipe.objects.exists():
        ctx.log("排水管网：已存在，跳过")
        return
    features, sources, planted, _ = build_network(ctx)
    report = services.import_network(features)
    if not report.ok:
        raise RuntimeError(report.as_text(40))
    services.add_sources(None, sources)
    ctx.log(f"排水管网：{report.created['nodes']} 个节点、{report.created['pipes']} 根管段、{len(sources)} 个排水户；"
            f"拓扑警告 {len(report.warnings)} 条（含预置逆坡与混接）")

    pipes = list(Pipe.objects.values_list("code", "length_m", "diameter_mm", "install_year"))
    rows = _inspection_rows(ctx, pipes)
    ins = services.import_inspections(rows, source_name="demo")
    if not ins.ok:
        raise RuntimeError(ins.as_text())
    ctx.log(f"管道检测：{ins.inspections} 根管段、{ins.defects} 处缺陷；结构性等级分布 {dict(sorted(ins.grades.items()))}")

    rng = ctx.rng("drainage:ops")
    now = timezone.now()
    # Overflows at the monitored combined outfalls come from water's overflow alerts (judged
    # before this network existed, so fed now; later ones are fed as they are raised). Only
    # manholes nobody measures have overflows entered by hand, from patrols.
    fed = overflow_feed.feed_from_alerts()
    manholes = list(Node.objects.filter(code__startswith="WJ").order_by("code").values_list("code", flat=True))
    for code in rng.sample(manholes, 12):
        overflow_feed.enter_overflow(None, code, occurred_at=now - dt.timedelta(days=rng.randint(3, 900), hours=rng.randint(0, 23)),
                                     source="巡查", note="暴雨期间检查井冒溢（无监测设备，巡查登记）")
    ctx.log(f"冒溢记录：溢流告警生成 {fed} 条，检查井巡查登记 12 条")
    det = services.detect_misconnections(None)
    ctx.log(f"混接错接：识别 {det.found} 处（预置 {len(planted)} 处）")

    streets = list(Street.objects.order_by("code"))
    unit = Unit.objects.filter(code=OWNER).first()
    today = dt.date.today()
    old = list(Pipe.objects.filter(install_year__lt=1996, type__in=["rain", "sewage"]).order_by("code").values_list("code", "street_id"))
    specs = [("YWFL-2025-01", "古城片区雨污分流改造一期", 0.65, 90), ("YWFL-2025-02", "南关片区雨污分流改造", 0.25, 200),
             ("YWFL-2026-01", "西川片区雨污分流改造二期", 0.0, 400)]
    for n, (code, name, done_share, due_days) in enumerate(specs):
        chunk = [c for c, _ in old[n::3]][:250]
        if not chunk:
            continue
        street_ids = [s for c, s in old[n::3][:250] if s]
        street = next((s for s in streets if street_ids and s.id == max(set(street_ids), key=street_ids.count)), None)
        project = services.create_project(None, code=code, name=name, pipe_codes=chunk, unit=unit, street=street,
                                          due_on=today + dt.timedelta(days=due_days))
        finished = chunk[: int(len(chunk) * done_share)]
        if finished:
            services.record_progress(None, project, finished, done_on=today - dt.timedelta(days=rng.randint(5, 60)))
    plan = services.make_plan(None, year=today.year + 1, budget_yuan=30_000_000, unit=unit)
    ctx.log(f"改造计划：{plan.name} 入选 {plan.items.count()} 根，投资 {plan.total_cost_yuan} 元（预算 3000 万元）")
