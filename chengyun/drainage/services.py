"""Every write of the drainage network, and the services other apps call.

Imports are all-or-nothing: a file with any error writes nothing, and the report names the
feature and the field. Topology problems that real survey data often carries (dangling ends,
reverse slopes, parallel duplicates, type conflicts) are warnings; what would make tracing
wrong (unknown nodes, self-loops, directed cycles) is an error.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from pyproj import Geod
from shapely.geometry import LineString, mapping, shape

from chengyun.core import audit, stamps
from chengyun.core.errors import Conflict, Invalid, NotFound
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.standards import cjj181

from . import index
from .importers import InspectionRow, NetFeature, parse_date
from .models import (
    Defect, Inspection, Misconnection, Node, OverflowRecord, Pipe, PlanItem, ProjectPipe,
    RenovationPlan, SeparationProject, Source,
)

_GEOD = Geod(ellps="WGS84")
# A pipe's drawn end further than this from its node's point is worth a look (survey error).
END_GAP_WARN_M = 5.0
MAX_CODE = 40

TYPE_ALIASES = {"rain": "rain", "雨水": "rain", "ys": "rain", "sewage": "sewage", "污水": "sewage", "ws": "sewage",
                "combined": "combined", "合流": "combined", "hl": "combined"}
KIND_ALIASES = {"manhole": "manhole", "检查井": "manhole", "outfall": "outfall", "排放口": "outfall", "排口": "outfall",
                "pump": "pump", "泵站": "pump", "plant": "plant", "污水处理厂": "plant", "污水厂": "plant",
                "junction": "junction", "连接点": "junction"}
TERMINAL_KINDS = {"outfall", "plant"}
TYPE_NAMES = {"rain": "雨水", "sewage": "污水", "combined": "合流"}


def _can_import(user: Any) -> None:
    if user is not None:
        policy.require_role(user, {R.SYSADMIN, R.DEPT_HANDLER}, "只有系统管理员或排水权属单位人员可以导入管网数据")


def length_m(geom) -> float:
    return float(_GEOD.geometry_length(geom))


def _dist_m(lng1, lat1, lng2, lat2) -> float:
    return float(_GEOD.inv(lng1, lat1, lng2, lat2)[2])


# ================================================================= network import

@dataclass
class NetworkImportReport:
    dry_run: bool
    nodes_total: int = 0
    pipes_total: int = 0
    created: dict[str, int] = field(default_factory=lambda: {"nodes": 0, "pipes": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"nodes": 0, "pipes": 0})
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "nodes": self.nodes_total,
                "pipes": self.pipes_total, "created": self.created, "updated": self.updated,
                "errors": self.errors, "warnings": self.warnings}

    def as_text(self, max_lines: int = 200) -> str:
        head = "（试运行，未写入）" if self.dry_run else ("已写入" if self.written else "未写入任何数据")
        lines = [f"管网导入 {head}：节点 {self.nodes_total} 个（新增 {self.created['nodes']}，更新 {self.updated['nodes']}），"
                 f"管段 {self.pipes_total} 根（新增 {self.created['pipes']}，更新 {self.updated['pipes']}）；"
                 f"错误 {len(self.errors)} 条，警告 {len(self.warnings)} 条"]
        body = [f"错误：{e}" for e in self.errors] + [f"警告：{w}" for w in self.warnings]
        lines += body[:max_lines]
        if len(body) > max_lines:
            lines.append(f"……另有 {len(body) - max_lines} 条未列出")
        return "\n".join(lines)


def _num(props: dict, key: str, errs: list[str], *, required: bool = False, integer: bool = False,
         lo: float | None = None, hi: float | None = None) -> float | int | None:
    raw = props.get(key)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if required:
            errs.append(f"{key}: 缺少")
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errs.append(f"{key}: 应为数字，实际为「{raw}」")
        return None
    if not math.isfinite(value):
        errs.append(f"{key}: 应为有限数字")
        return None
    if integer:
        if not value.is_integer():
            errs.append(f"{key}: 应为整数，实际为 {raw}")
            return None
        value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        errs.append(f"{key}: {raw} 超出合理范围（{lo}～{hi}）")
        return None
    return value


def _code(props: dict, errs: list[str], key: str = "code") -> str:
    code = str(props.get(key) or "").strip()
    if not code:
        errs.append(f"{key}: 缺少编号")
    elif len(code) > MAX_CODE:
        errs.append(f"{key}: 编号超过 {MAX_CODE} 个字符")
    return code


def _bad_lnglat(x: float, y: float) -> bool:
    return not (-180 <= x <= 180 and -90 <= y <= 90)


def import_network(features: Sequence[NetFeature], *, user: Any = None, dry_run: bool = False,
                   default_owner: str | None = None) -> NetworkImportReport:
    """Check nodes and pipes (with the stored network), then write all of them or none."""
    from chengyun.geo.models import Unit

    _can_import(user)
    report = NetworkImportReport(dry_run=dry_run)
    if not features:
        report.errors.append("文件中没有要素")
        return report
    units = {u.code: u.id for u in Unit.objects.all()}
    if default_owner and default_owner not in units:
        report.errors.append(f"owner: 默认权属单位 {default_owner} 不存在")
        return report
    p = policy.principal(user) if user is not None else None
    if p is not None and not p.has({R.SYSADMIN}):
        # A handler may only import pipes of their own unit.
        default_owner = next((c for c, i in units.items() if i == p.unit_id), default_owner)

    stored_nodes = {n[0]: n for n in Node.objects.values_list("code", "kind", "lng", "lat", "id")}
    node_rows: dict[str, dict] = {}
    pipe_feats: list[tuple[NetFeature, list[str]]] = []
    seen_node: dict[str, str] = {}
    for f in features:
        if f.is_pipe:
            pipe_feats.append((f, list(f.errors)))
            continue
        errs = list(f.errors)
        props = f.properties
        code = _code(props, errs)
        if code:
            if code in seen_node:
                errs.append(f"code: 与{seen_node[code]}重复")
            else:
                seen_node[code] = f.label
        kind_raw = str(props.get("kind") or "manhole").strip().lower()
        kind = KIND_ALIASES.get(kind_raw)
        if kind is None:
            errs.append(f"kind: 未知的节点类型「{props.get('kind')}」（应为 manhole/outfall/pump/plant/junction）")
        geom = f.geometry
        lng = lat = None
        if not geom or geom.get("type") != "Point":
            errs.append(f"geometry: 节点应为 Point，实际为 {(geom or {}).get('type') or '空'}")
        else:
            try:
                lng, lat = float(geom["coordinates"][0]), float(geom["coordinates"][1])
                if _bad_lnglat(lng, lat):
                    errs.append("geometry: 坐标超出经纬度范围（应为 WGS84/CGCS2000 经纬度）")
            except (TypeError, ValueError, IndexError, KeyError):
                errs.append("geometry: 坐标无法解析")
        ground = _num(props, "ground_m", errs, lo=-500, hi=9000)
        owner_code = str(props.get("owner") or default_owner or "").strip()
        if owner_code and owner_code not in units:
            errs.append(f"owner: 权属单位 {owner_code} 不存在")
        name = str(props.get("name") or "").strip()[:100]
        if errs:
            report.errors.extend(f"节点 {f.label}：{e}" for e in errs)
            continue
        node_rows[code] = {"code": code, "kind": kind, "lng": lng, "lat": lat, "ground_m": ground, "name": name,
                           "owner_id": units.get(owner_code) if owner_code else None}
    report.nodes_total = len(node_rows)

    def node_point(code: str) -> tuple[str, float, float] | None:
        if code in node_rows:
            r = node_rows[code]
            return r["kind"], r["lng"], r["lat"]
        if code in stored_nodes:
            s = stored_nodes[code]
            return s[1], s[2], s[3]
        return None

    known_node_codes = set(node_rows) | set(stored_nodes)
    pipe_rows: dict[str, dict] = {}
    seen_pipe: dict[str, str] = {}
    year_now = dt.date.today().year
    for f, errs in pipe_feats:
        props = f.properties
        code = _code(props, errs)
        if code:
            if code in seen_pipe:
                errs.append(f"code: 与{seen_pipe[code]}重复")
            else:
                seen_pipe[code] = f.label
        ptype = TYPE_ALIASES.get(str(props.get("type") or "").strip().lower())
        if ptype is None:
            errs.append(f"type: 未知的管道类别「{props.get('type') or ''}」（应为 rain/sewage/combined）")
        diameter = _num(props, "diameter_mm", errs, required=True, integer=True, lo=50, hi=6000)
        year = _num(props, "install_year", errs, integer=True, lo=1900, hi=year_now)
        up = _num(props, "up_invert_m", errs, lo=-500, hi=9000)
        down = _num(props, "down_invert_m", errs, lo=-500, hi=9000)
        given_len = _num(props, "length_m", errs, lo=0.1, hi=10000)
        ends = []
        for key in ("from_node", "to_node"):
            c = str(props.get(key) or "").strip()
            if not c:
                errs.append(f"{key}: 缺少节点编号")
            elif c not in known_node_codes:
                errs.append(f"{key}: 节点 {c} 不存在（文件和已有管网中都没有）")
            ends.append(c)
        if ends[0] and ends[0] == ends[1]:
            errs.append(f"to_node: 起点与终点是同一节点 {ends[0]}")
        owner_code = str(props.get("owner") or default_owner or "").strip()
        if owner_code and owner_code not in units:
            errs.append(f"owner: 权属单位 {owner_code} 不存在")
        geom = None
        gj = f.geometry
        if gj:
            try:
                geom = shape(gj)
            except Exception as exc:
                errs.append(f"geometry: 无法解析（{exc}）")
            if geom is not None and geom.geom_type == "MultiLineString":
                merged = shapely.line_merge(geom)
                if merged.geom_type != "LineString":
                    errs.append("geometry: 多段线不连续，管段应为一条连续的线")
                geom = merged
            if geom is not None and geom.geom_type != "LineString":
                errs.append(f"geometry: 管段应为 LineString，实际为 {geom.geom_type}")
                geom = None
            elif geom is not None:
                minx, miny, maxx, maxy = geom.bounds
                if _bad_lnglat(minx, miny) or _bad_lnglat(maxx, maxy):
                    errs.append("geometry: 坐标超出经纬度范围（应为 WGS84/CGCS2000 经纬度）")
                    geom = None
        if errs:
            report.errors.extend(f"管段 {f.label}：{e}" for e in errs)
            continue
        a, b = node_point(ends[0]), node_point(ends[1])
        if geom is None:
            geom = LineString([(a[1], a[2]), (b[1], b[2])])
        else:
            (x0, y0), (x1, y1) = geom.coords[0], geom.coords[-1]
            gap0, gap1 = _dist_m(x0, y0, a[1], a[2]), _dist_m(x1, y1, b[1], b[2])
            if max(gap0, gap1) > END_GAP_WARN_M:
                report.warnings.append(f"管段 {code}：geometry: 线端点与节点相距 {max(gap0, gap1):.1f} 米（起点 {gap0:.1f}，终点 {gap1:.1f}），请核对流向或节点坐标")
        pipe_rows[code] = {
            "code": code, "type": ptype, "diameter_mm": diameter, "material": str(props.get("material") or "").strip()[:20],
            "install_year": year, "up_invert_m": up, "down_invert_m": down, "from": ends[0], "to": ends[1],
            "road_name": str(props.get("road") or props.get("road_name") or "").strip()[:100],
            "area_class": str(props.get("area_class") or "").strip()[:20], "soil": str(props.get("soil") or "").strip()[:20],
            "owner_id": units.get(owner_code) if owner_code else None, "geom": geom,
            "length_m": given_len if given_len is not None else max(length_m(geom), 0.1),
        }
    report.pipes_total = len(pipe_rows)
    checked: dict[tuple[str, str], str | None] = {}
    for code, r in pipe_rows.items():
        for key in ("area_class", "soil"):
            value = r[key]
            if not value:
                continue
            if (key, value) not in checked:
                try:
                    # CJJ 181's own tables decide which 地区类别 / 土质 values exist.
                    cjj181.assess(1.0, [], area=value if key == "area_class" else None, soil=value if key == "soil" else None)
                    checked[(key, value)] = None
                except ValueError as exc:
                    checked[(key, value)] = str(exc)
            if checked[(key, value)]:
                report.errors.append(f"管段 {code}：{key}: {checked[(key, value)]}")
    if report.errors:
        return report

    _check_topology(node_rows, pipe_rows, stored_nodes, report)
    if report.errors or dry_run:
        _count_changes(node_rows, pipe_rows, stored_nodes, report)
        return report
    _write_network(node_rows, pipe_rows, stored_nodes, report)
    return report


def _check_topology(node_rows: dict, pipe_rows: dict, stored_nodes: dict, report: NetworkImportReport) -> None:
    """Check the network as it would be after the import (stored pipes overridden by the file)."""
    from .graph import FlowGraph

    kinds: dict[str, str] = {c: s[1] for c, s in stored_nodes.items()}
    kinds.update({c: r["kind"] for c, r in node_rows.items()})
    codes = sorted(kinds)
    pos = {c: i for i, c in enumerate(codes)}
    stored = {p[0]: p for p in Pipe.objects.values_list("code", "type", "from_node__code", "to_node__code", "up_invert_m", "down_invert_m")}
    pipes: list[tuple[str, str, str, str, bool]] = []  # code, type, from, to, from_file
    for code, s in stored.items():
        if code not in pipe_rows:
            pipes.append((code, s[1], s[2], s[3], False))
    for code, r in pipe_rows.items():
        pipes.append((code, r["type"], r["from"], r["to"], True))
    if not pipes:
        return
    src = np.array([pos[p[2]] for p in pipes])
    dst = np.array([pos[p[3]] for p in pipes])
    g = FlowGraph(len(codes), src, dst)

    # Directed cycles: flow would go round for ever; the flow directions in the file are wrong.
    bad = g.cycle_nodes()
    if bad.size:
        in_core = np.zeros(len(codes), bool)
        in_core[bad] = True
        on_cycle = [p[0] for p, s, d in zip(pipes, src, dst) if in_core[s] and in_core[d]]
        if on_cycle:
            report.errors.append(f"存在环路（流向首尾相接），涉及管段：{'、'.join(on_cycle[:20])}{' 等' if len(on_cycle) > 20 else ''}；请核对 from_node/to_node 流向")

    in_deg = np.bincount(dst, minlength=len(codes))
    out_deg = np.bincount(src, minlength=len(codes))
    kind_arr = np.array([kinds[c] for c in codes], dtype=object)
    for i in np.flatnonzero((in_deg > 0) & (out_deg == 0)):
        if kind_arr[i] not in TERMINAL_KINDS:
            report.warnings.append(f"节点 {codes[i]}：kind: 末端悬空——有管段流入但无出路，且不是排放口或污水厂（{kind_arr[i]}）")
    for i in np.flatnonzero((in_deg == 0) & (out_deg == 0)):
        if codes[i] in node_rows:
            report.warnings.append(f"节点 {codes[i]}：孤立节点，没有任何管段连接")

    # Parts of the network that reach no outfall or plant.
    labels = g.components()
    linked = (in_deg + out_deg) > 0
    terminal = np.isin(kind_arr, list(TERMINAL_KINDS))
    comps_with_end = set(labels[terminal & linked].tolist())
    loose: dict[int, list[int]] = defaultdict(list)
    for i in np.flatnonzero(linked):
        if labels[i] not in comps_with_end:
            loose[int(labels[i])].append(int(i))
    for members in loose.values():
        sample = "、".join(codes[i] for i in members[:5])
        report.warnings.append(f"管网不连通：{len(members)} 个节点（{sample}{' 等' if len(members) > 5 else ''}）所在的部分不通往任何排放口或污水厂")

    pair_seen: dict[tuple[str, str], str] = {}
    for code, ptype, a, b, from_file in pipes:
        key = (a, b) if a < b else (b, a)
        if key in pair_seen and (from_file or pair_seen[key] in pipe_rows):
            report.warnings.append(f"管段 {code}：from_node/to_node: 与管段 {pair_seen[key]} 连接同一对节点（{a}—{b}），可能重复")
        pair_seen.setdefault(key, code)
    for code, r in pipe_rows.items():
        if r["up_invert_m"] is not None and r["down_invert_m"] is not None and r["up_invert_m"] < r["down_invert_m"]:
            report.warnings.append(f"管段 {code}：up_invert_m/down_invert_m: 逆坡——上游管底 {r['up_invert_m']:.2f} 米低于下游 {r['down_invert_m']:.2f} 米")

    out_types: dict[str, set[str]] = defaultdict(set)
    for code, ptype, a, b, _ in pipes:
        out_types[a].add(ptype)
    for code, ptype, a, b, from_file in pipes:
        if not from_file:
            continue
        conflict = _type_conflict(ptype, kinds[b], out_types.get(b, set()))
        if conflict:
            report.warnings.append(f"管段 {code}：type: 雨污类别冲突——{conflict}（节点 {b}）")


def _type_conflict(ptype: str, to_kind: str, downstream_types: set[str]) -> str | None:
    if ptype in ("sewage", "combined") and "rain" in downstream_types:
        return f"{TYPE_NAMES[ptype]}管排入雨水管"
    if ptype == "sewage" and to_kind == "outfall":
        return "污水管直接排向排放口"
    if ptype == "rain" and ("sewage" in downstream_types or to_kind == "plant"):
        return "雨水管排入污水系统"
    return None


def _count_changes(node_rows: dict, pipe_rows: dict, stored_nodes: dict, report: NetworkImportReport) -> None:
    stored_pipes = set(Pipe.objects.filter(code__in=list(pipe_rows)).values_list("code", flat=True))
    report.created = {"nodes": sum(1 for c in node_rows if c not in stored_nodes), "pipes": len(pipe_rows) - len(stored_pipes)}
    report.updated = {"nodes": len(node_rows) - report.created["nodes"], "pipes": len(stored_pipes)}


def _areas(lng: np.ndarray, lat: np.ndarray) -> tuple[list[int | None], list[int | None]]:
    from chengyun.geo import services as geo_services

    if len(lng) == 0:
        return [], []
    hits, idx = geo_services.locate_many(np.asarray(lng, float), np.asarray(lat, float))
    grids = [idx.grids[h].id if h >= 0 else None for h in hits.tolist()]
    streets = [idx.grids[h].street_id if h >= 0 else None for h in hits.tolist()]
    return grids, streets


NODE_FIELDS = ("kind", "name", "lng", "lat", "ground_m", "owner_id", "grid_id", "street_id")
PIPE_FIELDS = ("type", "diameter_mm", "material", "install_year", "length_m", "from_node_id", "to_node_id", "up_invert_m",
               "down_invert_m", "road_name", "area_class", "soil", "owner_id", "geometry", "grid_id", "street_id")


def _insert(model, rows: list[dict], chunk: int = 2000) -> None:
    """Plain multi-row INSERTs: a network import writes tens of thousands of rows, and building a
    model instance per row costs more than the write itself."""
    from django.db import connection

    if not rows:
        return
    fields = [model._meta.get_field(k) for k in rows[0]]
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"
    keys = list(rows[0])
    with connection.cursor() as cur:
        for i in range(0, len(rows), chunk):
            cur.executemany(sql, [tuple(r[k] for k in keys) for r in rows[i:i + chunk]])


def _write_network(node_rows: dict, pipe_rows: dict, stored_nodes: dict, report: NetworkImportReport) -> None:
    with transaction.atomic():
        nodes = list(node_rows.values())
        grids, streets = _areas(np.array([n["lng"] for n in nodes]), np.array([n["lat"] for n in nodes]))
        existing_nodes = {n.code: n for n in Node.objects.filter(code__in=list(node_rows))}
        new_nodes, changed_nodes = [], []
        for r, g, s in zip(nodes, grids, streets):
            values = {k: r[k] for k in ("kind", "name", "lng", "lat", "ground_m", "owner_id")} | {"grid_id": g, "street_id": s}
            old = existing_nodes.get(r["code"])
            if old is None:
                new_nodes.append({"code": r["code"], **values})
            elif any(getattr(old, k) != v for k, v in values.items()):
                before = audit.snapshot(old)
                for k, v in values.items():
                    setattr(old, k, v)
                changed_nodes.append((old, before))
        _insert(Node, new_nodes)
        if changed_nodes:
            Node.objects.bulk_update([n for n, _ in changed_nodes], NODE_FIELDS, batch_size=200)
        node_id = dict(Node.objects.filter(code__in=list({r["from"] for r in pipe_rows.values()} | {r["to"] for r in pipe_rows.values()} | set(node_rows))).values_list("code", "id"))

        pipes = list(pipe_rows.values())
        mids = [r["geom"].interpolate(0.5, normalized=True) for r in pipes]
        grids, streets = _areas(np.array([m.x for m in mids]), np.array([m.y for m in mids]))
        existing_pipes = {p.code: p for p in Pipe.objects.filter(code__in=list(pipe_rows))}
        new_pipes, changed_pipes = [], []
        for r, g, s in zip(pipes, grids, streets):
            values = {
                "type": r["type"], "diameter_mm": r["diameter_mm"], "material": r["material"], "install_year": r["install_year"],
                "length_m": round(r["length_m"], 2), "from_node_id": node_id[r["from"]], "to_node_id": node_id[r["to"]],
                "up_invert_m": r["up_invert_m"], "down_invert_m": r["down_invert_m"], "road_name": r["road_name"],
                "area_class": r["area_class"], "soil": r["soil"], "owner_id": r["owner_id"],
                "geometry": json.dumps(mapping(r["geom"])), "grid_id": g, "street_id": s,
            }
            old = existing_pipes.get(r["code"])
            if old is None:
                new_pipes.append({"code": r["code"], **values})
            elif any(getattr(old, k) != v for k, v in values.items()):
                before = audit.snapshot(old)
                for k, v in values.items():
                    setattr(old, k, v)
                changed_pipes.append((old, before))
        _insert(Pipe, new_pipes)
        if changed_pipes:
            Pipe.objects.bulk_update([p for p, _ in changed_pipes], PIPE_FIELDS, batch_size=200)
        # One entry per import naming every record it created: a network file holds tens of
        # thousands of features, and a per-object snapshot would double the import's cost.
        audit.action(None, "import_network", otype="drainage.pipe", object_id="", object_repr=f"管网导入：新增节点 {len(new_nodes)}、管段 {len(new_pipes)}",
                     after={"nodes": [n["code"] for n in new_nodes], "pipes": [p["code"] for p in new_pipes]})
        for obj, before in changed_nodes + changed_pipes:
            audit.updated(obj, before, verb="import_network")
        index.bump()
    report.created = {"nodes": len(new_nodes), "pipes": len(new_pipes)}
    report.updated = {"nodes": len(changed_nodes), "pipes": len(changed_pipes)}
    report.written = True


def add_sources(user: Any, rows: Iterable[dict]) -> list[Source]:
    """Register connected dischargers (code, name, kind, node, permit_no) at their nodes."""
    _can_import(user)
    rows = list(rows)
    nodes = dict(Node.objects.filter(code__in=[r["node"] for r in rows]).values_list("code", "id"))
    objs = []
    for i, r in enumerate(rows, start=1):
        if r["node"] not in nodes:
            raise Invalid(f"第 {i} 个排水户：node: 节点 {r['node']} 不存在", code="unknown_node", detail={"row": i})
        if r.get("kind") not in Source.Kind.values:
            raise Invalid(f"第 {i} 个排水户：kind: 未知类型 {r.get('kind')}", code="bad_kind", detail={"row": i})
        objs.append(Source(code=r["code"], name=r["name"], kind=r["kind"], node_id=nodes[r["node"]], permit_no=r.get("permit_no", "")))
    with transaction.atomic():
        Source.objects.bulk_create(objs, batch_size=2000)
        audit.bulk_created(objs, verb="add_sources")
        index.bump()
    return objs


def record_overflow(user: Any, node_code: str, *, occurred_at: dt.datetime, source: str = "", note: str = "") -> OverflowRecord:
    node = Node.objects.filter(code=node_code).first()
    if node is None:
        raise NotFound(f"节点 {node_code} 不存在")
    if user is not None:
        policy.require_role(user, R.ALL_ROLES, "请先登录")
    with transaction.atomic():
        rec = OverflowRecord.objects.create(node=node, occurred_at=occurred_at, source=source[:30], note=note[:200])
        audit.created(rec)
    return rec


# ================================================================= tracing

@dataclass(frozen=True)
class TraceResult:
    node: str
    direction: str
    pipes: list[str]
    nodes: list[str]
    length_m: float
    catchment: dict | None  # GeoJSON geometry of the area drained (upstream traces)
    sources: list[dict]  # connected dischargers reached: code, name, kind, node
    ends: list[str]  # downstream: the outfalls, plants and dead ends the flow reaches

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "direction": self.direction, "pipe_count": len(self.pipes), "node_count": len(self.nodes),
                "length_m": round(self.length_m, 1), "pipes": self.pipes, "nodes": self.nodes, "catchment": self.catchment,
                "sources": self.sources, "ends": self.ends}


# Beyond this many points the concave hull is computed on an even sample: the outline barely
# changes and the hull's cost grows faster than linearly.
_HULL_SAMPLE = 1500


def trace(node_code: str, direction: str = "upstream", *, catchment: bool = True) -> TraceResult:
    """Every pipe and node upstream of (draining into) or downstream of (receiving flow from) a node."""
    if direction not in ("upstream", "downstream"):
        raise Invalid("direction 应为 upstream 或 downstream", code="bad_direction")
    idx = index.get_index()
    start = idx.node_pos.get(node_code)
    if start is None:
        raise NotFound(f"节点 {node_code} 不存在", code="unknown_node")
    reach = idx.graph.reach(start, direction)
    nodes = reach.nodes
    edges = reach.edges
    hull = None
    if catchment and direction == "upstream" and nodes.size:
        hull = _catchment(idx.node_lng[nodes], idx.node_lat[nodes])
    sources = []
    if len(idx.source_node):
        hit = np.isin(idx.source_node, nodes)
        sources = [{"code": c, "name": n, "kind": k, "node": idx.node_codes[idx.source_node[i]]}
                   for i, (c, n, k) in ((i, idx.source_info[i]) for i in np.flatnonzero(hit).tolist())]
    ends: list[str] = []
    if direction == "downstream":
        g = idx.graph
        outdeg = g.out_ptr[nodes + 1] - g.out_ptr[nodes]
        ends = idx.node_codes[nodes[outdeg == 0]].tolist()
    return TraceResult(
        node=node_code, direction=direction, pipes=idx.pipe_codes[edges].tolist(), nodes=idx.node_codes[nodes].tolist(),
        length_m=float(idx.pipe_length[edges].sum()), catchment=hull, sources=sources, ends=ends,
    )


def _catchment(lng: np.ndarray, lat: np.ndarray) -> dict:
    if lng.size > _HULL_SAMPLE:
        step = int(math.ceil(lng.size / _HULL_SAMPLE))
        lng, lat = lng[::step], lat[::step]
    pts = shapely.multipoints(np.column_stack([lng, lat]))
    if lng.size < 3:
        # One or two manholes drain a strip, not an area: about 30 m around them.
        geom = pts.buffer(0.0003)
    else:
        geom = shapely.concave_hull(pts, ratio=0.15)
        if geom.geom_type != "Polygon" or geom.area == 0:
            geom = pts.convex_hull.buffer(0.0002)
    return mapping(geom)


# ================================================================= inspections (CJJ 181)

@dataclass
class InspectionImportReport:
    dry_run: bool
    rows: int = 0
    inspections: int = 0
    defects: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False
    grades: dict[str, int] = field(default_factory=dict)  # structural grade -> count

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "rows": self.rows, "inspections": self.inspections,
                "defects": self.defects, "structural_grades": self.grades, "errors": self.errors, "warnings": self.warnings}

    def as_text(self) -> str:
        head = "（试运行，未写入）" if self.dry_run else ("已写入" if self.written else "未写入任何数据")
        lines = [f"检测记录导入 {head}：{self.rows} 行，{self.inspections} 次检测，{self.defects} 处缺陷"]
        lines += [f"错误：{e}" for e in self.errors] + [f"警告：{w}" for w in self.warnings]
        return "\n".join(lines)


METHOD_ALIASES = {"cctv": "CCTV", "电视检测": "CCTV", "qv": "QV", "潜望镜": "QV", "管道潜望镜": "QV", "sonar": "SONAR",
                  "声呐": "SONAR", "声纳": "SONAR", "visual": "VISUAL", "目视": "VISUAL", "传统方法": "VISUAL"}


def _assess_pipe(pipe: Pipe, defects: list[dict]) -> cjj181.Assessment:
    return cjj181.assess(pipe.length_m, defects, diameter_mm=pipe.diameter_mm,
                         area=pipe.area_class or None, soil=pipe.soil or None)


def import_inspections(rows: Sequence[InspectionRow], *, user: Any = None, dry_run: bool = False, source_name: str = "") -> InspectionImportReport:
    """One row per defect (a row without a defect code records an inspection with none found);
    rows of the same pipe, date and method form one inspection, graded by CJJ 181."""
    report = InspectionImportReport(dry_run=dry_run, rows=len(rows))
    if user is not None:
        policy.require_role(user, {R.SYSADMIN, R.DEPT_HANDLER}, "只有系统管理员或排水权属单位人员可以导入检测记录")
    if not rows:
        report.errors.append("文件中没有数据行")
        return report
    pipe_codes = {str(r.values.get("pipe") or "").strip() for r in rows}
    pipes = {p.code: p for p in Pipe.objects.filter(code__in=pipe_codes)}
    p = policy.principal(user) if user is not None else None
    groups: dict[tuple, dict] = {}
    for r in rows:
        v = r.values
        errs = []
        code = str(v.get("pipe") or "").strip()
        pipe = pipes.get(code)
        if not code:
            errs.append("管段编号: 缺少")
        elif pipe is None:
            errs.append(f"管段编号: 管段 {code} 不存在")
        elif p is not None and not p.has({R.SYSADMIN}) and pipe.owner_id != p.unit_id:
            errs.append(f"管段编号: 管段 {code} 不属于本单位，无权录入")
        try:
            date = parse_date(v.get("date"))
            if date > dt.date.today():
                errs.append(f"检测日期: {date} 晚于今天")
        except (TypeError, ValueError):
            date = None
            errs.append(f"检测日期: 无法识别「{v.get('date')}」（应为 YYYY-MM-DD）")
        method = METHOD_ALIASES.get(str(v.get("method") or "").strip().lower())
        if method is None:
            errs.append(f"检测方法: 未知「{v.get('method') or ''}」（应为 CCTV/QV/声呐/目视）")
        defect = None
        dcode = str(v.get("code") or "").strip().upper()
        if dcode:
            ferrs: list[str] = []
            grade = _num({"缺陷等级": v.get("grade")}, "缺陷等级", ferrs, required=True, integer=True)
            pos = _num({"缺陷位置": v.get("position_m")}, "缺陷位置", ferrs, required=True, lo=0)
            dlen = _num({"缺陷长度": v.get("length_m")}, "缺陷长度", ferrs, lo=0) or 0.0
            errs += ferrs
            if not ferrs:
                try:
                    cjj181.score(dcode, grade)
                except ValueError as exc:
                    errs.append(f"缺陷代码/缺陷等级: {exc}")
                if pipe is not None and pos is not None and pos > pipe.length_m + 1.0:
                    errs.append(f"缺陷位置: {pos} 米超出管段长度 {pipe.length_m:.1f} 米")
            defect = {"code": dcode, "grade": grade, "position_m": pos, "length_m": dlen,
                      "clock": str(v.get("clock") or "")[:10], "photo": str(v.get("photo") or "")[:200]}
        if errs:
            report.errors.extend(f"第 {r.row} 行：{e}" for e in errs)
            continue
        g = groups.setdefault((code, date, method), {"pipe": pipe, "date": date, "method": method, "defects": [],
                                                     "operator": str(v.get("operator") or "")[:50],
                                                     "report_no": str(v.get("report_no") or "")[:60], "row": r.row})
        if defect:
            g["defects"].append(defect)
    if report.errors:
        return report
    existing = set(Inspection.objects.filter(pipe__code__in=pipe_codes).values_list("pipe__code", "inspected_on", "method"))
    assessed = []
    for key, g in groups.items():
        if key in existing:
            report.errors.append(f"第 {g['row']} 行：管段 {key[0]} 在 {key[1]} 的 {key[2]} 检测已录入，不能重复导入")
            continue
        try:
            a = _assess_pipe(g["pipe"], g["defects"])
        except ValueError as exc:
            report.errors.append(f"第 {g['row']} 行：管段 {key[0]}：{exc}")
            continue
        assessed.append((g, a))
    if report.errors:
        return report
    report.inspections = len(assessed)
    report.defects = sum(len(g["defects"]) for g, _ in assessed)
    for _, a in assessed:
        report.grades[str(a.structural_grade)] = report.grades.get(str(a.structural_grade), 0) + 1
    if dry_run:
        return report
    _write_inspections(assessed, source_name)
    report.written = True
    return report


def _write_inspections(assessed: list[tuple[dict, cjj181.Assessment]], source_name: str = "") -> list[Inspection]:
    with transaction.atomic():
        objs = [Inspection(pipe=g["pipe"], inspected_on=g["date"], method=g["method"], operator=g["operator"],
                           report_no=g["report_no"] or source_name[:60], structural_grade=a.structural_grade,
                           functional_grade=a.functional_grade, ri=a.RI, mi=a.MI, assessment=a.to_dict())
                for g, a in assessed]
        Inspection.objects.bulk_create(objs, batch_size=2000)
        if objs and objs[0].pk is None:  # backends without RETURNING ids
            lookup = {(i.pipe_id, i.inspected_on, i.method): i.pk for i in Inspection.objects.filter(pipe_id__in=[o.pipe_id for o in objs])}
            for o in objs:
                o.pk = o.id = lookup[(o.pipe_id, o.inspected_on, o.method)]
        defects = [Defect(inspection=o, code=d["code"], grade=d["grade"], position_m=d["position_m"], length_m=d["length_m"],
                          clock=d["clock"], photo=d["photo"]) for o, (g, _) in zip(objs, assessed) for d in g["defects"]]
        Defect.objects.bulk_create(defects, batch_size=5000)
        audit.bulk_created(objs, verb="import_inspections")
        _refresh_condition({o.pipe_id for o in objs})
    return objs


def _refresh_condition(pipe_ids: set[int]) -> None:
    """Copy each pipe's latest inspection grades onto the pipe (the map and the plan read them)."""
    latest: dict[int, Inspection] = {}
    for i in Inspection.objects.filter(pipe_id__in=pipe_ids).order_by("pipe_id", "inspected_on", "id"):
        latest[i.pipe_id] = i
    from django.db import connection

    # One parameterised UPDATE per pipe (executemany): bulk_update's CASE expressions grow with
    # the batch and cost seconds per thousand rows on SQLite.
    q = connection.ops.quote_name
    sql = (f"UPDATE {q(Pipe._meta.db_table)} SET {q('inspected_on')} = %s, {q('structural_grade')} = %s, "
           f"{q('functional_grade')} = %s, {q('ri')} = %s, {q('mi')} = %s WHERE {q('id')} = %s")
    with connection.cursor() as cur:
        cur.executemany(sql, [(i.inspected_on, i.structural_grade, i.functional_grade, i.ri, i.mi, pid) for pid, i in latest.items()])


def record_inspection(user: Any, pipe_code: str, *, inspected_on: dt.date, method: str, operator: str = "",
                      defects: Sequence[dict] = (), report_no: str = "") -> Inspection:
    """One inspection entered by hand (the form and the API); graded like an imported one."""
    rows = [InspectionRow(i + 2, {"pipe": pipe_code, "date": inspected_on, "method": method, "operator": operator,
                                  "report_no": report_no, **{k: d.get(k) for k in ("code", "grade", "position_m", "length_m", "clock", "photo")}})
            for i, d in enumerate(defects)] or [InspectionRow(2, {"pipe": pipe_code, "date": inspected_on, "method": method, "operator": operator, "report_no": report_no})]
    report = import_inspections(rows, user=user)
    if not report.ok:
        raise Invalid("；".join(e.replace("第 2 行：", "") for e in report.errors), code="bad_inspection", detail=report.errors)
    return Inspection.objects.filter(pipe__code=pipe_code, inspected_on=inspected_on).order_by("-id").first()


# ================================================================= misconnections

@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    label: str
    required: tuple[str, ...] = ()


# The misconnection workflow: what may follow from which state (the ops center acts on all).
TRANSITIONS: dict[str, Transition] = {
    "open_case": Transition(("open",), "case", "转为案件"),
    "open_task": Transition(("open",), "task", "转为督办任务", ("lead_unit", "deadline")),
    "dismiss": Transition(("open",), "dismissed", "排除", ("note",)),
    "reopen": Transition(("dismissed",), "open", "重新打开"),
}


@dataclass
class DetectReport:
    found: int = 0
    created: int = 0
    updated: int = 0
    dry_weather_checked: bool = False
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.found, "created": self.created, "updated": self.updated,
                "dry_weather_checked": self.dry_weather_checked, "messages": self.messages}


def topology_misconnections() -> list[dict]:
    """Pipes whose type does not match where they discharge (from the in-memory index)."""
    idx = index.get_index()
    g = idx.graph
    if g.n_edges == 0:
        return []
    types = idx.pipe_type
    has_out = {t: np.zeros(g.n, bool) for t in ("rain", "sewage", "combined")}
    for t, arr in has_out.items():
        arr[g.src[types == t]] = True
    dst = g.dst
    to_kind = idx.node_kind[dst]
    sewage_like = (types == "sewage") | (types == "combined")
    s2r = (sewage_like & has_out["rain"][dst]) | ((types == "sewage") & (to_kind == "outfall"))
    r2s = (types == "rain") & (has_out["sewage"][dst] | (to_kind == "plant"))
    found = []
    for e in np.flatnonzero(s2r).tolist():
        v = dst[e]
        where = "雨水排放口" if to_kind[e] == "outfall" else "雨水管"
        found.append({"kind": Misconnection.Kind.SEWAGE_TO_RAIN, "pipe": idx.pipe_codes[e],
                      "evidence": f"{TYPE_NAMES[types[e]]}管 {idx.pipe_codes[e]} 在节点 {idx.node_codes[v]} 排入{where}"})
    for e in np.flatnonzero(r2s).tolist():
        v = dst[e]
        where = "污水处理厂" if to_kind[e] == "plant" else "污水管"
        found.append({"kind": Misconnection.Kind.RAIN_TO_SEWAGE, "pipe": idx.pipe_codes[e],
                      "evidence": f"雨水管 {idx.pipe_codes[e]} 在节点 {idx.node_codes[v]} 排入{where}"})
    return found


def _dry_weather_flow(since: dt.datetime) -> list[tuple[str, str]] | None:
    try:
        from chengyun.water import services as water_services
    except ImportError:
        return None
    fn = getattr(water_services, "dry_weather_flow_outfalls", None)
    return None if fn is None else list(fn(since))


def detect_misconnections(user: Any = None, *, since: dt.datetime | None = None) -> DetectReport:
    """Record topology misconnections and rain outfalls with dry-weather flow (from the water app)."""
    if user is not None:
        policy.require_role(user, {R.SYSADMIN, R.OPS_DISPATCHER, R.OPS_SHIFT_LEADER, R.DEPT_HANDLER}, "您的角色无权运行混接错接识别")
    report = DetectReport()
    found = [dict(f, key=f"topo:{f['kind']}:{f['pipe']}") for f in topology_misconnections()]
    since = since or (timezone.now() - dt.timedelta(days=30))
    dwf = _dry_weather_flow(since)
    if dwf is None:
        report.messages.append("水务模块未提供旱天出流数据，本次只做拓扑识别")
    else:
        report.dry_weather_checked = True
        suspects = {f["pipe"] for f in found if f["kind"] == Misconnection.Kind.SEWAGE_TO_RAIN}
        for outfall_code, evidence in dwf:
            text = f"排放口 {outfall_code} 旱天出流：{evidence}"
            if outfall_code in index.get_index().node_pos:
                up = trace(outfall_code, "upstream", catchment=False)
                hits = sorted(suspects.intersection(up.pipes))
                text += f"。上游汇水 {len(up.pipes)} 根管段、{up.length_m / 1000:.1f} 公里"
                if hits:
                    text += f"，其中疑似污水混接 {len(hits)} 处：{'、'.join(hits[:10])}"
                if up.sources:
                    text += f"；上游排水户 {len(up.sources)} 个"
            found.append({"kind": Misconnection.Kind.DRY_WEATHER_FLOW, "node": outfall_code, "evidence": text, "key": f"dwf:{outfall_code}"})
    report.found = len(found)
    pipes = {p.code: p for p in Pipe.objects.filter(code__in=[f["pipe"] for f in found if f.get("pipe")])}
    nodes = {n.code: n for n in Node.objects.filter(code__in=[f["node"] for f in found if f.get("node")])}
    existing = {m.key: m for m in Misconnection.objects.filter(key__in=[f["key"] for f in found])}
    with transaction.atomic():
        for f in found:
            old = existing.get(f["key"])
            if old is not None:
                if old.status == Misconnection.Status.OPEN and old.evidence != f["evidence"]:
                    before = audit.snapshot(old)
                    old.evidence = f["evidence"]
                    old.save(update_fields=["evidence"])
                    audit.updated(old, before, verb="detect_misconnections")
                    report.updated += 1
                continue
            subject = pipes.get(f.get("pipe")) or nodes.get(f.get("node"))
            m = Misconnection.objects.create(
                key=f["key"], kind=f["kind"], evidence=f["evidence"],
                pipe=pipes.get(f.get("pipe")), node=nodes.get(f.get("node")),
                street_id=getattr(subject, "street_id", None), grid_id=getattr(subject, "grid_id", None),
                owner_id=getattr(subject, "owner_id", None),
            )
            audit.created(m, verb="detect_misconnections")
            report.created += 1
    return report


def _transition(user: Any, m: Misconnection, action: str, **values: Any) -> Transition:
    t = TRANSITIONS[action]
    policy.require_write(user, m, "只有城运中心派遣员、值班长可以处置混接错接")
    if m.status not in t.sources:
        raise Conflict(f"当前状态为「{m.get_status_display()}」，不能{t.label}", code="bad_transition")
    missing = [k for k in t.required if not values.get(k)]
    if missing:
        raise Invalid(f"{t.label}需要填写：{'、'.join(missing)}", code="missing_fields", detail={"missing": missing})
    return t


def _subject_point(m: Misconnection) -> tuple[float, float, str]:
    if m.pipe_id:
        mid = m.pipe.shape.interpolate(0.5, normalized=True)
        return mid.x, mid.y, m.pipe.road_name
    return m.node.lng, m.node.lat, m.node.name


def misconnection_to_case(user: Any, m: Misconnection) -> Misconnection:
    """Open a case (event 0130 乱倒乱排污水、废水) for the misconnection, reported by the ops center."""
    t = _transition(user, m, "open_case")
    try:
        from chengyun.cases import services as case_services
    except ImportError:
        raise Conflict("案件模块未安装，无法立案", code="cases_unavailable") from None
    lng, lat, address = _subject_point(m)
    with transaction.atomic():
        before = audit.snapshot(m)
        # Filed as the system's own report (the detection is the evidence, not a patrol's
        # sighting); who pressed the button is in this app's audit entry below.
        case = case_services.report(
            None, source="ops_grid_worker", category_code="0130", category_kind="event", lng=lng, lat=lat,
            description=f"【混接错接】{m.get_kind_display()}：{m.evidence}", address=address,
            external_id=f"drainage.misconnection.{m.pk}", extra={"misconnection": m.pk, "subject": m.subject_code},
        )
        m.status, m.case_number, m.case_id = t.target, str(case.number), case.pk
        m.save(update_fields=["status", "case_number", "case_id"])
        audit.updated(m, before, verb="open_case")
    return m


def misconnection_to_task(user: Any, m: Misconnection, *, lead_unit: Any, deadline: dt.date | None, description: str = "",
                          category: str | None = None) -> Misconnection:
    """Hand the misconnection to a supervised rectification task (督办) with a lead unit and deadline."""
    t = _transition(user, m, "open_task", lead_unit=lead_unit, deadline=deadline)
    try:
        from chengyun.supervision import services as supervision_services
    except ImportError:
        raise Conflict("督办模块未安装，无法转督办", code="supervision_unavailable") from None
    kind = "drainage.pipe" if m.pipe_id else "drainage.node"
    with transaction.atomic():
        before = audit.snapshot(m)
        task = supervision_services.create_task(
            user, title=f"混接错接整治：{m.get_kind_display()} {m.subject_code}", source="rectification",
            category=category or getattr(settings, "DRAINAGE_TASK_CATEGORY", "sewage_overflow"),
            lead_unit=lead_unit, deadline=deadline, description=description or m.evidence, links=[(kind, m.subject_code)],
        )
        m.status, m.task_id = t.target, task.pk
        m.save(update_fields=["status", "task_id"])
        audit.updated(m, before, verb="open_task")
    return m


def dismiss_misconnection(user: Any, m: Misconnection, *, note: str) -> Misconnection:
    t = _transition(user, m, "dismiss", note=(note or "").strip())
    with transaction.atomic():
        before = audit.snapshot(m)
        m.status, m.note = t.target, note.strip()[:200]
        m.save(update_fields=["status", "note"])
        audit.updated(m, before, verb="dismiss")
    return m


def reopen_misconnection(user: Any, m: Misconnection) -> Misconnection:
    t = _transition(user, m, "reopen")
    with transaction.atomic():
        before = audit.snapshot(m)
        m.status = t.target
        m.save(update_fields=["status"])
        audit.updated(m, before, verb="reopen")
    return m


# ================================================================= renovation priority and plan

DEFAULT_WEIGHTS: dict[str, float] = {
    "structural": 30, "functional": 10, "age": 15, "misconnection": 15, "overflow": 10, "road_risk": 10, "upstream": 10,
}
FACTOR_NAMES = {"structural": "结构性缺陷", "functional": "功能性缺陷", "age": "管龄/设计年限", "misconnection": "混接错接",
                "overflow": "冒溢记录", "road_risk": "上方道路塌陷风险", "upstream": "上游服务长度"}
# Design service life (年) by material; the age factor is age over this, capped at 1.
SERVICE_LIFE_YEARS: dict[str, int] = {
    "钢筋混凝土": 50, "混凝土": 40, "HDPE": 50, "PE": 50, "PVC-U": 50, "UPVC": 50, "球墨铸铁": 60, "铸铁": 50,
    "玻璃钢": 50, "砖砌": 40, "陶土": 40, "钢": 30,
}
DEFAULT_SERVICE_LIFE = 50
OVERFLOW_WINDOW_DAYS = 3 * 365
OVERFLOW_FULL = 3  # this many overflows at a pipe's ends in the window scores the factor 1

METHODS = {"replace": "开挖翻建", "lining": "非开挖内衬修复", "spot_repair": "局部修复", "dredge": "疏通清淤",
           "reconnect": "混接改造", "inspect": "CCTV检测评估"}
DIAMETER_BANDS = (400, 800, 1200, 100000)  # upper limits (mm) of the unit-cost columns
# 元/米 by method and diameter band (≤400, ≤800, ≤1200, >1200): typical municipal prices, to be replaced
# with the district's own quota by settings.DRAINAGE_UNIT_COSTS.
DEFAULT_UNIT_COSTS: dict[str, list[float]] = {
    "replace": [3500, 6000, 9500, 14000], "lining": [2200, 3800, 6000, 9000], "spot_repair": [600, 900, 1300, 1800],
    "dredge": [60, 90, 140, 200], "reconnect": [1800, 2400, 3200, 4200], "inspect": [15, 20, 30, 40],
}


def weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **getattr(settings, "DRAINAGE_PRIORITY_WEIGHTS", {})}


def unit_costs() -> dict[str, list[float]]:
    return {**DEFAULT_UNIT_COSTS, **getattr(settings, "DRAINAGE_UNIT_COSTS", {})}


_road_risk_providers: list[Callable[[], dict[str, float]]] = []


def register_road_risk(fn: Callable[[], dict[str, float]]) -> None:
    """The roads app tells the plan how risky the road above each pipe is: fn() -> {pipe code: 0..1}."""
    if fn not in _road_risk_providers:
        _road_risk_providers.append(fn)


def _road_risk() -> dict[str, float]:
    out: dict[str, float] = {}
    for fn in _road_risk_providers:
        for code, v in fn().items():
            out[code] = max(out.get(code, 0.0), float(v))
    return out


def choose_method(structural: int | None, functional: int | None, age_ratio: float, misconnected: bool) -> str | None:
    """The renovation method a pipe's condition calls for, or None when it needs nothing."""
    if structural == 4 or (structural == 3 and age_ratio >= 1):
        return "replace"
    if structural == 3 or (structural == 2 and age_ratio >= 1):
        return "lining"
    if misconnected:
        return "reconnect"
    if structural == 2:
        return "spot_repair"
    if functional is not None and functional >= 3:
        return "dredge"
    if structural is None and age_ratio >= 1:
        return "inspect"
    return None


def unit_cost(method: str, diameter_mm: int, costs: dict[str, list[float]] | None = None) -> float:
    table = (costs or unit_costs())[method]
    for limit, price in zip(DIAMETER_BANDS, table):
        if diameter_mm <= limit:
            return float(price)
    return float(table[-1])


@dataclass
class PipePriority:
    code: str
    score: float
    factors: dict[str, float]
    method: str | None
    length_m: float
    diameter_mm: int

    @property
    def cost(self) -> float:
        return 0.0 if self.method is None else unit_cost(self.method, self.diameter_mm) * self.length_m


def priority_scores(*, weights_override: dict[str, float] | None = None, year: int | None = None,
                    pipe_filter: Q | None = None) -> list[PipePriority]:
    """Score every pipe: Σ weight × factor (each factor 0..1) over Σ weights, times 100."""
    w = {**weights(), **(weights_override or {})}
    unknown = set(w) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise Invalid(f"未知的权重项：{'、'.join(sorted(unknown))}", code="bad_weights")
    if any((not isinstance(v, (int, float))) or v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise Invalid("权重应为非负数且不全为零", code="bad_weights")
    total_w = float(sum(w.values()))
    year = year or dt.date.today().year
    idx = index.get_index()
    up_len = idx.graph.upstream_length(idx.pipe_length)
    if up_len is None:
        up_len = idx.pipe_length.copy()
    up_by_code = dict(zip(idx.pipe_codes.tolist(), up_len.tolist()))
    max_up = math.log1p(max(up_len.max(), 1.0)) if up_len.size else 1.0
    misconnected = set(Misconnection.objects.exclude(status=Misconnection.Status.DISMISSED).filter(pipe__isnull=False).values_list("pipe__code", flat=True))
    since = timezone.now() - dt.timedelta(days=OVERFLOW_WINDOW_DAYS)
    overflows: dict[int, int] = defaultdict(int)
    for node_id in OverflowRecord.objects.filter(occurred_at__gte=since).values_list("node_id", flat=True):
        overflows[node_id] += 1
    road = _road_risk()
    qs = Pipe.objects.all() if pipe_filter is None else Pipe.objects.filter(pipe_filter)
    out = []
    for code, material, iy, sg, fg, length, dia, a, b in qs.values_list(
            "code", "material", "install_year", "structural_grade", "functional_grade", "length_m", "diameter_mm", "from_node_id", "to_node_id"):
        life = SERVICE_LIFE_YEARS.get(material, DEFAULT_SERVICE_LIFE)
        age_ratio = max(year - iy, 0) / life if iy else 0.0
        f = {
            "structural": (sg - 1) / 3 if sg else 0.0,
            "functional": (fg - 1) / 3 if fg else 0.0,
            "age": min(age_ratio, 1.0),
            "misconnection": 1.0 if code in misconnected else 0.0,
            "overflow": min((overflows.get(a, 0) + overflows.get(b, 0)) / OVERFLOW_FULL, 1.0),
            "road_risk": min(max(road.get(code, 0.0), 0.0), 1.0),
            "upstream": math.log1p(up_by_code.get(code, length)) / max_up,
        }
        score = 100.0 * sum(w[k] * v for k, v in f.items()) / total_w
        out.append(PipePriority(code, round(score, 2), {k: round(v, 3) for k, v in f.items()},
                                choose_method(sg, fg, age_ratio, code in misconnected), length, dia))
    out.sort(key=lambda p: (-p.score, p.code))
    return out


def select_within_budget(candidates: Sequence[PipePriority], budget: float) -> list[PipePriority]:
    """Greedy by score per yuan: highest score/cost first; ties by higher score, then by pipe code.
    A pipe that no longer fits is skipped and cheaper ones further down may still be taken."""
    eligible = [c for c in candidates if c.method is not None and c.cost > 0 and c.score > 0]
    eligible.sort(key=lambda c: (-(c.score / c.cost), -c.score, c.code))
    chosen, left = [], float(budget)
    for c in eligible:
        if c.cost <= left:
            chosen.append(c)
            left -= c.cost
    return chosen


def make_plan(user: Any, *, year: int, budget_yuan: float, name: str = "", weights_override: dict[str, float] | None = None,
              unit: Any = None, min_score: float = 0.0) -> RenovationPlan:
    """Score the network, choose pipes within the budget and store the plan (scores frozen)."""
    p = policy.principal(user) if user is not None else None
    if p is not None:
        from chengyun.geo.models import Unit

        unit = unit or (Unit.objects.filter(pk=p.unit_id).first() if p.unit_id else None)
        policy.require_create(user, RenovationPlan, unit_id=getattr(unit, "pk", None), message="只有排水权属单位人员可以编制改造计划")
    if budget_yuan is None or budget_yuan <= 0:
        raise Invalid("预算应大于 0", code="bad_budget")
    if not (2000 <= int(year) <= 2100):
        raise Invalid("年度有误", code="bad_year")
    w = {**weights(), **(weights_override or {})}
    scores = priority_scores(weights_override=weights_override, year=year)
    candidates = [s for s in scores if s.score >= min_score and s.method]
    chosen = select_within_budget(candidates, budget_yuan)
    pipe_ids = dict(Pipe.objects.filter(code__in=[c.code for c in chosen]).values_list("code", "id"))
    costs = unit_costs()
    with transaction.atomic():
        plan = RenovationPlan.objects.create(
            year=year, name=name or f"{year} 年度排水管网改造计划", budget_yuan=round(budget_yuan), weights=w, unit_costs=costs,
            total_cost_yuan=round(sum(c.cost for c in chosen)), candidates=len(candidates), unit=unit,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        PlanItem.objects.bulk_create([
            PlanItem(plan=plan, pipe_id=pipe_ids[c.code], rank=i, score=c.score, factors=c.factors, method=c.method,
                     unit_cost_yuan=unit_cost(c.method, c.diameter_mm, costs), cost_yuan=round(c.cost, 2))
            for i, c in enumerate(chosen, start=1)
        ], batch_size=2000)
        audit.created(plan, verb="make_plan")
    return plan


def plan_xlsx(plan: RenovationPlan) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "改造计划"
    ws.append([plan.name])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"预算 {plan.budget_yuan} 元，计划投资 {plan.total_cost_yuan} 元，入选 {plan.items.count()} 根 / 候选 {plan.candidates} 根"])
    factor_keys = list(DEFAULT_WEIGHTS)
    header = ["序号", "管段编号", "类别", "管径(mm)", "材质", "建设年份", "长度(m)", "所在道路", "街道", "结构性等级", "功能性等级",
              "优先分"] + [FACTOR_NAMES[k] for k in factor_keys] + ["改造方式", "单价(元/m)", "费用(元)"]
    ws.append(header)
    for c in ws[3]:
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True)
    items = plan.items.select_related("pipe", "pipe__street").order_by("rank")
    for it in items:
        pp = it.pipe
        ws.append([it.rank, pp.code, TYPE_NAMES.get(pp.type, pp.type), pp.diameter_mm, pp.material, pp.install_year,
                   round(pp.length_m, 1), pp.road_name, pp.street.name if pp.street_id else "", pp.structural_grade,
                   pp.functional_grade, it.score] + [it.factors.get(k) for k in factor_keys] +
                  [METHODS.get(it.method, it.method), it.unit_cost_yuan, round(it.cost_yuan, 0)])
    ws.append([])
    ws.append(["合计", "", "", "", "", "", round(sum(i.pipe.length_m for i in items), 1)] + [""] * (len(header) - 8) + [float(plan.total_cost_yuan)])
    ws.freeze_panes = "C4"
    p = wb.create_sheet("评分与选取规则")
    p.append(["优先分 = 100 × Σ(权重 × 分项) / Σ权重；每个分项取 0～1"])
    for k in factor_keys:
        p.append([FACTOR_NAMES[k], k, plan.weights.get(k)])
    p.append([])
    p.append(["分项说明"])
    p.append(["结构性/功能性缺陷", "(等级 − 1) / 3，取最近一次 CJJ 181 检测评估；未检测为 0"])
    p.append(["管龄/设计年限", "(年度 − 建设年份) / 材质设计年限，封顶 1"])
    p.append(["混接错接", "存在未排除的混接错接记录为 1"])
    p.append(["冒溢记录", f"近 3 年两端检查井冒溢次数 / {OVERFLOW_FULL}，封顶 1"])
    p.append(["上方道路塌陷风险", "道路模块给出的上方道路风险（0～1）"])
    p.append(["上游服务长度", "ln(1 + 上游管长) / ln(1 + 全网最大上游管长)"])
    p.append([])
    p.append(["选取规则", "按 优先分/费用 从高到低贪心选取；相同时优先分高者先，再按管段编号；放不下的跳过，继续尝试后面更便宜的"])
    p.append([])
    p.append(["单价（元/米）", "DN≤400", "DN≤800", "DN≤1200", "DN>1200"])
    for m, row in plan.unit_costs.items():
        p.append([METHODS.get(m, m)] + list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ================================================================= rain–sewage separation projects

def create_project(user: Any, *, code: str, name: str, pipe_codes: Sequence[str], unit: Any = None,
                   street: Any = None, due_on: dt.date | None = None) -> SeparationProject:
    if user is not None:
        policy.require_create(user, SeparationProject, unit_id=getattr(unit, "pk", None), message="只有实施单位人员可以新建雨污分流项目")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("项目编号和名称不能为空", code="missing_fields")
    if SeparationProject.objects.filter(code=code).exists():
        raise Conflict(f"项目编号 {code} 已存在", code="duplicate_code")
    pipes = dict(Pipe.objects.filter(code__in=list(pipe_codes)).values_list("code", "id"))
    missing = [c for c in pipe_codes if c not in pipes]
    if missing:
        raise Invalid(f"管段不存在：{'、'.join(missing[:10])}", code="unknown_pipe", detail={"missing": missing})
    with transaction.atomic():
        project = SeparationProject.objects.create(code=code, name=name, unit=unit, street=street, due_on=due_on,
                                                   status=SeparationProject.Status.ACTIVE)
        ProjectPipe.objects.bulk_create([ProjectPipe(project=project, pipe_id=pipes[c]) for c in dict.fromkeys(pipe_codes)])
        audit.created(project)
    return project


def record_progress(user: Any, project: SeparationProject, pipe_codes: Sequence[str], *, done_on: dt.date) -> dict[str, float]:
    """Mark pipes of the project finished; the project is done when all its length is."""
    if user is not None:
        policy.require_write(user, project, "只有实施单位人员可以填报进度")
    links = {pp.pipe.code: pp for pp in project.project_pipes.select_related("pipe")}
    missing = [c for c in pipe_codes if c not in links]
    if missing:
        raise Invalid(f"管段不属于该项目：{'、'.join(missing[:10])}", code="not_in_project", detail={"missing": missing})
    with transaction.atomic():
        before = project_progress(project)
        changed = [links[c] for c in pipe_codes if links[c].done_on is None]
        for pp in changed:
            pp.done_on = done_on
        ProjectPipe.objects.bulk_update(changed, ["done_on"])
        after = project_progress(project)
        if after["done_m"] >= after["total_m"] - 1e-6 and project.status != SeparationProject.Status.DONE:
            project.status = SeparationProject.Status.DONE
            project.save(update_fields=["status"])
        audit.action(project, "record_progress", before=before, after=after | {"pipes": list(pipe_codes)})
    return after


def project_progress(project: SeparationProject) -> dict[str, float]:
    agg = project.project_pipes.aggregate(total=Sum("pipe__length_m"), done=Sum("pipe__length_m", filter=Q(done_on__isnull=False)))
    total, done = agg["total"] or 0.0, agg["done"] or 0.0
    return {"total_m": round(total, 1), "done_m": round(done, 1), "ratio": round(done / total, 4) if total else 0.0}


# ================================================================= for other apps (roads)

def pipe_lines() -> tuple[list[str], np.ndarray, np.ndarray]:
    """(codes, shapely LineStrings, structural grade or 0) of every pipe, for spatial joins."""
    rows = list(Pipe.objects.order_by("id").values_list("code", "geometry", "structural_grade"))
    codes = [r[0] for r in rows]
    geoms = shapely.from_geojson([r[1] for r in rows]) if rows else np.empty(0, dtype=object)
    grades = np.array([r[2] or 0 for r in rows], dtype=np.int64)
    return codes, geoms, grades


LEAKAGE_CODES = ("SL", "PL", "TJ")  # 渗漏, 破裂, 脱节: the defects that wash soil into a pipe


def leakage_defects(pipe_codes: Iterable[str] | None = None) -> dict[str, list[tuple[str, int]]]:
    """Leakage-type defects (SL, PL, TJ with grade) of each pipe's latest inspection."""
    qs = Inspection.objects.all()
    if pipe_codes is not None:
        qs = qs.filter(pipe__code__in=list(pipe_codes))
    latest: dict[int, tuple[dt.date, int, str]] = {}
    for pid, iid, day, code in qs.values_list("pipe_id", "id", "inspected_on", "pipe__code"):
        if pid not in latest or (day, iid) > latest[pid][:2]:
            latest[pid] = (day, iid, code)
    by_insp = {v[1]: v[2] for v in latest.values()}
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for iid, code, grade in Defect.objects.filter(inspection_id__in=list(by_insp), code__in=LEAKAGE_CODES).values_list("inspection_id", "code", "grade"):
        out[by_insp[iid]].append((code, grade))
    return dict(out)


def condition_version() -> str:
    """Changes whenever the network or any pipe's condition changes (for caches in other apps)."""
    from django.db.models import Count, Max

    agg = Inspection.objects.aggregate(n=Count("id"), last=Max("id"))
    return f"{stamps.version(index.STAMP)}:{agg['n']}:{agg['last'] or 0}"
