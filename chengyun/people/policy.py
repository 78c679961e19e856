"""Who may read and write what: the one place that decides, by role, unit and area.

Each model that holds scoped records registers a Rule. Views, API endpoints, importers and
services ask this module; none decides on its own. Out-of-scope reads look exactly like
missing records (404) so that the existence of another area's records is not revealed;
forbidden writes on visible records are 403 with a Chinese message.

The design sketch put the policy in ``core``; it lives here because it is made of roles,
units and areas, which are this app's and ``geo``'s (core must not depend on them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from django.db import models
from django.db.models import Q, QuerySet

from chengyun.core.errors import Forbidden, NotFound

from . import roles as R


@dataclass(frozen=True)
class Rule:
    read: frozenset[str]
    write: frozenset[str] = frozenset()
    # Lookup paths from the model to its area, by kind: {"grid": "grid"}, {"street": "street_id"}…
    area: dict[str, str] = field(default_factory=dict)
    # Lookup path(s) from the model to the id of a unit whose people see it (the responsible
    # unit; also e.g. cooperating units of a supervised task, through a many-to-many path).
    unit: str | tuple[str, ...] | None = None
    # Lookup path(s) to a Person id: a person always reads (and may edit) their own record, or
    # one they are answerable for (a river chief's sites and their alerts).
    person: str | tuple[str, ...] | None = None
    # Reference data that every signed-in person reads (boundaries, the unit directory).
    everyone_reads: bool = False
    wide_read: frozenset[str] = R.DISTRICT_WIDE
    wide_write: frozenset[str] = frozenset({R.SYSADMIN})
    # Set when an area or unit path crosses a many-to-many relation and can repeat rows.
    distinct: bool = False


_rules: dict[type[models.Model], Rule] = {}


def register(model: type[models.Model], rule: Rule) -> None:
    _rules[model] = rule


def rule_for(model: type[models.Model]) -> Rule:
    try:
        return _rules[model]
    except KeyError:
        raise LookupError(f"no policy rule registered for {model._meta.label}") from None


@dataclass(frozen=True)
class Principal:
    """What the policy needs to know about the user, loaded once per request."""

    user_id: int | None
    person_id: int | None
    roles: frozenset[str]
    unit_id: int | None
    grid_ids: frozenset[int]
    community_ids: frozenset[int]
    street_ids: frozenset[int]

    def has(self, role_set: Iterable[str]) -> bool:
        return bool(self.roles & frozenset(role_set))

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None


ANONYMOUS = Principal(None, None, frozenset(), None, frozenset(), frozenset(), frozenset())


def principal(user: Any) -> Principal:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_chengyun_principal", None)
    if cached is not None:
        return cached
    from chengyun.geo.models import Community, Grid

    person = getattr(user, "person", None) if hasattr(user, "person") else None
    role_codes = set(person.role_codes) if person and person.active else set()
    if user.is_superuser:
        role_codes.add(R.SYSADMIN)
    grid_ids: set[int] = set()
    community_ids: set[int] = set()
    street_ids: set[int] = set()
    if person is not None:
        street_ids = set(person.streets.values_list("id", flat=True))
        community_ids = set(person.communities.values_list("id", flat=True))
        grid_ids = set(person.grids.values_list("id", flat=True))
        # Responsibility for a street covers its communities and grids; for a community, its grids.
        community_ids |= set(Community.objects.filter(street_id__in=street_ids).values_list("id", flat=True))
        grid_ids |= set(Grid.objects.filter(community_id__in=community_ids).values_list("id", flat=True))
        # Upward, a grid worker belongs to the community and street their grids lie in.
        up = Grid.objects.filter(id__in=grid_ids).values_list("community_id", "street_id")
        for c, s in up:
            community_ids.add(c)
            street_ids.add(s)
    p = Principal(
        user_id=user.pk,
        person_id=person.pk if person else None,
        roles=frozenset(role_codes),
        unit_id=person.unit_id if person else None,
        grid_ids=frozenset(grid_ids),
        community_ids=frozenset(community_ids),
        street_ids=frozenset(street_ids),
    )
    user._chengyun_principal = p
    return p


def forget(user: Any) -> None:
    """Drop the cached principal (after the user's roles or areas changed)."""
    if user is not None and hasattr(user, "_chengyun_principal"):
        del user._chengyun_principal


def _paths(path: str | tuple[str, ...]) -> tuple[str, ...]:
    return (path,) if isinstance(path, str) else path


def _person_q(p: Principal, rule: Rule) -> Q:
    q = Q(pk__in=[])
    for path in _paths(rule.person):
        q |= Q(**{path: p.person_id})
    return q


def _scope_q(p: Principal, rule: Rule) -> Q:
    q = Q(pk__in=[])
    ids = {"grid": p.grid_ids, "community": p.community_ids, "street": p.street_ids}
    for kind, path in rule.area.items():
        q |= Q(**{f"{path}__in": ids[kind]})
    if rule.unit and p.unit_id is not None:
        for path in _paths(rule.unit):
            q |= Q(**{path: p.unit_id})
    if rule.person and p.person_id is not None:
        q |= _person_q(p, rule)
    return q


def visible(user: Any, qs: QuerySet) -> QuerySet:
    """The records of `qs` that `user` may read."""
    p = principal(user)
    rule = rule_for(qs.model)
    if not p.is_authenticated:
        return qs.none()
    if rule.everyone_reads or p.has(rule.wide_read):
        return qs
    if p.has(rule.read):
        q = _scope_q(p, rule)
    elif rule.person and p.person_id is not None:
        q = _person_q(p, rule)
    else:
        return qs.none()
    return qs.filter(q).distinct() if rule.distinct else qs.filter(q)


def get_visible(user: Any, qs: QuerySet, **lookup: Any) -> models.Model:
    """Fetch one record the user may read, or raise NotFound (404) — out of scope looks missing."""
    try:
        return visible(user, qs).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_read(user: Any, obj: models.Model) -> bool:
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def _in_write_scope(p: Principal, rule: Rule, obj: models.Model) -> bool:
    if p.has(rule.wide_write):
        return True
    if rule.person and p.person_id is not None and type(obj)._default_manager.filter(_person_q(p, rule), pk=obj.pk).exists():
        return True
    if not p.has(rule.write):
        return False
    q = _scope_q(p, rule)
    return type(obj)._default_manager.filter(q, pk=obj.pk).exists()


def can_write(user: Any, obj: models.Model) -> bool:
    p = principal(user)
    return p.is_authenticated and _in_write_scope(p, rule_for(type(obj)), obj)


def require_write(user: Any, obj: models.Model, message: str | None = None) -> Principal:
    """Raise NotFound if the user cannot even see `obj`, Forbidden if they may not change it."""
    p = principal(user)
    rule = rule_for(type(obj))
    if not can_read(user, obj):
        raise NotFound()
    if not _in_write_scope(p, rule, obj):
        raise Forbidden(message or "您无权修改该记录")
    return p


def require_create(user: Any, model: type[models.Model], *, grid_id: int | None = None, community_id: int | None = None,
                   street_id: int | None = None, unit_id: int | None = None, message: str | None = None) -> Principal:
    """May the user create a `model` record placed in this area / for this unit?"""
    p = principal(user)
    rule = rule_for(model)
    if not p.is_authenticated:
        raise Forbidden("请先登录", code="unauthenticated", status=401)
    if p.has(rule.wide_write):
        return p
    if p.has(rule.write):
        placed = [(grid_id, p.grid_ids, "grid"), (community_id, p.community_ids, "community"), (street_id, p.street_ids, "street")]
        if any(value is not None and kind in rule.area and value in ids for value, ids, kind in placed):
            return p
        if rule.unit and unit_id is not None and unit_id == p.unit_id:
            return p  # creating for one's own unit
        if not rule.area and not rule.unit:
            return p
    raise Forbidden(message or "您无权在该区域或单位新建此类记录")


def require_fields(changes: Iterable[str], allowed: Iterable[str]) -> None:
    """Raise Forbidden naming the fields of an update this user may not change."""
    refused = set(changes) - set(allowed)
    if refused:
        raise Forbidden(f"无权修改字段：{'、'.join(sorted(refused))}")


def require_role(user: Any, allowed: Iterable[str], message: str | None = None) -> Principal:
    p = principal(user)
    if not p.is_authenticated:
        raise Forbidden("请先登录", code="unauthenticated", status=401)
    if not p.has(allowed):
        raise Forbidden(message or "您的角色无权执行此操作")
    return p
