"""Every write of the renewal project portfolio (城市更新项目库), and the portfolio's answers to
the rest of the platform (the problem ledger's project resolver, report rows).

Each function takes the acting user first (None = the platform itself: the demo, a job),
checks it with ``access`` (the renewal office, else the policy rule of the model), validates
everything before writing, writes in one transaction and audits.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from django.db import transaction
from django.db.models import Max

from chengyun.core import audit
from chengyun.core.errors import Conflict, DomainError, Forbidden, Invalid
from chengyun.people import policy

from .. import project_types as pt
from .. import project_workflow as pw
from ..models import (Problem, ProgressReport, Project, ProjectAcceptance, ProjectAsset, ProjectEvent, ProjectFunding,
                      ProjectTarget, ProblemRemedy)
from .access import is_office, require_write
from .problems import PROJECT_KEY, accept_remedy, link_remedy

YEAR_RANGE = (2000, 2100)
PROJECT_FIELDS = ("name", "description", "contents", "metrics", "responsible_unit", "street", "community", "start_year", "end_year",
                  "total_investment_wan", "lng", "lat")


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# -- validation ---------------------------------------------------------------------------------

def _year(value: Any, field: str) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{field} 应为年份", code="bad_year", detail={"field": field}) from None
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise Invalid(f"年份 {year} 不合理", code="bad_year", detail={"field": field})
    return year


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise Invalid(f"{field} 应为金额（万元）", code="bad_amount", detail={"field": field}) from None
    if not amount.is_finite() or amount < 0:
        raise Invalid(f"{field} 不能为负数", code="bad_amount", detail={"field": field})
    return amount


def check_type(value: Any) -> str:
    code = str(value or "").strip()
    if code in pt.TYPES:
        return code
    by_label = {str(t.label): t.code for t in pt.TYPES.values()}
    if code in by_label:
        return by_label[code]
    raise Invalid(f"未知的项目类型：{code}（可选：{'、'.join(by_label)}）", code="bad_type", detail={"field": "type"})


def check_metrics(type_code: str, metrics: Mapping[str, Any] | None) -> dict[str, float | int]:
    """A type's quantities: required ones present, none outside the type, numbers ≥ 0."""
    info = pt.TYPES[type_code]
    metrics = dict(metrics or {})
    unknown = sorted(set(metrics) - info.allowed)
    if unknown:
        raise Invalid(f"{info.label}项目不填写：{'、'.join(unknown)}（可填：{'、'.join(sorted(info.allowed))}）", code="bad_metric",
                      detail={"field": "metrics", "keys": unknown})
    missing = [k for k in info.required if metrics.get(k) in (None, "")]
    if missing:
        names = "、".join(str(pt.METRICS[k].label) for k in missing)
        raise Invalid(f"{info.label}项目须填写建设规模：{names}", code="missing_metric", detail={"field": "metrics", "keys": missing})
    out: dict[str, float | int] = {}
    for key, raw in metrics.items():
        if raw in (None, ""):
            continue
        m = pt.METRICS[key]
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise Invalid(f"{m.label}应为数字", code="bad_metric", detail={"field": f"metrics.{key}"}) from None
        if number != number or number < 0 or number in (float("inf"),):
            raise Invalid(f"{m.label}应为非负数", code="bad_metric", detail={"field": f"metrics.{key}"})
        if m.integer:
            if number != int(number):
                raise Invalid(f"{m.label}应为整数", code="bad_metric", detail={"field": f"metrics.{key}"})
            out[key] = int(number)
        else:
            out[key] = round(number, 3)
    return out


def check_contents(type_code: str, contents: Iterable[str] | None) -> list[str]:
    items = [str(c).strip() for c in (contents or []) if str(c).strip()]
    if items and type_code != pt.OLD_COMPOUND:
        raise Invalid("只有老旧小区改造项目填写改造内容清单", code="bad_contents", detail={"field": "contents"})
    unknown = [c for c in items if c not in pt.CONTENTS]
    if unknown:
        raise Invalid(f"未知的改造内容：{'、'.join(unknown)}", code="bad_contents", detail={"field": "contents", "keys": unknown})
    return sorted(set(items), key=list(pt.CONTENTS).index)


def _resolve_fk(model: Any, value: Any, field: str, label: str) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    found = model.objects.filter(code=str(value).strip()).first()
    if found is None:
        raise Invalid(f"{label} {value} 不存在", code=f"unknown_{field}", detail={"field": field})
    return found


def _check_fields(values: dict[str, Any], type_code: str) -> dict[str, Any]:
    from chengyun.geo.models import Community, Street, Unit

    unknown = set(values) - set(PROJECT_FIELDS)
    if unknown:
        raise Invalid(f"未知字段：{'、'.join(sorted(unknown))}", code="unknown_field", detail={"fields": sorted(unknown)})
    out = dict(values)
    if "name" in out:
        out["name"] = str(out["name"] or "").strip()[:200]
        if not out["name"]:
            raise Invalid("请填写项目名称", code="missing_name", detail={"field": "name"})
    if "metrics" in out:
        out["metrics"] = check_metrics(type_code, out["metrics"])
    if "contents" in out:
        out["contents"] = check_contents(type_code, out["contents"])
    if "responsible_unit" in out:
        out["responsible_unit"] = _resolve_fk(Unit, out["responsible_unit"], "responsible_unit", "责任单位")
    if "street" in out:
        out["street"] = _resolve_fk(Street, out["street"], "street", "街道")
    if "community" in out:
        out["community"] = _resolve_fk(Community, out["community"], "community", "社区")
        if out["community"] is not None and out.get("street") is None:
            out["street"] = out["community"].street
    for name in ("start_year", "end_year"):
        if name in out:
            out[name] = _year(out[name], name)
    if "total_investment_wan" in out:
        out["total_investment_wan"] = _money(out["total_investment_wan"], "total_investment_wan")
    for name, lo, hi in (("lng", -180, 180), ("lat", -90, 90)):
        if out.get(name) not in (None, ""):
            try:
                out[name] = float(out[name])
            except (TypeError, ValueError):
                raise Invalid(f"{name} 应为数字", code="bad_point", detail={"field": name}) from None
            if not lo <= out[name] <= hi:
                raise Invalid("位置应为经纬度", code="bad_point", detail={"field": name})
        elif name in out:
            out[name] = None
    return out


# -- permissions ------------------------------------------------------------------------------

def require_project_write(user: Any, project: Project, message: str = "您无权修改该更新项目") -> None:
    if user is None:
        return
    require_write(user, project, message)


def _require_create(user: Any, unit: Any) -> None:
    if user is None or is_office(user):
        return
    policy.require_create(user, Project, unit_id=getattr(unit, "pk", None), message="只能为本单位登记更新项目")


# -- projects -----------------------------------------------------------------------------------

def _next_code(year: int) -> str:
    prefix = f"GX{year}-"
    last = Project.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:03d}"


def create_project(user: Any, *, name: str, type: str, start_year: Any, end_year: Any, metrics: Mapping[str, Any] | None = None,
                   targets: Iterable[Mapping[str, Any]] = (), funding: Iterable[Mapping[str, Any]] = (), compounds: Iterable[Any] = (),
                   code: str | None = None, **fields: Any) -> Project:
    """Register a project in 谋划储备 with its plan (targets per year) and funding by source."""
    type_code = check_type(type)
    values = _check_fields({"name": name, "metrics": metrics, "start_year": start_year, "end_year": end_year, **fields}, type_code)
    if values["end_year"] < values["start_year"]:
        raise Invalid(f"计划完成年度 {values['end_year']} 早于开始年度 {values['start_year']}", code="bad_year", detail={"field": "end_year"})
    _require_create(user, values.get("responsible_unit"))
    target_rows = _check_targets(targets, values["start_year"], values["end_year"])
    funding_rows = _check_funding(funding)
    compound_objs = _check_compounds(compounds)
    with transaction.atomic():
        project = Project(type=type_code, created_by=_user(user), **values)
        if code:
            if Project.objects.filter(code=code).exists():
                raise Conflict(f"项目编号 {code} 已存在", code="duplicate_code", detail={"field": "code"})
            project.code = code
        else:
            project.code = _next_code(values["start_year"])
        project.save()
        ProjectTarget.objects.bulk_create([ProjectTarget(project=project, **r) for r in target_rows])
        ProjectFunding.objects.bulk_create([ProjectFunding(project=project, **r) for r in funding_rows])
        if compound_objs:
            project.compounds.set(compound_objs)
        audit.created(project)
        audit.bulk_created(list(project.targets.all()) + list(project.funding.all()), verb="create")
    return project


def update_project(user: Any, project: Project, **changes: Any) -> Project:
    require_project_write(user, project)
    values = _check_fields(changes, project.type)
    if "metrics" not in values and "type" in changes:
        raise Invalid("项目类型不可修改", code="type_fixed", detail={"field": "type"})
    start = values.get("start_year", project.start_year)
    end = values.get("end_year", project.end_year)
    if end < start:
        raise Invalid(f"计划完成年度 {end} 早于开始年度 {start}", code="bad_year", detail={"field": "end_year"})
    outside = sorted(t.year for t in project.targets.all() if not start <= t.year <= end)
    if outside:
        raise Invalid(f"年度目标 {'、'.join(map(str, outside))} 将超出计划期（{start}—{end}），请先调整年度目标", code="target_out_of_plan",
                      detail={"field": "end_year"})
    with transaction.atomic():
        before = audit.snapshot(project)
        for k, v in values.items():
            setattr(project, k, v)
        project.save()
        audit.updated(project, before)
    return project


def _check_targets(rows: Iterable[Mapping[str, Any]], start: int, end: int) -> list[dict[str, Any]]:
    out, seen = [], set()
    for n, row in enumerate(rows, start=1):
        year = _year(row.get("year"), f"targets[{n}].year")
        if not start <= year <= end:
            raise Invalid(f"第 {n} 个年度目标的年度 {year} 不在项目计划期（{start}—{end}）内", code="target_out_of_plan",
                          detail={"field": f"targets[{n}].year"})
        if year in seen:
            raise Invalid(f"年度 {year} 的目标重复", code="duplicate_target", detail={"field": f"targets[{n}].year"})
        seen.add(year)
        try:
            quantity = float(row.get("quantity") or 0)
        except (TypeError, ValueError):
            raise Invalid(f"第 {n} 个年度目标量应为数字", code="bad_target", detail={"field": f"targets[{n}].quantity"}) from None
        if quantity < 0 or quantity != quantity:
            raise Invalid(f"第 {n} 个年度目标量不能为负", code="bad_target", detail={"field": f"targets[{n}].quantity"})
        out.append({"year": year, "quantity": quantity, "content": str(row.get("content") or "")[:200],
                    "investment_wan": _money(row.get("investment_wan"), f"targets[{n}].investment_wan")})
    return out


def _check_funding(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out, seen = [], set()
    labels = {str(v): k for k, v in pt.FUNDING_SOURCES.items()}
    for n, row in enumerate(rows, start=1):
        source = str(row.get("source") or "").strip()
        source = labels.get(source, source)
        if source not in pt.FUNDING_SOURCES:
            raise Invalid(f"第 {n} 笔资金的来源“{source}”未知（可选：{'、'.join(labels)}）", code="bad_funding_source",
                          detail={"field": f"funding[{n}].source"})
        year = _year(row.get("year"), f"funding[{n}].year")
        if (source, year) in seen:
            raise Invalid(f"{pt.FUNDING_SOURCES[source]} {year} 年度重复", code="duplicate_funding", detail={"field": f"funding[{n}]"})
        seen.add((source, year))
        amount = _money(row.get("amount_wan"), f"funding[{n}].amount_wan")
        if amount <= 0:
            raise Invalid(f"第 {n} 笔资金金额应大于 0", code="bad_amount", detail={"field": f"funding[{n}].amount_wan"})
        out.append({"source": source, "year": year, "amount_wan": amount, "secured": bool(row.get("secured", False)),
                    "note": str(row.get("note") or "")[:200]})
    return out


def _check_compounds(values: Iterable[Any]) -> list[Any]:
    from chengyun.geo.models import Compound

    out = []
    for v in values:
        c = v if isinstance(v, Compound) else Compound.objects.filter(code=str(v).strip()).first()
        if c is None:
            raise Invalid(f"小区 {v} 不存在", code="unknown_compound", detail={"field": "compounds"})
        out.append(c)
    return out


def set_targets(user: Any, project: Project, targets: Iterable[Mapping[str, Any]]) -> list[ProjectTarget]:
    """Replace the yearly plan (all rows checked first; nothing changes on an error)."""
    require_project_write(user, project)
    rows = _check_targets(targets, project.start_year, project.end_year)
    with transaction.atomic():
        before = [{"year": t.year, "quantity": t.quantity, "investment_wan": t.investment_wan} for t in project.targets.all()]
        project.targets.all().delete()
        made = ProjectTarget.objects.bulk_create([ProjectTarget(project=project, **r) for r in rows])
        audit.action(project, "set_targets", before=before, after=[{"year": r["year"], "quantity": r["quantity"],
                                                                    "investment_wan": r["investment_wan"]} for r in rows])
    return made


def set_funding(user: Any, project: Project, funding: Iterable[Mapping[str, Any]]) -> list[ProjectFunding]:
    require_project_write(user, project)
    rows = _check_funding(funding)
    with transaction.atomic():
        before = [{"source": f.source, "year": f.year, "amount_wan": f.amount_wan, "secured": f.secured} for f in project.funding.all()]
        project.funding.all().delete()
        made = ProjectFunding.objects.bulk_create([ProjectFunding(project=project, **r) for r in rows])
        audit.action(project, "set_funding", before=before,
                     after=[{k: r[k] for k in ("source", "year", "amount_wan", "secured")} for r in rows])
    return made


def report_progress(user: Any, project: Project, *, percent: Any, reported_on: dt.date | None = None, quantity_done: Any = 0,
                    invested_wan: Any = 0, note: str = "") -> ProgressReport:
    require_project_write(user, project, "只有责任单位可以报告项目进展")
    if project.state not in (pw.TENDERING, pw.CONSTRUCTION, pw.FUNDED, pw.APPROVED):
        raise Conflict(f"项目处于“{pw.STATES[project.state]}”阶段，不能报告建设进展", code="bad_state", detail={"state": project.state})
    try:
        pct = int(percent)
        qty = float(quantity_done or 0)
    except (TypeError, ValueError):
        raise Invalid("进度应为 0—100 的整数", code="bad_progress", detail={"field": "percent"}) from None
    if not 0 <= pct <= 100 or qty < 0:
        raise Invalid("进度应为 0—100 的整数，完成量不能为负", code="bad_progress", detail={"field": "percent"})
    last = project.progress_reports.order_by("-reported_on", "-id").first()
    if last is not None and pct < last.percent:
        raise Invalid(f"形象进度不能低于上次报告的 {last.percent}%", code="progress_backwards", detail={"field": "percent"})
    with transaction.atomic():
        report = ProgressReport.objects.create(project=project, reported_on=reported_on or dt.date.today(), percent=pct, quantity_done=qty,
                                               invested_wan=_money(invested_wan, "invested_wan"), note=str(note or "")[:300],
                                               reported_by=_user(user))
        audit.created(report)
    return report


def latest_percent(project: Project) -> int:
    if project.completed:
        return 100
    last = project.progress_reports.order_by("-reported_on", "-id").first()
    return last.percent if last else 0


# -- lifecycle ----------------------------------------------------------------------------------

def allowed_actions(user: Any, project: Project) -> list[pw.Transition]:
    out = []
    for t in pw.allowed_from(project.state):
        try:
            _check_role(user, project, t)
        except DomainError:
            continue
        out.append(t)
    return out


def _check_role(user: Any, project: Project, t: pw.Transition) -> None:
    if user is None or is_office(user):
        return
    if t.office_only:
        raise Forbidden(f"只有城市更新办公室可以{t.label}", code="not_office")
    require_write(user, project, "您无权推进该更新项目")
    if not policy.principal(user).has(t.roles):
        raise Forbidden(f"您的角色不能{t.label}", code="role_not_allowed")


def transition(user: Any, project: Project, action: str, *, note: str = "", on: dt.date | None = None,
               representatives: Iterable[str] = (), conclusion: str = "") -> Project:
    """Move a project one step along pw.TRANSITIONS; 409 when its stage does not allow it.

    ``accept`` (竣工验收) records the acceptance (a 老旧小区改造 needs resident representatives)
    and accepts the project as remedy of every problem it is linked to.
    """
    t = pw.TRANSITIONS.get(action)
    if t is None:
        raise Invalid(f"未知的操作：{action}", code="unknown_action", detail={"action": action})
    _check_role(user, project, t)
    note = (note or "").strip()
    if t.note_required and not note:
        raise Invalid(f"{t.label}需要填写说明", code="note_required", detail={"field": "note"})
    reps = [str(r).strip() for r in representatives if str(r).strip()]
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.state not in t.sources:
            raise Conflict(f"项目处于“{pw.STATES[project.state]}”阶段，不能{t.label}", code="bad_transition",
                           detail={"state": project.state, "action": action})
        if action == "fund" and not project.funding.exists():
            raise Conflict("项目尚未登记资金来源，不能确认资金落实", code="no_funding")
        if action == "start" and project.responsible_unit_id is None:
            raise Conflict("项目没有责任单位，不能开工", code="no_responsible_unit")
        if action == "accept":
            if project.type == pt.OLD_COMPOUND and not reps:
                raise Invalid("老旧小区改造竣工验收须有居民代表参加", code="representatives_required", detail={"field": "representatives"})
            acceptance = ProjectAcceptance.objects.create(project=project, accepted_on=on or dt.date.today(),
                                                          conclusion=(conclusion or note or "验收合格")[:300], representatives=reps,
                                                          recorded_by=_user(user))
            audit.created(acceptance)
            project.completed_on = acceptance.accepted_on
        before = project.state
        project.state = t.target
        project.save(update_fields=["state", "completed_on"])
        ProjectEvent.objects.create(project=project, action=action, from_state=before, to_state=project.state, actor=_user(user), note=note[:300])
        audit.action(project, action, before={"state": before}, after={"state": project.state, "note": note})
        if action == "accept":
            _accept_linked_problems(project)
            from .parking import register_completed_lot

            register_completed_lot(project)
    return project


def _accept_linked_problems(project: Project) -> int:
    """竣工验收 is the remedy's acceptance for every open problem the project answers."""
    from .. import workflow

    n = 0
    remedies = ProblemRemedy.objects.filter(kind=ProblemRemedy.Kind.PROJECT, project_key=project.key, accepted_at__isnull=True,
                                            problem__state__in=workflow.TRANSITIONS["accept_remedy"].sources)
    for remedy in remedies.select_related("problem"):
        # The platform accepts on the project's acceptance: the transition above was checked.
        accept_remedy(None, remedy)
        n += 1
    return n


# -- links --------------------------------------------------------------------------------------

def link_problem(user: Any, project: Project, problem: Problem) -> ProblemRemedy:
    """The project answers a ledger problem (through the ledger's link_remedy contract)."""
    require_project_write(user, project, "您无权为该项目关联体检问题")
    if project.state == pw.WITHDRAWN:
        raise Conflict("项目已撤销，不能关联问题", code="project_withdrawn")
    remedy = link_remedy(user, problem, project_key=project.key)
    if project.completed and remedy.accepted_at is None:
        accept_remedy(None, remedy)
    return remedy


def linked_problems(project: Project) -> list[Problem]:
    ids = ProblemRemedy.objects.filter(kind=ProblemRemedy.Kind.PROJECT, project_key=project.key).values_list("problem_id", flat=True)
    return list(Problem.objects.filter(pk__in=list(ids)).select_related("indicator", "community"))


def link_compounds(user: Any, project: Project, compounds: Iterable[Any]) -> list[Any]:
    require_project_write(user, project)
    objs = _check_compounds(compounds)
    with transaction.atomic():
        before = audit.snapshot(project)
        project.compounds.add(*objs)
        audit.updated(project, before, verb="link_compounds")
    return objs


def link_asset(user: Any, project: Project, *, kind: str, code: str, label: str = "") -> ProjectAsset:
    """Link a drainage pipe (by code) or a feature of a renewal line layer ("<layer>/<feature>")."""
    require_project_write(user, project, "您无权为该项目关联资产")
    code = str(code or "").strip()
    if kind not in ProjectAsset.Kind.values:
        raise Invalid(f"未知的资产类型：{kind}", code="bad_asset_kind", detail={"field": "kind"})
    length = None
    if kind == ProjectAsset.Kind.DRAINAGE_PIPE:
        from chengyun.drainage.models import Pipe

        pipe = Pipe.objects.filter(code=code).first()
        if pipe is None:
            raise Invalid(f"排水管段 {code} 不存在", code="unknown_asset", detail={"field": "code"})
        length = pipe.length_m
    else:
        feature = _line_feature(code)
        if feature is None:
            raise Invalid(f"管线要素 {code} 不存在（应为“图层编码/要素编码”，且图层为线图层）", code="unknown_asset", detail={"field": "code"})
        length = _feature_length(feature)
    with transaction.atomic():
        asset, made = ProjectAsset.objects.get_or_create(project=project, kind=kind, code=code[:60],
                                                         defaults={"label": str(label)[:200], "length_m": length})
        if made:
            audit.created(asset)
    return asset


def _line_feature(code: str) -> Any:
    """"<layer code>/<feature code>" of a renewal layer whose feature is a line (a main)."""
    from ..models import Feature

    if "/" not in code:
        return None
    layer_code, feature_code = code.split("/", 1)
    feature = Feature.objects.filter(layer__code=layer_code, code=feature_code).first()
    if feature is None:
        return None
    try:
        kind = feature.shape.geom_type
    except Exception:
        return None
    return feature if kind in ("LineString", "MultiLineString") else None


def _feature_length(feature: Any) -> float:
    if feature.length_m:
        return round(feature.length_m, 1)
    from pyproj import Geod

    return round(Geod(ellps="WGS84").geometry_length(feature.shape), 1)


# -- supervision ----------------------------------------------------------------------------------

def supervise(user: Any, project: Project, *, deadline: dt.date, lead_unit: Any = None, start_date: dt.date | None = None) -> Any:
    """Put the project under supervision as a key task (督办), linked back to it; the task's
    measurable target reads the project's completion (metric renewal.project_completion)."""
    from chengyun.supervision import services as supervision

    if project.supervision_task:
        raise Conflict(f"项目已列入督办（{project.supervision_task}）", code="already_supervised")
    if project.state == pw.WITHDRAWN:
        raise Conflict("项目已撤销，不能督办", code="project_withdrawn")
    unit = lead_unit or project.responsible_unit
    if unit is None:
        raise Invalid("请指定牵头单位", code="lead_unit_required", detail={"field": "lead_unit"})
    with transaction.atomic():
        task = supervision.create_task(user, title=f"{project.name}（城市更新）", source="checkup", category="checkup", lead_unit=unit,
                                       deadline=deadline, start_date=start_date,
                                       description=f"城市更新项目 {project.code}：{pt.TYPES[project.type].label}",
                                       links=[("renewal.project", str(project.pk))], metric_key="renewal.project_completion",
                                       metric_street=project.street.code if project.street_id else "")
        before = audit.snapshot(project)
        project.supervision_task = task.code
        project.save(update_fields=["supervision_task"])
        audit.updated(project, before, verb="supervise")
    return task


# -- what the rest of the platform reads ----------------------------------------------------------

@dataclass(frozen=True)
class ProjectInfo:
    label: str
    url: str
    completed: bool


def resolve(key: str) -> ProjectInfo | None:
    """The problem ledger's resolver for "renewal.project:<id>"."""
    m = PROJECT_KEY.match(str(key or ""))
    if not m:
        return None
    project = Project.objects.filter(pk=int(m.group(1))).first()
    if project is None:
        return None
    return ProjectInfo(label=str(project), url=f"/renewal/projects/{project.pk}/", completed=project.completed)


def report_rows(year: int | None = None) -> list[dict[str, Any]]:
    """Rows for the health-check report's chapter 城市更新项目库: projects whose plan covers
    ``year`` (all when None), with type, stage, responsible unit, targets and funding."""
    qs = Project.objects.exclude(state=pw.WITHDRAWN).select_related("responsible_unit", "street").prefetch_related("targets", "funding")
    if year is not None:
        qs = qs.filter(start_year__lte=year, end_year__gte=year)
    rows = []
    for p in qs.order_by("type", "code"):
        info = pt.TYPES[p.type]
        main = info.main_metric
        rows.append({
            "id": p.pk, "code": p.code, "name": p.name, "type": p.type, "type_label": str(info.label), "state": p.state,
            "state_label": str(pw.STATES[p.state]), "responsible_unit": p.responsible_unit.name if p.responsible_unit_id else "",
            "street": p.street.name if p.street_id else "", "start_year": p.start_year, "end_year": p.end_year,
            "scale": f"{p.metrics.get(main, 0)} {pt.METRICS[main].unit}",
            "targets": {t.year: t.quantity for t in p.targets.all()},
            "investment_wan": float(p.total_investment_wan),
            "funding": {src: float(sum(f.amount_wan for f in p.funding.all() if f.source == src)) for src in pt.FUNDING_SOURCES},
        })
    return rows


def report_source(year: int) -> list[dict[str, Any]]:
    """The rows renewal.reporting.register_projects expects for chapter 四 (城市更新项目库):
    code, name, type, state, responsible_unit, linked_problems — labels, ready to print."""
    counts: dict[str, int] = {}
    for key in ProblemRemedy.objects.filter(kind=ProblemRemedy.Kind.PROJECT).values_list("project_key", flat=True):
        counts[key] = counts.get(key, 0) + 1
    out = []
    for r in report_rows(year):
        out.append({"code": r["code"], "name": r["name"], "type": r["type_label"], "state": r["state_label"],
                    "responsible_unit": r["responsible_unit"], "linked_problems": counts.get(f"renewal.project:{r['id']}", 0)})
    return out


def key_of(value: Any) -> str:
    return value.key if isinstance(value, Project) else str(value)


def is_project_key(value: str) -> bool:
    return bool(re.match(PROJECT_KEY, value or ""))
