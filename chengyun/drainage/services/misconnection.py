"""Misconnections (混接错接): detection from the network's topology and the water app's dry-weather
flow, and the one action each takes — a case, a supervision task, dismissed or reopened.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.people import roles as R

from .. import index
from ..models import Misconnection, Node, Pipe
from .inventory import TYPE_NAMES
from .tracing import trace


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
