from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from ninja import Query, Router, Schema, Status

from chengyun.core.models import AuditEntry
from chengyun.core.pagination import Page, PageParams, paginate

from . import policy, services
from .filters import AuditFilter, PersonFilter
from .lookup import referenced
from .models import Person
from .roles import ROLE_NAMES

router = Router(tags=["人员与审计"])


class PersonOut(Schema):
    id: int
    name: str
    phone: str
    title: str
    username: Optional[str]
    unit: dict[str, str]
    roles: list[dict[str, str]]
    streets: list[str]
    communities: list[str]
    grids: list[str]
    active: bool


def person_out(p: Person) -> dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "phone": p.phone, "title": p.title,
        "username": p.user.username if p.user_id else None,
        "unit": {"code": p.unit.code, "name": p.unit.name},
        "roles": [{"code": r.code, "name": str(ROLE_NAMES[r.code])} for r in p.roles.all()],
        "streets": [s.code for s in p.streets.all()],
        "communities": [c.code for c in p.communities.all()],
        "grids": [g.code for g in p.grids.all()],
        "active": p.active,
    }


def _people():
    return Person.objects.select_related("unit", "user").prefetch_related("roles", "streets", "communities", "grids")


@router.get("/", response=Page[PersonOut], summary="人员列表（按角色、单位与片区可见）")
def people(request, filters: PersonFilter = Query(...), page: PageParams = Query(...)):
    qs = filters.filter(policy.visible(request.user, _people())).distinct().order_by("name", "id")
    return paginate(qs, page, person_out)


@router.get("/me", response=PersonOut, summary="当前登录人员")
def me(request):
    return person_out(policy.get_visible(request.user, _people(), user_id=request.user.pk))


@router.get("/{int:person_id}", response=PersonOut, summary="人员详情")
def person_detail(request, person_id: int):
    return person_out(policy.get_visible(request.user, _people(), pk=person_id))


class PersonPatch(Schema):
    name: Optional[str] = None
    phone: Optional[str] = None
    title: Optional[str] = None
    active: Optional[bool] = None


@router.patch("/{int:person_id}", response=PersonOut, summary="修改人员（本人可改电话，管理员可改全部）")
def person_patch(request, person_id: int, body: PersonPatch):
    person = policy.get_visible(request.user, _people(), pk=person_id)
    services.update_person(request.user, person, **body.dict(exclude_unset=True))
    return person_out(_people().get(pk=person_id))


class AuditOut(Schema):
    id: int
    at: datetime
    request_id: str
    actor: Optional[str]
    actor_name: str
    source: str
    ip: Optional[str]
    action: str
    verb: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any
    after: Any


def audit_out(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id, "at": e.at, "request_id": e.request_id, "actor": e.actor.username if e.actor_id and e.actor else None,
        "actor_name": e.actor_name, "source": e.source, "ip": e.ip, "action": e.action, "verb": e.verb,
        "object_type": e.object_type, "object_id": e.object_id, "object_repr": e.object_repr, "before": e.before, "after": e.after,
    }


@router.get("/audit", response=Page[AuditOut], summary="审计日志查询（审计员、系统管理员）")
def audit_log(request, filters: AuditFilter = Query(...), page: PageParams = Query(...)):
    policy.require_role(request.user, policy.rule_for(AuditEntry).wide_read, "只有审计员和系统管理员可以查看审计日志")
    qs = policy.visible(request.user, AuditEntry.objects.select_related("actor"))
    return paginate(filters.filter(qs), page, audit_out)


class TokenIn(Schema):
    name: str = ""
    scopes: list[str] = ["*"]
    expires_in_days: Optional[int] = None


class TokenOut(Schema):
    token: str
    prefix: str
    name: str
    scopes: list[str]
    expires_at: Optional[datetime]


@router.post("/tokens", response={201: TokenOut}, summary="为自己创建 API 令牌（令牌只显示一次；可限定权限范围和有效期）")
def create_token(request, body: TokenIn):
    token, key = services.create_token(request.user, request.user.get_username(), body.name, scopes=body.scopes,
                                       expires_in_days=body.expires_in_days)
    return Status(201, {"token": key, "prefix": token.prefix, "name": token.name, "scopes": token.scopes, "expires_at": token.expires_at})


class PersonIn(Schema):
    name: str
    unit: str
    roles: list[str]
    phone: str = ""
    title: str = ""
    username: Optional[str] = None
    password: Optional[str] = None
    streets: list[str] = []
    communities: list[str] = []
    grids: list[str] = []


def _areas(streets, communities, grids):
    from chengyun.core.errors import Invalid
    from chengyun.geo.models import Community, Grid, Street

    found = {
        "streets": list(Street.objects.filter(code__in=streets)),
        "communities": list(Community.objects.filter(code__in=communities)),
        "grids": list(Grid.objects.filter(code__in=grids)),
    }
    for key, asked in (("streets", streets), ("communities", communities), ("grids", grids)):
        missing = sorted(set(asked) - {o.code for o in found[key]})
        if missing:
            raise Invalid(f"{key}: 编码不存在：{'、'.join(missing)}", code="unknown_area", detail={key: missing})
    return found


class PersonCreatedOut(PersonOut):
    initial_password: Optional[str] = None


@router.post("/", response={201: PersonCreatedOut}, summary="新建人员（系统管理员；未给密码时生成初始密码，只显示一次，首次登录须修改）")
def person_create(request, body: PersonIn):
    from chengyun.geo.models import Unit

    unit = referenced(Unit.objects, body.unit, what="单位编码", field="unit", lookup="code", optional=False, code="unknown_unit")
    person = services.create_person(request.user, name=body.name, unit=unit, roles=body.roles, phone=body.phone, title=body.title,
                                    username=body.username, password=body.password, **_areas(body.streets, body.communities, body.grids))
    return Status(201, {**person_out(_people().get(pk=person.pk)), "initial_password": person.initial_password})


class AssignmentIn(Schema):
    roles: Optional[list[str]] = None
    streets: Optional[list[str]] = None
    communities: Optional[list[str]] = None
    grids: Optional[list[str]] = None


@router.put("/{int:person_id}/assignment", response=PersonOut, summary="分配角色和片区（定人定片区，系统管理员）")
def person_assign(request, person_id: int, body: AssignmentIn):
    person = policy.get_visible(request.user, _people(), pk=person_id)
    areas = _areas(body.streets or [], body.communities or [], body.grids or [])
    services.assign(request.user, person, roles=body.roles,
                    streets=areas["streets"] if body.streets is not None else None,
                    communities=areas["communities"] if body.communities is not None else None,
                    grids=areas["grids"] if body.grids is not None else None)
    return person_out(_people().get(pk=person_id))


from .security_api import router as _security_router  # noqa: E402  (sessions, lockouts, audit export)

router.add_router("/security", _security_router)
