"""Every write of people, roles, area scopes and API tokens."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.geo.models import Community, Grid, Street, Unit

from . import passwords, policy
from . import roles as R
from .models import AccountSecurity, ApiToken, Person, Role

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


def _check_separation(codes: list[str]) -> None:
    """三员分立: one person holds at most one of system administrator, security administrator
    and auditor, unless the district allows it (CHENGYUN_ALLOW_COMBINED_ADMIN_ROLES)."""
    from django.conf import settings

    held = [c for c in codes if c in R.THREE_ADMINS]
    if len(held) > 1 and not settings.ALLOW_COMBINED_ADMIN_ROLES:
        names = "、".join(str(R.ROLE_NAMES[c]) for c in held)
        raise Invalid(f"系统管理员、安全管理员、审计员须由不同人员担任，不能同时分配：{names}", code="roles_not_combinable",
                      detail={"roles": held})


def _check_password(password: str, user: Any) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid("密码不符合要求：" + "；".join(exc.messages), code="weak_password", detail={"field": "password"}) from None


def create_person(user: Any, *, name: str, unit: Unit, roles: Iterable[str], phone: str = "", title: str = "",
                  username: str | None = None, password: str | None = None,
                  streets: Iterable[Street] = (), communities: Iterable[Community] = (), grids: Iterable[Grid] = ()) -> Person:
    policy.require_create(user, Person, message="只有系统管理员可以新建人员")
    codes = _check_roles(roles)
    _check_separation(codes)
    if not name.strip():
        raise Invalid("姓名不能为空", code="bad_name")
    User = get_user_model()
    generated = None
    with transaction.atomic():
        login = None
        if username:
            if User.objects.filter(username=username).exists():
                raise Conflict(f"登录名 {username} 已存在", code="duplicate_username")
            login = User(username=username, first_name=name)
            if password:
                _check_password(password, login)
            else:
                # A generated first password, handed over once; the owner replaces it at first sign-in.
                password = passwords.generate()
                generated = password
            login.set_password(password)
            login.save()
            # Whoever made the account knows its first password: the owner sets their own.
            AccountSecurity.objects.create(user=login, must_change_password=True)
        person = Person.objects.create(user=login, name=name.strip(), unit=unit, phone=phone, title=title)
        person.roles.set(codes)
        person.streets.set(streets)
        person.communities.set(communities)
        person.grids.set(grids)
        audit.created(person)
    person.initial_password = generated  # shown once to the administrator, never stored in clear
    return person


def reset_password(user: Any, username: str) -> str:
    """A new generated password for someone who lost theirs (system administrator, or the CLI
    operator when user is None): shown once, changed at next sign-in, other sessions ended."""
    from . import sessions

    if user is not None:
        policy.require_role(user, {R.SYSADMIN}, "只有系统管理员可以重置密码")
    User = get_user_model()
    target = User.objects.filter(username=username).first()
    if target is None:
        raise NotFound(f"用户 {username} 不存在", code="no_such_user")
    password = passwords.generate()
    with transaction.atomic():
        target.set_password(password)
        target.save(update_fields=["password"])
        AccountSecurity.objects.update_or_create(user=target, defaults={"must_change_password": True})
        audit.action(target, "password_reset", otype="auth.user", object_repr=username)
    sessions.revoke_all(None, target)
    return password


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
            codes = _check_roles(roles)
            _check_separation(codes)
            person.roles.set(codes)
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


def create_token(user: Any, owner_username: str, name: str = "", *, scopes: Iterable[str] = ("*",),
                 expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new bearer token for `owner_username`, shown once (only its hash is kept). `user` None
    is the CLI operator. `scopes` limit what it may call (chengyun.people.scopes)."""
    from . import scopes as S

    if user is not None:
        p = policy.require_role(user, R.ALL_ROLES)
        if not p.has({R.SYSADMIN}) and user.get_username() != owner_username:
            raise Forbidden("只能为自己创建令牌")
    granted = S.check_names(list(scopes))
    if expires_in_days is not None and not (1 <= expires_in_days <= 3650):
        raise Invalid("expires_in_days 应在 1 到 3650 之间", code="bad_expiry")
    User = get_user_model()
    try:
        owner = User.objects.get(username=owner_username)
    except User.DoesNotExist:
        raise NotFound(f"用户 {owner_username} 不存在", code="no_such_user") from None
    key = "cy_" + secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(user=owner, name=name, prefix=key[:10], key_hash=ApiToken.hash(key),
                                        scopes=granted, expires_at=expires_at)
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


def token_for_key(key: str, ip: str | None = None) -> ApiToken | None:
    """The valid (unrevoked, unexpired, active owner) token for a bearer key, or None.

    A wrong key counts as a failed sign-in of its prefix and of the client address
    (chengyun.people.lockout); while either is locked even a good key is refused.
    """
    from . import lockout

    if not key or len(key) > 200:
        return None
    subjects = lockout.subjects_for_token(key, ip)
    if lockout.locked(subjects) is not None:
        return None
    now = timezone.now()
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(key), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active or (token.expires_at is not None and token.expires_at <= now):
        audit.action(token, "token_failed", otype="people.apitoken", object_id=str(token.pk) if token else "",
                     object_repr=key[:10], after={"reason": "expired" if token else "unknown", "prefix": key[:10]})
        lockout.record_failure(subjects)
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_for_token(key: str, ip: str | None = None):
    """The active user behind a bearer token, or None."""
    token = token_for_key(key, ip)
    return token.user if token is not None else None
