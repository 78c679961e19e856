"""CCTV inspections (CJJ 181): import and single records, each pipe's condition from its latest
inspection, and the condition queries other apps (roads) read.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import shapely
from django.db import transaction

from chengyun.core import audit, stamps
from chengyun.core.errors import Invalid
from chengyun.core.importing import ImportOutcome
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.standards import cjj181

from .. import index
from ..importers import InspectionRow, parse_date
from ..models import Defect, Inspection, Pipe
from .inventory import _num


@dataclass
class InspectionImportReport(ImportOutcome):
    dry_run: bool
    rows: int = 0
    inspections: int = 0
    defects: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False
    grades: dict[str, int] = field(default_factory=dict)  # structural grade -> count

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "rows": self.rows, "inspections": self.inspections,
                "defects": self.defects, "structural_grades": self.grades, "errors": self.errors, "warnings": self.warnings}

    def as_text(self) -> str:
        return self.lines_text(f"检测记录导入 {self.outcome()}：{self.rows} 行，{self.inspections} 次检测，{self.defects} 处缺陷")


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
