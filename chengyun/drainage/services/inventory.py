"""The pipe network inventory: network import, connected dischargers (排水户) and overflow records.

Imports are all-or-nothing: a file with any error writes nothing, and the report names the
feature and the field. Topology problems that real survey data often carries (dangling ends,
reverse slopes, parallel duplicates, type conflicts) are warnings; what would make tracing
wrong (unknown nodes, self-loops, directed cycles) is an error.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import shapely
from django.db import transaction
from pyproj import Geod
from shapely.geometry import LineString, mapping, shape

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.core.importing import ImportOutcome
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced
from chengyun.standards import cjj181

from .. import index
from ..importers import NetFeature
from ..models import Node, OverflowRecord, Pipe, Source


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


@dataclass
class NetworkImportReport(ImportOutcome):
    dry_run: bool
    nodes_total: int = 0
    pipes_total: int = 0
    created: dict[str, int] = field(default_factory=lambda: {"nodes": 0, "pipes": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"nodes": 0, "pipes": 0})
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "nodes": self.nodes_total,
                "pipes": self.pipes_total, "created": self.created, "updated": self.updated,
                "errors": self.errors, "warnings": self.warnings}

    def as_text(self, max_lines: int = 200) -> str:
        return self.lines_text(f"管网导入 {self.outcome()}：节点 {self.nodes_total} 个（新增 {self.created['nodes']}，更新 {self.updated['nodes']}），"
                               f"管段 {self.pipes_total} 根（新增 {self.created['pipes']}，更新 {self.updated['pipes']}）；"
                               f"错误 {len(self.errors)} 条，警告 {len(self.warnings)} 条", max_lines)


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


def _unique_code(f: NetFeature, errs: list[str], seen: dict[str, str]) -> str:
    """The feature's code; a code an earlier feature of the import already has is an error naming that one."""
    code = _code(f.properties, errs)
    if code:
        if code in seen:
            errs.append(f"code: 与{seen[code]}重复")
        else:
            seen[code] = f.label
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
        code = _unique_code(f, errs, seen_node)
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
        code = _unique_code(f, errs, seen_pipe)
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
    from ..graph import FlowGraph

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


def _upsert_by_code(model, fields: Sequence[str], rows: list[tuple[str, dict]]) -> tuple[list[dict], list[tuple[Any, dict]]]:
    """Insert the rows whose code is new and update the stored ones whose values differ.

    Returns the inserted rows and (object, snapshot before) of each changed one, for the audit.
    """
    existing = {obj.code: obj for obj in model.objects.filter(code__in=[code for code, _ in rows])}
    new, changed = [], []
    for code, values in rows:
        old = existing.get(code)
        if old is None:
            new.append({"code": code, **values})
        elif any(getattr(old, k) != v for k, v in values.items()):
            before = audit.snapshot(old)
            for k, v in values.items():
                setattr(old, k, v)
            changed.append((old, before))
    _insert(model, new)
    if changed:
        model.objects.bulk_update([obj for obj, _ in changed], fields, batch_size=200)
    return new, changed


def _write_network(node_rows: dict, pipe_rows: dict, stored_nodes: dict, report: NetworkImportReport) -> None:
    with transaction.atomic():
        nodes = list(node_rows.values())
        grids, streets = _areas(np.array([n["lng"] for n in nodes]), np.array([n["lat"] for n in nodes]))
        new_nodes, changed_nodes = _upsert_by_code(Node, NODE_FIELDS, [
            (r["code"], {k: r[k] for k in ("kind", "name", "lng", "lat", "ground_m", "owner_id")} | {"grid_id": g, "street_id": s})
            for r, g, s in zip(nodes, grids, streets)])
        node_id = dict(Node.objects.filter(code__in=list({r["from"] for r in pipe_rows.values()} | {r["to"] for r in pipe_rows.values()} | set(node_rows))).values_list("code", "id"))

        pipes = list(pipe_rows.values())
        mids = [r["geom"].interpolate(0.5, normalized=True) for r in pipes]
        grids, streets = _areas(np.array([m.x for m in mids]), np.array([m.y for m in mids]))
        new_pipes, changed_pipes = _upsert_by_code(Pipe, PIPE_FIELDS, [(r["code"], {
            "type": r["type"], "diameter_mm": r["diameter_mm"], "material": r["material"], "install_year": r["install_year"],
            "length_m": round(r["length_m"], 2), "from_node_id": node_id[r["from"]], "to_node_id": node_id[r["to"]],
            "up_invert_m": r["up_invert_m"], "down_invert_m": r["down_invert_m"], "road_name": r["road_name"],
            "area_class": r["area_class"], "soil": r["soil"], "owner_id": r["owner_id"],
            "geometry": json.dumps(mapping(r["geom"])), "grid_id": g, "street_id": s,
        }) for r, g, s in zip(pipes, grids, streets)])
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
    node = referenced(Node.objects, node_code, what="节点", field="node_code", lookup="code", optional=False, code="unknown_node")
    if user is not None:
        policy.require_role(user, R.ALL_ROLES, "请先登录")
    with transaction.atomic():
        rec = OverflowRecord.objects.create(node=node, occurred_at=occurred_at, source=source[:30], note=note[:200])
        audit.created(rec)
    return rec
