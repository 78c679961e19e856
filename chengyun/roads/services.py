"""Every write of the roads app; survey coverage; collapse risk per road segment.

Collapse risk (0–100) is a transparent weighted score, kept with its factors on the segment:

    risk = 100 × min(1, traffic × (w_c·C + w_p·P + w_l·L) / (w_c + w_p + w_l))

C  cavities found by GPR under the segment (open findings): Σ kind × span × roof depth, capped;
P  structurally defective pipes beneath (grade Ⅲ counts ½, Ⅳ counts 1; three make it 1);
L  leakage-type defects of those pipes (SL, PL, TJ: grade/4 each, weighted by code; three make it 1);
traffic  the CJJ 37 traffic class multiplier (light 0.8 … extra heavy 1.4).

A pipe lies "beneath" a segment when its midpoint is within half the road width plus 3 m
of the road's centre line (the trench and the soil it can wash out).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from pyproj import Geod
from shapely.geometry import mapping, shape

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.lookup import referenced

from .models import HazardFinding, HazardSurvey, RiskRun, RoadSegment, SurveyedSegment

_GEOD = Geod(ellps="WGS84")

KIND_WEIGHT = {"cavity": 1.0, "void": 0.7, "loose": 0.4}
TRAFFIC_FACTOR = {"light": 0.8, "medium": 1.0, "heavy": 1.2, "extra_heavy": 1.4}
LEAK_CODE_WEIGHT = {"SL": 1.0, "PL": 0.8, "TJ": 0.8}
DEFAULT_RISK_WEIGHTS = {"cavity": 50, "pipes": 25, "leakage": 25}
PIPE_MARGIN_M = 3.0
FULL_CAVITY = 1.5  # Σ cavity contributions at which C reaches 1
LEVELS = ((60, "高"), (30, "中"), (0.0001, "低"))


def risk_weights() -> dict[str, float]:
    return {**DEFAULT_RISK_WEIGHTS, **getattr(settings, "ROADS_RISK_WEIGHTS", {})}


def _require_roads_writer(user: Any, model, unit_id: int | None = None, message: str = "") -> None:
    if user is not None:
        policy.require_create(user, model, unit_id=unit_id, message=message or "您无权维护道路数据")


def _street_of(geom) -> int | None:
    from chengyun.geo import services as geo_services
    from chengyun.geo.services import OutsideDistrict

    mid = geom.interpolate(0.5, normalized=True)
    try:
        return geo_services.locate(mid.x, mid.y).grid.street_id
    except OutsideDistrict:
        return None


# ---------------------------------------------------------------- segments

@dataclass
class SegmentImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "total": self.total, "created": self.created, "updated": self.updated, "errors": self.errors, "written": self.written}


CLASS_ALIASES = {"expressway": "expressway", "快速路": "expressway", "arterial": "arterial", "主干路": "arterial",
                 "secondary": "secondary", "次干路": "secondary", "branch": "branch", "支路": "branch"}
TRAFFIC_ALIASES = {"light": "light", "轻": "light", "轻交通": "light", "medium": "medium", "中": "medium", "中等交通": "medium",
                   "heavy": "heavy", "重": "heavy", "重交通": "heavy", "extra_heavy": "extra_heavy", "特重": "extra_heavy", "特重交通": "extra_heavy"}


def _segment_row(props: dict, geometry: Any, errs: list[str]) -> tuple[dict | None, list[str]]:
    """One segment's checked values from a feature's properties and geometry, or the problems
    ("field: message") that keep it out; the import and the drawn segment share these checks."""
    code = str(props.get("code") or "").strip()
    if not code:
        errs.append("code: 缺少编号")
    elif len(code) > 40:
        errs.append("code: 编号最长 40 个字符")
    name = str(props.get("name") or "").strip()
    if not name:
        errs.append("name: 缺少道路名称")
    rc = CLASS_ALIASES.get(str(props.get("class") or props.get("road_class") or "").strip().lower())
    if rc is None:
        errs.append(f"class: 未知的道路等级「{props.get('class') or props.get('road_class') or ''}」")
    traffic = TRAFFIC_ALIASES.get(str(props.get("traffic") or "medium").strip().lower())
    if traffic is None:
        errs.append(f"traffic: 未知的交通等级「{props.get('traffic')}」")
    try:
        width = float(props.get("width_m") or 12)
        if not 2 <= width <= 120:
            raise ValueError
    except (TypeError, ValueError):
        errs.append(f"width_m: 路幅宽度应为 2～120 米，实际为「{props.get('width_m')}」")
        width = None
    geom = None
    try:
        geom = shape(geometry) if geometry else None
    except Exception as exc:
        errs.append(f"geometry: 无法解析（{exc}）")
    if geom is not None and geom.geom_type == "MultiLineString":
        geom = shapely.line_merge(geom)
    if geom is None or geom.geom_type != "LineString" or geom.is_empty:
        errs.append("geometry: 路段应为一条 LineString")
    elif len(set(geom.coords)) < 2:
        errs.append("geometry: 路段至少需要两个不同的点")
    if errs:
        return None, errs
    return {"code": code, "name": name[:100], "road_class": rc, "traffic": traffic, "width_m": width, "geom": geom}, errs


def _segment_values(row: dict, owner: Any) -> dict:
    """The stored values of a checked row: the length on the WGS84 ellipsoid in metres (pyproj's
    geodesic, not degrees), the GeoJSON line, the street its midpoint lies in."""
    return {"name": row["name"], "road_class": row["road_class"], "traffic": row["traffic"], "width_m": row["width_m"],
            "length_m": round(float(_GEOD.geometry_length(row["geom"])), 1), "geometry": json.dumps(mapping(row["geom"])),
            "street_id": _street_of(row["geom"]), "owner": owner}


SEGMENT_WRITERS = frozenset({R.SYSADMIN, R.DEPT_HANDLER})


def may_write_segments(user: Any) -> bool:
    """Whether the user may draw or import road segments (the pages hide the buttons otherwise)."""
    return policy.principal(user).has(SEGMENT_WRITERS)


def create_segment(user: Any, *, code: str, name: str, road_class: str, geometry: Any, traffic: str = "medium",
                   width_m: float | str | None = 12) -> RoadSegment:
    """One segment drawn on the map: the import's checks, a new code only (an import may update)."""
    from chengyun.geo.models import Unit

    if user is not None:
        policy.require_role(user, SEGMENT_WRITERS, "只有系统管理员或道路管养单位可以新建路段")
    if isinstance(geometry, str):
        try:
            geometry = json.loads(geometry) if geometry.strip() else None
        except ValueError:
            raise Invalid("线形不是有效的 GeoJSON", code="bad_geometry", detail={"field": "geometry"}) from None
    row, errs = _segment_row({"code": code, "name": name, "class": road_class, "traffic": traffic, "width_m": width_m}, geometry, [])
    if errs:
        field_name, _sep, message = errs[0].partition(": ")
        raise Invalid(message, code="bad_segment", detail={"field": {"class": "road_class"}.get(field_name, field_name), "problems": errs})
    if RoadSegment.objects.filter(code=row["code"]).exists():
        raise Conflict(f"路段编号 {row['code']} 已存在", code="duplicate_code", detail={"field": "code"})
    p = policy.principal(user) if user is not None else None
    owner = Unit.objects.filter(pk=p.unit_id).first() if p is not None and p.has({R.DEPT_HANDLER}) and p.unit_id else None
    with transaction.atomic():
        seg = RoadSegment.objects.create(code=row["code"], **_segment_values(row, owner))
        audit.created(seg)
    return seg


def import_segments(features: Sequence[Any], *, user: Any = None, dry_run: bool = False, owner_code: str | None = None) -> SegmentImportReport:
    """Road segments from GeoJSON-like features (properties code, name, class, traffic, width_m); all or nothing."""
    from chengyun.geo.models import Unit

    if user is not None:
        policy.require_role(user, SEGMENT_WRITERS, "只有系统管理员或道路管养单位可以导入路段")
    report = SegmentImportReport(total=len(features))
    owner = Unit.objects.filter(code=owner_code).first() if owner_code else None
    if owner_code and owner is None:
        report.errors.append(f"owner: 管养单位 {owner_code} 不存在")
    rows, seen = [], {}
    for f in features:
        label = f.label
        row, errs = _segment_row(f.properties, f.geometry, list(getattr(f, "errors", [])))
        code = row["code"] if row else str(f.properties.get("code") or "").strip()
        if code and code in seen:
            errs.append(f"code: 与{seen[code]}重复")
        elif code:
            seen[code] = label
        if errs:
            report.errors.extend(f"{label}：{e}" for e in errs)
            continue
        rows.append(row)
    if report.errors or dry_run:
        return report
    existing = {s.code: s for s in RoadSegment.objects.filter(code__in=[r["code"] for r in rows])}
    with transaction.atomic():
        new = []
        for r in rows:
            values = _segment_values(r, owner)
            old = existing.get(r["code"])
            if old is None:
                new.append(RoadSegment(code=r["code"], **values))
            else:
                audit.save_changes(old, values, verb="import_segments")
                report.updated += 1
        RoadSegment.objects.bulk_create(new, batch_size=2000)
        audit.bulk_created(new, verb="import_segments")
        report.created = len(new)
    report.written = True
    return report


# ---------------------------------------------------------------- hazard surveys

def create_survey(user: Any, *, code: str, name: str, started_on: dt.date, deadline: dt.date, unit: Any = None, method: str = "GPR") -> HazardSurvey:
    _require_roads_writer(user, HazardSurvey, getattr(unit, "pk", None), "只有实施单位人员可以新建排查")
    if not code or not name:
        raise Invalid("排查编号和名称不能为空", code="missing_fields")
    if deadline < started_on:
        raise Invalid("完成期限早于开始日期", code="bad_deadline")
    if HazardSurvey.objects.filter(code=code).exists():
        raise Conflict(f"排查编号 {code} 已存在", code="duplicate_code")
    with transaction.atomic():
        survey = HazardSurvey.objects.create(code=code, name=name, started_on=started_on, deadline=deadline, unit=unit, method=method)
        audit.created(survey)
    return survey


def record_surveyed(user: Any, survey: HazardSurvey, segment_codes: Sequence[str], *, surveyed_on: dt.date, operator: str = "") -> int:
    """Mark road segments as surveyed on a date (their coverage counts from then)."""
    if user is not None:
        policy.require_write(user, survey, "只有实施单位人员可以填报排查进度")
    if survey.status == HazardSurvey.Status.DONE:
        raise Conflict("该排查已完成，不能再填报", code="survey_done")
    if surveyed_on < survey.started_on:
        raise Invalid(f"排查日期 {surveyed_on} 早于排查开始日期 {survey.started_on}", code="bad_date")
    segs = dict(RoadSegment.objects.filter(code__in=list(segment_codes)).values_list("code", "id"))
    missing = [c for c in segment_codes if c not in segs]
    if missing:
        raise Invalid(f"路段不存在：{'、'.join(missing[:10])}", code="unknown_segment", detail={"missing": missing})
    done = set(survey.surveyed.values_list("segment_id", flat=True))
    new = [SurveyedSegment(survey=survey, segment_id=segs[c], surveyed_on=surveyed_on, operator=operator[:50])
           for c in dict.fromkeys(segment_codes) if segs[c] not in done]
    with transaction.atomic():
        SurveyedSegment.objects.bulk_create(new, batch_size=2000)
        audit.action(survey, "record_surveyed", after={"segments": [c for c in segment_codes], "surveyed_on": surveyed_on, "new": len(new)})
    return len(new)


def add_finding(user: Any, survey: HazardSurvey | None, *, segment_code: str, kind: str, depth_m: float, length_m: float,
                width_m: float, height_m: float = 0.0, lng: float, lat: float, found_on: dt.date, code: str | None = None,
                note: str = "") -> HazardFinding:
    if user is not None:
        if survey is not None:
            policy.require_write(user, survey, "只有实施单位人员可以录入隐患点")
        else:
            policy.require_role(user, {R.SYSADMIN, R.DEPT_HANDLER})
    seg = referenced(RoadSegment.objects, segment_code, what="路段", field="segment", lookup="code", optional=False, code="unknown_segment")
    _check_finding(kind=kind, depth_m=depth_m, length_m=length_m, width_m=width_m, height_m=height_m, lng=lng, lat=lat)
    with transaction.atomic():
        code = code or f"{seg.code}-H{(HazardFinding.objects.filter(segment=seg).count() + 1):02d}"
        if HazardFinding.objects.filter(code=code).exists():
            raise Conflict(f"隐患编号 {code} 已存在", code="duplicate_code")
        f = HazardFinding.objects.create(survey=survey, segment=seg, code=code, kind=kind, depth_m=depth_m, length_m=length_m,
                                         width_m=width_m, height_m=height_m, lng=lng, lat=lat, found_on=found_on, note=note[:200])
        audit.created(f)
    return f


FINDING_SIZES = {"depth_m": (0, 30), "length_m": (0.05, 200), "width_m": (0.05, 200), "height_m": (0, 30)}
FINDING_FIELDS = frozenset({"segment_code", "kind", *FINDING_SIZES, "lng", "lat", "found_on", "note"})
SURVEY_FIELDS = frozenset({"name", "method", "status", "unit", "started_on", "deadline"})
FINDINGS_STAMP = "roads.findings"  # bumped by edits, which move neither the newest id nor the treated count


def _check_finding(**values: Any) -> None:
    if "kind" in values and values["kind"] not in KIND_WEIGHT:
        raise Invalid(f"未知的隐患类型：{values['kind']}（应为 cavity 空洞 / void 脱空 / loose 疏松）", code="bad_kind", detail={"field": "kind"})
    for fname, (lo, hi) in FINDING_SIZES.items():
        if fname in values:
            v = values[fname]
            if v is None or not math.isfinite(v) or not lo <= v <= hi:
                raise Invalid(f"{fname} 应在 {lo}～{hi} 米之间", code="bad_size", detail={"field": fname})
    for fname, lo, hi in (("lng", -180, 180), ("lat", -90, 90)):
        if fname in values:
            v = values[fname]
            if v is None or not math.isfinite(v) or not lo <= v <= hi:
                raise Invalid("隐患点位置应为经纬度", code="bad_location", detail={"field": fname})


def update_finding(user: Any, finding: HazardFinding, **changes: Any) -> HazardFinding:
    """Correct a finding (position, segment, kind, size, date, note); the collapse risk follows."""
    from chengyun.core import stamps

    if user is not None:
        policy.require_write(user, finding, "只有实施单位人员可以修改隐患点")
    unknown = set(changes) - FINDING_FIELDS
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    _check_finding(**{k: v for k, v in changes.items() if k not in ("segment_code", "found_on", "note")})
    if "segment_code" in changes:
        seg = RoadSegment.objects.filter(code=changes.pop("segment_code")).first()
        if seg is None:
            raise Invalid("路段不存在", code="unknown_segment", detail={"field": "segment"})
        changes["segment"] = seg
    if "note" in changes:
        changes["note"] = (changes["note"] or "")[:200]
    with transaction.atomic():
        before = audit.snapshot(finding)
        for k, v in changes.items():
            setattr(finding, k, v)
        finding.save()
        if audit.updated(finding, before) is not None:
            stamps.bump(FINDINGS_STAMP)
    return finding


def nearest_segment(lng: float, lat: float, within_m: float = 60.0) -> RoadSegment | None:
    """The road segment nearest to a point picked on the map, if one lies within `within_m`."""
    segments = list(RoadSegment.objects.all())
    if not segments:
        return None
    geoms = _to_local_m(np.array([s.shape for s in segments], dtype=object), lat)
    point = _to_local_m(np.array([shapely.Point(lng, lat)], dtype=object), lat)[0]
    dist = shapely.distance(geoms, point)
    i = int(np.argmin(dist))
    return segments[i] if dist[i] <= within_m else None


def update_survey(user: Any, survey: HazardSurvey, **changes: Any) -> HazardSurvey:
    """Change a survey's name, method, status, contractor or dates."""
    if user is not None:
        policy.require_write(user, survey, "只有实施单位人员可以修改排查")
    unknown = set(changes) - SURVEY_FIELDS
    if unknown:
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}", code="invalid_field")
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()[:100]
        if not changes["name"]:
            raise Invalid("排查名称不能为空", code="missing_fields", detail={"field": "name"})
    if "method" in changes:
        changes["method"] = (changes["method"] or "").strip()[:30] or "GPR"
    if "status" in changes and changes["status"] not in HazardSurvey.Status.values:
        raise Invalid(f"未知的排查状态：{changes['status']}", code="bad_status", detail={"field": "status"})
    unit = changes.get("unit", survey.unit)
    if user is not None and "unit" in changes and getattr(unit, "pk", None) != survey.unit_id:
        _require_roads_writer(user, HazardSurvey, getattr(unit, "pk", None), "不能把排查交给其他单位")
    if changes.get("deadline", survey.deadline) < changes.get("started_on", survey.started_on):
        raise Invalid("完成期限早于开始日期", code="bad_deadline", detail={"field": "deadline"})
    with transaction.atomic():
        before = audit.snapshot(survey)
        for k, v in changes.items():
            setattr(survey, k, v)
        survey.save()
        audit.updated(survey, before)
    return survey


def treat_finding(user: Any, finding: HazardFinding, *, note: str = "") -> HazardFinding:
    if user is not None:
        policy.require_write(user, finding, "只有实施单位人员可以处置隐患点")
    if finding.status != HazardFinding.Status.OPEN:
        raise Conflict("该隐患点已处置", code="already_treated")
    with transaction.atomic():
        before = audit.snapshot(finding)
        finding.status = HazardFinding.Status.TREATED
        if note:
            finding.note = note[:200]
        finding.save(update_fields=["status", "note"])
        audit.updated(finding, before, verb="treat")
    return finding


def current_survey(as_of: dt.date | None = None) -> HazardSurvey | None:
    qs = HazardSurvey.objects.all()
    if as_of is not None:
        qs = qs.filter(started_on__lte=as_of)
    return qs.order_by("-started_on", "-id").first()


def survey_coverage(as_of: dt.date, survey: HazardSurvey | None = None) -> dict[str, tuple[float, float]]:
    """Street code (and "" for the district) -> (length surveyed by `as_of`, total road length), in metres."""
    from chengyun.geo.models import Street

    survey = survey or current_survey(as_of)
    totals: dict[str, float] = {s: 0.0 for s in Street.objects.values_list("code", flat=True)}
    done: dict[str, float] = dict.fromkeys(totals, 0.0)
    for code, length in RoadSegment.objects.values_list("street__code", "length_m"):
        totals[code or ""] = totals.get(code or "", 0.0) + length
    if survey is not None:
        for code, length in (SurveyedSegment.objects.filter(survey=survey, surveyed_on__lte=as_of)
                             .values_list("segment__street__code", "segment__length_m")):
            done[code or ""] = done.get(code or "", 0.0) + length
    out = {k: (round(done.get(k, 0.0), 1), round(v, 1)) for k, v in totals.items() if k}
    out[""] = (round(sum(done.values()), 1), round(sum(totals.values()), 1))
    return out


def survey_coverage_metric(as_of: dt.date) -> dict[str, tuple[float, float]]:
    """The supervision metric roads.hazard_survey_coverage (全区道路隐患排查)."""
    return survey_coverage(as_of)


# ---------------------------------------------------------------- collapse risk

def _to_local_m(geoms: np.ndarray, lat0: float) -> np.ndarray:
    """Equirectangular metres around the district: enough for buffers of a few metres."""
    kx = 111_320.0 * math.cos(math.radians(lat0))
    return shapely.transform(geoms, lambda c: c * np.array([kx, 110_950.0]))


def pipes_beneath(segments: Sequence[RoadSegment]) -> tuple[list[list[int]], list[str], np.ndarray]:
    """Per segment, the positions (in the returned pipe code list) of the pipes beneath it."""
    from chengyun.drainage import services as drainage

    codes, lines, grades = drainage.pipe_lines()
    if not segments or not len(codes):
        return [[] for _ in segments], codes, grades
    road_geoms = np.array([s.shape for s in segments], dtype=object)
    lat0 = float(np.mean([g.centroid.y for g in road_geoms[:50]]))
    roads_m = _to_local_m(road_geoms, lat0)
    mids_m = _to_local_m(shapely.line_interpolate_point(lines, 0.5, normalized=True), lat0)
    buffers = shapely.buffer(roads_m, np.array([s.width_m / 2 + PIPE_MARGIN_M for s in segments]), cap_style="flat")
    tree = shapely.STRtree(mids_m)
    seg_idx, pipe_idx = tree.query(buffers, predicate="contains")
    out: list[list[int]] = [[] for _ in segments]
    for s, p in zip(seg_idx.tolist(), pipe_idx.tolist()):
        out[s].append(p)
    return out, codes, grades


def cavity_factor(findings: Iterable[HazardFinding]) -> float:
    total = 0.0
    for f in findings:
        depth = 1.0 if f.depth_m < 0.5 else 0.7 if f.depth_m < 1.0 else 0.4 if f.depth_m < 2.0 else 0.2
        span = min(max(f.length_m, f.width_m) / 2.0, 1.0)
        total += KIND_WEIGHT[f.kind] * span * depth
    return min(total / FULL_CAVITY, 1.0)


def segment_risk(segment: RoadSegment, findings: Sequence[HazardFinding], pipe_grades: Sequence[int],
                 leaks: Sequence[tuple[str, int]], weights: dict[str, float] | None = None) -> tuple[float, dict[str, Any]]:
    w = weights or risk_weights()
    c = cavity_factor(findings)
    p = min((sum(0.5 for g in pipe_grades if g == 3) + sum(1.0 for g in pipe_grades if g == 4)) / 3.0, 1.0)
    leak = min(sum(LEAK_CODE_WEIGHT[code] * grade / 4.0 for code, grade in leaks) / 3.0, 1.0)
    traffic = TRAFFIC_FACTOR[segment.traffic]
    base = (w["cavity"] * c + w["pipes"] * p + w["leakage"] * leak) / float(sum(w.values()))
    score = round(100.0 * min(1.0, traffic * base), 1)
    factors = {"cavity": round(c, 3), "pipes": round(p, 3), "leakage": round(leak, 3), "traffic": traffic,
               "findings": len(findings), "defective_pipes": sum(1 for g in pipe_grades if g >= 3), "leak_defects": len(leaks)}
    return score, factors


def level_of(score: float) -> str:
    for limit, name in LEVELS:
        if score >= limit:
            return name
    return ""


def _signature() -> str:
    from chengyun.core import stamps
    from chengyun.drainage import services as drainage

    agg = HazardFinding.objects.aggregate(m=Max("id"))
    treated = HazardFinding.objects.filter(status=HazardFinding.Status.TREATED).count()
    segs = RoadSegment.objects.aggregate(m=Max("id"))
    return f"{drainage.condition_version()}|{agg['m'] or 0}:{treated}:{stamps.version(FINDINGS_STAMP)}|{segs['m'] or 0}:{RoadSegment.objects.count()}|{sorted(risk_weights().items())}"


def recompute_risk() -> RiskRun:
    """Collapse risk of every segment, stored on it with its factors."""
    from chengyun.drainage import services as drainage

    segments = list(RoadSegment.objects.order_by("id"))
    beneath, codes, grades = pipes_beneath(segments)
    leaks = drainage.leakage_defects()
    open_findings: dict[int, list[HazardFinding]] = {}
    for f in HazardFinding.objects.filter(status=HazardFinding.Status.OPEN):
        open_findings.setdefault(f.segment_id, []).append(f)
    w = risk_weights()
    now = timezone.now()
    high = 0
    sig = _signature()
    for seg, pipes in zip(segments, beneath):
        pipe_codes = [codes[i] for i in pipes]
        seg_leaks = [d for c in pipe_codes for d in leaks.get(c, ())]
        score, factors = segment_risk(seg, open_findings.get(seg.id, []), [int(grades[i]) for i in pipes], seg_leaks, w)
        factors["pipes_beneath"] = len(pipes)
        factors["worst_pipes"] = [c for c, i in zip(pipe_codes, pipes) if grades[i] >= 3][:10]
        seg.risk_score, seg.risk_level, seg.risk_factors, seg.risk_at = score, level_of(score), factors, now
        high += seg.risk_level == "高"
    with transaction.atomic():
        RoadSegment.objects.bulk_update(segments, ["risk_score", "risk_level", "risk_factors", "risk_at"], batch_size=1000)
        run = RiskRun.objects.create(signature=sig, segments=len(segments), high=high)
        audit.action(run, "recompute_risk", after={"segments": len(segments), "high": high})
    return run


def ensure_risk() -> RiskRun | None:
    """Recompute the risk if any input changed since the last run (pipes, inspections, findings)."""
    if not RoadSegment.objects.exists():
        return None
    last = RiskRun.objects.first()
    if last is not None and last.signature == _signature():
        return last
    return recompute_risk()


def ranked(limit: int | None = None):
    ensure_risk()
    qs = RoadSegment.objects.select_related("street").order_by("-risk_score", "code")
    return qs[:limit] if limit else qs


def pipe_road_risk() -> dict[str, float]:
    """For the drainage renovation plan: pipe code -> collapse risk (0..1) of the road above it."""
    if not RoadSegment.objects.filter(risk_score__gt=0).exists():
        return {}
    segments = list(RoadSegment.objects.filter(risk_score__gt=0).order_by("id"))
    beneath, codes, _ = pipes_beneath(segments)
    out: dict[str, float] = {}
    for seg, pipes in zip(segments, beneath):
        for i in pipes:
            out[codes[i]] = max(out.get(codes[i], 0.0), seg.risk_score / 100.0)
    return out
