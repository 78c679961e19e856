"""Who may do what in the health check, on top of the policy rules registered in apps.py.

The health-check office (城市体检办公室) organises the check for the district: it keeps the
indicator sets, runs computations, generates problems and accepts remedies. It is the people of
the units whose specialty is in settings.RENEWAL_OFFICE_SPECIALTIES (default 住建) with the
department-handler role, and system administrators.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from chengyun.core.errors import Forbidden
from chengyun.people import policy
from chengyun.people import roles as R


def office_specialties() -> frozenset[str]:
    return frozenset(getattr(settings, "RENEWAL_OFFICE_SPECIALTIES", ("住建",)))


def is_office(user: Any) -> bool:
    p = policy.principal(user)
    if not p.is_authenticated:
        return False
    if p.has({R.SYSADMIN}):
        return True
    if not p.has({R.DEPT_HANDLER}) or p.unit_id is None:
        return False
    from chengyun.geo.models import Unit

    return Unit.objects.filter(pk=p.unit_id, specialty__in=office_specialties()).exists()


def require_office(user: Any, message: str = "只有城市体检办公室可以执行此操作") -> None:
    p = policy.principal(user)
    if not p.is_authenticated:
        raise Forbidden("请先登录", code="unauthenticated", status=401)
    if not is_office(user):
        raise Forbidden(message, code="not_office")


def visible(user: Any, qs: QuerySet) -> QuerySet:
    """The policy's view of `qs`, widened to everything for the health-check office."""
    return qs if is_office(user) else policy.visible(user, qs)


def get_visible(user: Any, qs: QuerySet, **lookup: Any):
    if is_office(user):
        try:
            return qs.get(**lookup)
        except (qs.model.DoesNotExist, ValueError, TypeError):
            from chengyun.core.errors import NotFound

            raise NotFound() from None
    return policy.get_visible(user, qs, **lookup)


def require_write(user: Any, obj: Any, message: str) -> None:
    """The office writes every record of the check; others as their policy rule allows."""
    if is_office(user):
        return
    policy.require_write(user, obj, message)
