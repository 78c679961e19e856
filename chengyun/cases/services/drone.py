"""Drone patrol import: one flight's detections become cases, or duplicate reports of open ones."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from chengyun.core import audit, notify
from chengyun.core.errors import Conflict, Invalid
from chengyun.geo import services as geo
from chengyun.people import policy
from chengyun.people import roles as R

from .. import bulk, freshness, standard, workflow
from ..models import Case, CaseEvent, Category, DroneFlight
from . import clocks
from .actors import _actor_name, _person_id, policy_person_grids
from .clocks import SHANGHAI, _start_stage
from .dispatch import _UnitSuggester
from .duplicates import EARTH_M_PER_DEG, distance_m
from .reporting import _allocate_numbers


@dataclass
class DroneImportResult:
    flight_id: str
    already_imported: bool
    detections: int
    created: int
    duplicates: int
    outside: int
    case_numbers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"flight_id": self.flight_id, "already_imported": self.already_imported, "detections": self.detections, "created": self.created,
                "duplicates": self.duplicates, "outside": self.outside, "case_numbers": self.case_numbers}


def _parse_time(value: Any, where: str, errors: list[str]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors.append(f"{where}“time”应为带时区的 ISO 8601 时间")
        return None
    if t.tzinfo is None:
        errors.append(f"{where}“time”必须带时区偏移")
        return None
    return t


def import_drone_flight(user: Any, payload: dict[str, Any]) -> DroneImportResult:
    """A patrol flight's detections → located, de-duplicated, waiting for on-site verification.

    Importing the same flight again returns the first import's result and changes nothing.
    """
    import numpy as np

    if user is not None:
        policy.require_role(user, {R.DRONE_OPERATOR, R.OPS_SHIFT_LEADER, R.SYSADMIN}, "只有无人机飞手或值班长可以导入巡查结果")
    if not isinstance(payload, dict):
        raise Invalid("请求体应为 JSON 对象", code="bad_payload")
    flight_id = str(payload.get("flight_id") or "").strip()
    detections = payload.get("detections")
    errors: list[str] = []
    if not flight_id:
        errors.append("缺少 flight_id")
    if not isinstance(detections, list):
        errors.append("detections 应为数组")
        detections = []
    done = DroneFlight.objects.filter(flight_id=flight_id).first() if flight_id else None
    if done is not None:
        numbers = list(Case.objects.filter(source="drone", external_id__startswith=f"{flight_id}:").order_by("number").values_list("number", flat=True))
        return DroneImportResult(flight_id, True, done.detections, done.created, done.duplicates, done.outside, numbers)
    categories = {(c.kind, c.code): c for c in Category.objects.filter(active=True)}
    rows = []
    for i, d in enumerate(detections):
        where = f"detections[{i}] "
        if not isinstance(d, dict):
            errors.append(f"{where}应为对象")
            continue
        kind = standard.KIND_BY_NAME.get(str(d.get("category_kind", "event")), None)
        cat = categories.get((kind, str(d.get("category_code", ""))))
        if cat is None:
            errors.append(f"{where}“category_code”类别不存在：{d.get('category_kind', 'event')} {d.get('category_code')}")
        try:
            lng, lat = float(d["lng"]), float(d["lat"])
            if not (math.isfinite(lng) and math.isfinite(lat)):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            errors.append(f"{where}“lng/lat”应为数字")
            continue
        crs = str(d.get("crs") or "wgs84").lower()
        if crs not in ("wgs84", "cgcs2000", "gcj02", "bd09"):
            errors.append(f"{where}“crs”应为 wgs84、cgcs2000、gcj02 或 bd09")
        conf = d.get("confidence")
        if conf is not None:
            try:
                conf = float(conf)
                if not 0 <= conf <= 1:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(f"{where}“confidence”应为 0 到 1 之间的数")
        when = _parse_time(d.get("time"), where, errors)
        rows.append({"i": i, "id": str(d.get("id") or i), "cat": cat, "lng": lng, "lat": lat, "crs": crs, "confidence": conf,
                     "image": str(d.get("image") or "")[:500], "time": when})
    if errors:
        raise Invalid(f"巡查数据有 {len(errors)} 处错误，未导入", code="bad_detections", detail=errors[:200])
    now = clocks.current_time()
    # Locate per coordinate system, vectorised.
    gi = np.full(len(rows), -1, dtype=np.int64)
    wlng = np.array([r["lng"] for r in rows], dtype=float)
    wlat = np.array([r["lat"] for r in rows], dtype=float)
    idx = None
    for crs in {r["crs"] for r in rows}:
        sel = np.array([r["crs"] == crs for r in rows], dtype=bool)
        from chengyun.standards import coords

        if crs in ("gcj02", "bd09"):
            wlng[sel], wlat[sel] = coords.to_wgs84_array(wlng[sel], wlat[sel], crs)
        hits, idx = geo.locate_many(wlng[sel], wlat[sel], "wgs84")
        gi[sel] = hits
    # De-duplicate against open cases and within the batch with a spatial hash per class.
    buckets: dict[tuple, list[tuple[float, float, Any]]] = {}

    def cell_key(cat, lng, lat):
        size = cat.duplicate_radius_m / EARTH_M_PER_DEG
        return (cat.pk, int(math.floor(lng / size)), int(math.floor(lat / size)))

    def find(cat, lng, lat):
        k0, kx, ky = cell_key(cat, lng, lat)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for (olng, olat, ref) in buckets.get((k0, kx + dx, ky + dy), ()):
                    if distance_m(lng, lat, olng, olat) <= cat.duplicate_radius_m:
                        return ref
        return None

    inside = [k for k in range(len(rows)) if gi[k] >= 0]
    if inside:
        cats = {rows[k]["cat"].pk: rows[k]["cat"] for k in inside}
        window = max(c.duplicate_window_hours for c in cats.values())
        pad = max(c.duplicate_radius_m for c in cats.values()) / EARTH_M_PER_DEG * 2
        open_cases = Case.objects.filter(category_id__in=list(cats), status__in=workflow.OPEN, reported_at__gte=now - dt.timedelta(hours=window),
                                         lng__range=(float(wlng[inside].min()) - pad, float(wlng[inside].max()) + pad),
                                         lat__range=(float(wlat[inside].min()) - pad, float(wlat[inside].max()) + pad))
        for cid, cat_id, lng, lat, rep in open_cases.values_list("id", "category_id", "lng", "lat", "reported_at"):
            cat = cats[cat_id]
            if rep >= now - dt.timedelta(hours=cat.duplicate_window_hours):
                buckets.setdefault(cell_key(cat, lng, lat), []).append((lng, lat, ("case", cid)))
    suggester = _UnitSuggester()
    new_cases: list[Case] = []
    dup_existing: dict[int, int] = {}
    duplicates = 0
    stage_probe = Case(status=workflow.VERIFYING)
    _start_stage(stage_probe, workflow.VERIFYING, now)
    for k in inside:
        r = rows[k]
        cat, lng, lat = r["cat"], float(wlng[k]), float(wlat[k])
        ref = find(cat, lng, lat)
        if ref is not None:
            duplicates += 1
            if ref[0] == "case":
                dup_existing[ref[1]] = dup_existing.get(ref[1], 0) + 1
            else:
                ref[1].reporter_count += 1
                ref[1].extra.setdefault("detections", []).append(r["id"])
            continue
        grid = idx.grids[int(gi[k])]
        case = Case(category=cat, source="drone", status=workflow.VERIFYING, description=f"无人机巡查识别：{cat.name}（置信度 {r['confidence']:.2f}）" if r["confidence"] is not None else f"无人机巡查识别：{cat.name}",
                    lng=lng, lat=lat, street_id=grid.street_id, community_id=grid.community_id, grid_id=grid.id, reporter=user, reporter_person_id=_person_id(user),
                    reporter_name=_actor_name(user) if user is not None else "无人机巡查", external_id=f"{flight_id}:{r['id']}",
                    needs_verification=True, occurred_at=r["time"] or now, reported_at=now,
                    extra={"flight_id": flight_id, "detections": [r["id"]], "confidence": r["confidence"], "image": r["image"]},
                    suggested_unit=suggester.suggest(cat, grid.street_id, grid.community_id, grid.id),
                    stage_started_at=now, stage_deadline=stage_probe.stage_deadline, stage_warning_at=stage_probe.stage_warning_at,
                    stage_limit_amount=stage_probe.stage_limit_amount, stage_limit_unit=stage_probe.stage_limit_unit)
        new_cases.append(case)
        buckets.setdefault(cell_key(cat, lng, lat), []).append((lng, lat, ("new", case)))
    with transaction.atomic():
        try:
            flight = DroneFlight.objects.create(flight_id=flight_id, imported_by=user, detections=len(rows), created=len(new_cases),
                                                duplicates=duplicates, outside=len(rows) - len(inside))
        except IntegrityError:
            raise Conflict("该架次正在导入", code="flight_importing") from None
        numbers = _allocate_numbers(now.astimezone(SHANGHAI).date(), len(new_cases)) if new_cases else []
        for case, number, pk in zip(new_cases, numbers, bulk.reserve_ids(Case, len(new_cases))):
            case.number, case.pk, case.updated_at = number, pk, now
        bulk.fast_insert(Case, new_cases)
        actor_name = _actor_name(user)
        person_id = _person_id(user)
        user_id = user.pk if user is not None else None
        events = []
        for case in new_cases:
            events.append({"case_id": case.pk, "at": now, "action": "report", "to_status": workflow.REPORTED, "actor_id": user_id,
                           "actor_person_id": person_id, "actor_name": actor_name, "note": case.description, "data": {"source": "drone", "flight_id": flight_id}})
            events.append({"case_id": case.pk, "at": now, "action": "send_verify", "from_status": workflow.REPORTED, "to_status": workflow.VERIFYING,
                           "actor_name": "系统", "note": "无人机巡查结果自动派发网格员核实", "data": {}})
        by_count: dict[int, list[int]] = {}
        for cid, n in dup_existing.items():
            events.append({"case_id": cid, "at": now, "action": "duplicate_report", "actor_id": user_id, "actor_person_id": person_id,
                           "actor_name": actor_name, "data": {"flight_id": flight_id, "count": n}})
            by_count.setdefault(n, []).append(cid)
        for n, ids in by_count.items():
            Case.objects.filter(pk__in=ids).update(reporter_count=F("reporter_count") + n, updated_at=now)
            freshness.changed()
        for event, pk in zip(events, bulk.reserve_ids(CaseEvent, len(events))):
            event["id"] = pk
        bulk.fast_insert(CaseEvent, events)
        # One audit entry for the flight names every case it created and every case it added reports to.
        audit.action(flight, "import_drone_flight", after={"flight_id": flight_id, "detections": len(rows), "created": len(new_cases),
                                                           "duplicates": duplicates, "outside": len(rows) - len(inside),
                                                           "case_numbers": numbers, "reports_added_to": sorted(dup_existing)})
    per_grid: dict[int, int] = {}
    for case in new_cases:
        per_grid[case.grid_id] = per_grid.get(case.grid_id, 0) + 1
    from django.contrib.auth import get_user_model

    # One notification per grid worker for the whole flight, counting the cases in their grids.
    Through = policy_person_grids()
    per_user: dict[int, int] = {}
    for grid_id, user_id in (Through.objects.filter(grid_id__in=list(per_grid), person__active=True, person__user__isnull=False,
                                                    person__roles__code__in=list(workflow.GRID_WORKERS))
                             .values_list("grid_id", "person__user_id").distinct()):
        per_user[user_id] = per_user.get(user_id, 0) + per_grid[grid_id]
    users = get_user_model().objects.in_bulk(list(per_user))
    for user_id, n in per_user.items():
        notify.notify([users[user_id]], f"无人机巡查 {flight_id}：您负责的网格有 {n} 件待现场核实", url="/cases/inbox/", dedup_key=f"drone:{flight_id}", kind="case_assigned")
    return DroneImportResult(flight_id, False, len(rows), len(new_cases), duplicates, len(rows) - len(inside), sorted(numbers))
