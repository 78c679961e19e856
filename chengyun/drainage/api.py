from __future__ import annotations

import datetime as dt
import json
from typing import Literal, Optional

from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from chengyun.core.errors import Invalid
from chengyun.core.pagination import Page, PageParams, paginate
from chengyun.people import policy
from chengyun.people.lookup import referenced

from . import services
from .filters import MisconnectionFilter, NodeFilter, PipeFilter
from .importers import read_inspection_table, read_network_upload
from .models import Inspection, Misconnection, Node, Pipe, RenovationPlan, SeparationProject

router = Router(tags=["排水管网"])


class NodeOut(Schema):
    code: str
    kind: str
    name: str
    lng: float
    lat: float
    ground_m: Optional[float]
    owner: Optional[str]
    street: Optional[str]


def _node(n: Node) -> dict:
    return {"code": n.code, "kind": n.kind, "name": n.name, "lng": n.lng, "lat": n.lat, "ground_m": n.ground_m,
            "owner": n.owner.code if n.owner_id else None, "street": n.street.code if n.street_id else None}


class PipeOut(Schema):
    code: str
    type: str
    diameter_mm: int
    material: str
    install_year: Optional[int]
    length_m: float
    from_node: str
    to_node: str
    up_invert_m: Optional[float]
    down_invert_m: Optional[float]
    road_name: str
    owner: Optional[str]
    street: Optional[str]
    inspected_on: Optional[dt.date]
    structural_grade: Optional[int]
    functional_grade: Optional[int]
    ri: Optional[float]
    mi: Optional[float]


def _pipe(p: Pipe) -> dict:
    return {"code": p.code, "type": p.type, "diameter_mm": p.diameter_mm, "material": p.material, "install_year": p.install_year,
            "length_m": p.length_m, "from_node": p.from_node.code, "to_node": p.to_node.code, "up_invert_m": p.up_invert_m,
            "down_invert_m": p.down_invert_m, "road_name": p.road_name, "owner": p.owner.code if p.owner_id else None,
            "street": p.street.code if p.street_id else None, "inspected_on": p.inspected_on, "structural_grade": p.structural_grade,
            "functional_grade": p.functional_grade, "ri": p.ri, "mi": p.mi}


PIPE_QS = Pipe.objects.select_related("from_node", "to_node", "owner", "street")


@router.get("/nodes", response=Page[NodeOut], summary="管网节点")
def nodes(request, filters: NodeFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, Node.objects.select_related("owner", "street")))
    return paginate(qs, page, _node)


@router.get("/nodes/{code}", response=NodeOut, summary="节点详情")
def node_detail(request, code: str):
    return _node(policy.get_visible(request.user, Node.objects.select_related("owner", "street"), code=code))


@router.get("/pipes", response=Page[PipeOut], summary="管段")
def pipes(request, filters: PipeFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, PIPE_QS)), page, _pipe)


@router.get("/pipes.geojson", summary="管段线形（GeoJSON，按结构性等级着色用）")
def pipes_geojson(request, filters: PipeFilter = Query(...), bbox: Optional[str] = None):
    qs = filters.filter(policy.visible(request.user, Pipe.objects.all()))
    rows = qs.values_list("code", "type", "diameter_mm", "structural_grade", "functional_grade", "geometry")
    if bbox:
        try:
            x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
        except ValueError:
            raise Invalid("bbox 应为 最小经度,最小纬度,最大经度,最大纬度", code="bad_bbox") from None
        import shapely

        rows = list(rows)
        geoms = shapely.from_geojson([r[5] for r in rows]) if rows else []
        keep = shapely.intersects(geoms, shapely.box(x0, y0, x1, y1)) if rows else []
        rows = [r for r, k in zip(rows, keep) if k]
    parts = ['{"type":"Feature","geometry":%s,"properties":{"code":"%s","type":"%s","d":%d,"s":%s,"f":%s}}'
             % (g, c, t, d, s if s is not None else "null", f if f is not None else "null") for c, t, d, s, f, g in rows]
    return HttpResponse('{"type":"FeatureCollection","features":[%s]}' % ",".join(parts), content_type="application/geo+json")


class DefectOut(Schema):
    code: str
    grade: int
    position_m: float
    length_m: float
    clock: str
    photo: str


class InspectionOut(Schema):
    id: int
    pipe: str
    inspected_on: dt.date
    method: str
    operator: str
    report_no: str
    structural_grade: int
    functional_grade: int
    ri: float
    mi: float
    assessment: dict
    defects: list[DefectOut]


def _inspection(i: Inspection) -> dict:
    return {"id": i.id, "pipe": i.pipe.code, "inspected_on": i.inspected_on, "method": i.method, "operator": i.operator,
            "report_no": i.report_no, "structural_grade": i.structural_grade, "functional_grade": i.functional_grade,
            "ri": i.ri, "mi": i.mi, "assessment": i.assessment,
            "defects": [{"code": d.code, "grade": d.grade, "position_m": d.position_m, "length_m": d.length_m, "clock": d.clock, "photo": d.photo}
                        for d in i.defects.all()]}


class PipeDetail(PipeOut):
    inspections: list[InspectionOut]
    geometry: dict


@router.get("/pipes/{code}", response=PipeDetail, summary="管段详情（含检测与 CJJ 181 评估）")
def pipe_detail(request, code: str):
    p = policy.get_visible(request.user, PIPE_QS, code=code)
    ins = p.inspections.select_related("pipe").prefetch_related("defects")
    return {**_pipe(p), "inspections": [_inspection(i) for i in ins], "geometry": json.loads(p.geometry)}


@router.get("/inspections", response=Page[InspectionOut], summary="检测记录")
def inspections(request, pipe: Optional[str] = None, grade_min: Optional[int] = None, page: PageParams = Query(...)):
    qs = policy.visible(request.user, Inspection.objects.select_related("pipe").prefetch_related("defects"))
    if pipe:
        qs = qs.filter(pipe__code=pipe)
    if grade_min:
        qs = qs.filter(structural_grade__gte=grade_min)
    return paginate(qs, page, _inspection)


@router.post("/inspections/import", response={200: dict, 422: dict}, summary="导入检测成果表（CSV/Excel，一行一个缺陷；有错则不写入）")
def import_inspections(request, file: UploadedFile = File(...), dry_run: bool = Form(False)):
    rows = read_inspection_table(file.read(), file.name)
    report = services.import_inspections(rows, user=request.user, dry_run=dry_run, source_name=file.name)
    return Status(200 if report.ok else 422, report.to_dict())


@router.post("/import", response={200: dict, 422: dict}, summary="导入管网（GeoJSON/CSV；拓扑错误则不写入，警告不阻断）")
def import_network(request, file: UploadedFile = File(...), dry_run: bool = Form(False)):
    report = services.import_network(read_network_upload(file.read(), file.name), user=request.user, dry_run=dry_run)
    return Status(200 if report.ok else 422, report.to_dict())


class SourceOut(Schema):
    code: str
    name: str
    kind: str
    node: str


class TraceOut(Schema):
    node: str
    direction: str
    pipe_count: int
    node_count: int
    length_m: float
    pipes: list[str]
    nodes: list[str]
    catchment: Optional[dict]
    sources: list[SourceOut]
    ends: list[str]


@router.get("/trace", response=TraceOut, summary="上下游追溯：从节点向上游（汇水）或下游（去向）")
def trace(request, node: str, direction: Literal["upstream", "downstream"] = "upstream", catchment: bool = True):
    return services.trace(node, direction, catchment=catchment).to_dict()


class MisconnectionOut(Schema):
    id: int
    kind: str
    kind_name: str
    status: str
    status_name: str
    subject: str
    evidence: str
    street: Optional[str]
    detected_at: dt.datetime
    case_number: str
    task_id: Optional[int]
    note: str


def _misconnection(m: Misconnection) -> dict:
    return {"id": m.id, "kind": m.kind, "kind_name": m.get_kind_display(), "status": m.status, "status_name": m.get_status_display(),
            "subject": m.subject_code, "evidence": m.evidence, "street": m.street.code if m.street_id else None,
            "detected_at": m.detected_at, "case_number": m.case_number, "task_id": m.task_id, "note": m.note}


MISC_QS = Misconnection.objects.select_related("pipe", "node", "street")


@router.get("/misconnections", response=Page[MisconnectionOut], summary="混接错接")
def misconnections(request, filters: MisconnectionFilter = Query(...), page: PageParams = Query(...)):
    return paginate(filters.filter(policy.visible(request.user, MISC_QS)), page, _misconnection)


@router.post("/misconnections/detect", summary="识别混接错接（拓扑规则 + 水务旱天出流）")
def detect(request, since: Optional[dt.datetime] = None):
    return services.detect_misconnections(request.user, since=since).to_dict()


class TaskIn(Schema):
    lead_unit: str
    deadline: dt.date
    description: str = ""
    category: Optional[str] = None


class NoteIn(Schema):
    note: str


@router.post("/misconnections/{pk}/case", response=MisconnectionOut, summary="转为案件（事件 0130）")
def to_case(request, pk: int):
    m = policy.get_visible(request.user, MISC_QS, pk=pk)
    return _misconnection(services.misconnection_to_case(request.user, m))


@router.post("/misconnections/{pk}/task", response=MisconnectionOut, summary="转为督办任务")
def to_task(request, pk: int, body: TaskIn):
    from chengyun.geo.models import Unit

    m = policy.get_visible(request.user, MISC_QS, pk=pk)
    unit = referenced(Unit.objects, body.lead_unit, what="牵头单位", field="lead_unit", lookup="code", optional=False, code="unknown_unit")
    kwargs = {"category": body.category} if body.category else {}
    return _misconnection(services.misconnection_to_task(request.user, m, lead_unit=unit, deadline=body.deadline, description=body.description, **kwargs))


@router.post("/misconnections/{pk}/dismiss", response=MisconnectionOut, summary="排除")
def dismiss(request, pk: int, body: NoteIn):
    m = policy.get_visible(request.user, MISC_QS, pk=pk)
    return _misconnection(services.dismiss_misconnection(request.user, m, note=body.note))


@router.post("/misconnections/{pk}/reopen", response=MisconnectionOut, summary="重新打开")
def reopen(request, pk: int):
    m = policy.get_visible(request.user, MISC_QS, pk=pk)
    return _misconnection(services.reopen_misconnection(request.user, m))


class PriorityOut(Schema):
    code: str
    score: float
    factors: dict
    method: Optional[str]
    cost_yuan: float


@router.get("/priority", response=Page[PriorityOut], summary="改造优先分（透明分项）")
def priority(request, page: PageParams = Query(...), weights: Optional[str] = None):
    override = _weights(weights)
    scores = services.priority_scores(weights_override=override)
    rows = [{"code": s.code, "score": s.score, "factors": s.factors, "method": s.method, "cost_yuan": round(s.cost, 2)}
            for s in scores[page.offset: page.offset + page.limit]]
    return {"count": len(scores), "limit": page.limit, "offset": page.offset, "results": rows}


def _weights(text: Optional[str]) -> Optional[dict]:
    if not text:
        return None
    try:
        value = json.loads(text)
        assert isinstance(value, dict)
        return {str(k): float(v) for k, v in value.items()}
    except (ValueError, AssertionError, TypeError):
        raise Invalid('weights 应为 JSON 对象，如 {"structural": 40}', code="bad_weights") from None


class PlanIn(Schema):
    year: int
    budget_yuan: float
    name: str = ""
    weights: Optional[dict[str, float]] = None
    min_score: float = 0


class PlanItemOut(Schema):
    rank: int
    pipe: str
    score: float
    factors: dict
    method: str
    unit_cost_yuan: float
    cost_yuan: float


class PlanOut(Schema):
    id: int
    year: int
    name: str
    budget_yuan: float
    total_cost_yuan: float
    candidates: int
    weights: dict
    created_at: dt.datetime
    items: list[PlanItemOut]


def _plan(plan: RenovationPlan, with_items: bool = True) -> dict:
    items = plan.items.select_related("pipe").order_by("rank") if with_items else []
    return {"id": plan.id, "year": plan.year, "name": plan.name, "budget_yuan": float(plan.budget_yuan),
            "total_cost_yuan": float(plan.total_cost_yuan), "candidates": plan.candidates, "weights": plan.weights,
            "created_at": plan.created_at,
            "items": [{"rank": i.rank, "pipe": i.pipe.code, "score": i.score, "factors": i.factors, "method": i.method,
                       "unit_cost_yuan": i.unit_cost_yuan, "cost_yuan": i.cost_yuan} for i in items]}


@router.post("/plans", response={201: PlanOut}, summary="编制年度改造计划（预算内按 优先分/费用 选取）")
def create_plan(request, body: PlanIn):
    plan = services.make_plan(request.user, year=body.year, budget_yuan=body.budget_yuan, name=body.name,
                              weights_override=body.weights, min_score=body.min_score)
    return Status(201, _plan(plan))


@router.get("/plans", response=Page[PlanOut], summary="改造计划")
def plans(request, page: PageParams = Query(...)):
    return paginate(policy.visible(request.user, RenovationPlan.objects.all()), page, lambda p: _plan(p, with_items=False))


@router.get("/plans/{pk}", response=PlanOut, summary="改造计划详情")
def plan_detail(request, pk: int):
    return _plan(policy.get_visible(request.user, RenovationPlan.objects.all(), pk=pk))


@router.get("/plans/{pk}/xlsx", summary="导出改造计划（Excel）")
def plan_export(request, pk: int):
    plan = policy.get_visible(request.user, RenovationPlan.objects.all(), pk=pk)
    resp = HttpResponse(services.plan_xlsx(plan), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename=renovation-plan-{plan.year}-{plan.pk}.xlsx"
    return resp


class ProjectOut(Schema):
    code: str
    name: str
    status: str
    unit: Optional[str]
    street: Optional[str]
    due_on: Optional[dt.date]
    total_m: float
    done_m: float
    ratio: float


def _project(p: SeparationProject) -> dict:
    return {"code": p.code, "name": p.name, "status": p.status, "unit": p.unit.code if p.unit_id else None,
            "street": p.street.code if p.street_id else None, "due_on": p.due_on, **services.project_progress(p)}


@router.get("/projects", response=Page[ProjectOut], summary="雨污分流项目及按长度的进度")
def projects(request, page: PageParams = Query(...)):
    return paginate(policy.visible(request.user, SeparationProject.objects.select_related("unit", "street")), page, _project)


class ProjectIn(Schema):
    code: str
    name: str
    pipes: list[str]
    due_on: Optional[dt.date] = None
    street: Optional[str] = None


@router.post("/projects", response={201: ProjectOut}, summary="新建雨污分流项目")
def create_project(request, body: ProjectIn):
    from chengyun.geo.models import Street, Unit

    p = policy.principal(request.user)
    unit = Unit.objects.filter(pk=p.unit_id).first() if p.unit_id else None
    street = referenced(Street.objects, body.street, what="街道", field="street", lookup="code")
    project = services.create_project(request.user, code=body.code, name=body.name, pipe_codes=body.pipes, unit=unit, street=street, due_on=body.due_on)
    return Status(201, _project(project))


class ProgressIn(Schema):
    pipes: list[str]
    done_on: dt.date


@router.post("/projects/{code}/progress", response=ProjectOut, summary="填报完成管段")
def project_progress(request, code: str, body: ProgressIn):
    project = policy.get_visible(request.user, SeparationProject.objects.all(), code=code)
    services.record_progress(request.user, project, body.pipes, done_on=body.done_on)
    return _project(project)


# Overflow records live in their own module, with a router of their own mounted here.
from .api_overflows import router as overflows_router  # noqa: E402

router.add_router("", overflows_router)
