"""Every write of people, roles, area scopes and API tokens."""
from __future__ import annotations

import secrets
from typing import Any, Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.geo.models import Community, Grid, Street, Unit

from . import policy
from . import roles as R
from .models import ApiToken, Person, Role

PERSON_SELF_FIELDS = {"phone"}
PERSON_ADMIN_FIELDS = {"name", "phone", "title", "unit", "active"}


def ensure_roles() -> None:
    for code, name in R.ROLE_NAMES.items():
        Role.objects.update_or_create(code=code, defaults={"name": str(name)})


def _check_roles(role_codes: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(role_codes))
    unknown = [c for c in codes if c not in R.ALL_ROLES]
    if unknown:
        raise Invalid(f"未知的角色：{'、'.join(unknown)}", code="bad_role", detail={"roles": unknown})
    return codes


def create_person(user: Any, *, name: str, unit: Unit, roles: Iterable[str], phone: str = "", title: str = "",
                  username: str | None = None, password: str | None = None,
                  streets: Iterable[Street] = (), communities: Iterable[Community] = (), grids: Iterable[Grid] = ()) -> Person:
    policy.require_create(user, Person, message="只有系统管理员可以新建人员")
    codes = _check_roles(roles)
    if not name.strip():
        raise Invalid("姓名不能为空", code="bad_name")
    User = get_user_model()
    with transaction.atomic():
        login = None
        if username:
            if User.objects.filter(username=username).exists():
                raise Conflict(f"登录名 {username} 已存在", code="duplicate_username")
            login = User.objects.create_user(username=username, password=password, first_name=name)
        person = Person.objects.create(user=login, name=name.strip(), unit=unit, phone=phone, title=title)
        person.roles.set(codes)
        person.streets.set(streets)
        person.communities.set(communities)
        person.grids.set(grids)
        audit.created(person)
    return person


def update_person(user: Any, person: Person, **changes: Any) -> Person:
    """A person corrects their own phone; an administrator edits anything."""
    p = policy.require_write(user, person)
    policy.require_fields(changes, PERSON_ADMIN_FIELDS if p.has({R.SYSADMIN}) else PERSON_SELF_FIELDS)
    with transaction.atomic():
        before = audit.snapshot(person)
        for k, v in changes.items():
            setattr(person, k, v)
        person.full_clean(exclude=["user"])
        person.save()
        audit.updated(person, before)
    return person


def assign(user: Any, person: Person, *, roles: Iterable[str] | None = None, streets: Iterable[Street] | None = None,
           communities: Iterable[Community] | None = None, grids: Iterable[Grid] | None = None) -> Person:
    """Set a person's roles and area scope (定人定片区)."""
    policy.require_role(user, {R.SYSADMIN}, "只有系统管理员可以分配角色和片区")
    with transaction.atomic():
        before = audit.snapshot(person)
        if roles is not None:
            person.roles.set(_check_roles(roles))
        if streets is not None:
            person.streets.set(streets)
        if communities is not None:
            person.communities.set(communities)
        if grids is not None:
            person.grids.set(grids)
        audit.updated(person, before, verb="assign")
    if person.user is not None:
        policy.forget(person.user)
    return person


def create_token(user: Any, owner_username: str, name: str = "") -> tuple[ApiToken, str]:
    """A new bearer token for `owner_username`. `user` None is the CLI operator."""
    if user is not None:
        p = policy.require_role(user, R.ALL_ROLES)
        if not p.has({R.SYSADMIN}) and user.get_username() != owner_username:
            raise Forbidden("只能为自己创建令牌")
    User = get_user_model()
    try:
        owner = User.objects.get(username=owner_username)
    except User.DoesNotExist:
        raise NotFound(f"用户 {owner_username} 不存在", code="no_such_user") from None
    key = "cy_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=owner, name=name, prefix=key[:10], key_hash=ApiToken.hash(key))
        audit.created(token)
    return token, key


def revoke_token(user: Any, token: ApiToken) -> None:
    if user is not None and token.user_id != user.pk:
        policy.require_role(user, {R.SYSADMIN}, "只能吊销自己的令牌")
    with transaction.atomic():
        before = audit.snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.updated(token, before, verb="revoke")


def user_for_token(key: str):
    """The active user behind a bearer token, or None. Records last use at most once a minute."""
    if not key or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(key), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
