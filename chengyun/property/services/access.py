"""The property office: who keeps companies, credit records and the schemes.

It is the department handlers of a unit whose specialty is in settings.PROPERTY_OFFICE_SPECIALTIES
(default 住建: the housing bureau's property office), and system administrators. It reads every
assessment and coverage file; the street and community people read and write those of their area
as the policy rules (apps.py) say.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from chengyun.core.errors import Forbidden, NotFound
from chengyun.people import policy
from chengyun.people import roles as R


def office_specialties() -> frozenset[str]:
    return frozenset(getattr(settings, "PROPERTY_OFFICE_SPECIALTIES", ("住建",)))


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


def office_unit():
    """The unit that issues records made by the platform itself (a complaint case's record)."""
    from chengyun.geo.models import Unit

    return Unit.objects.filter(specialty__in=office_specialties(), active=True).order_by("code").first()


def require_office(user: Any, message: str = "只有住建部门物业管理科可以执行此操作") -> None:
    if user is None:
        return  # the platform itself: demo, jobs, the case hook
    p = policy.principal(user)
    if not p.is_authenticated:
        raise Forbidden("请先登录", code="unauthenticated", status=401)
    if not is_office(user):
        raise Forbidden(message, code="not_office")


def visible(user: Any, qs: QuerySet) -> QuerySet:
    return qs if is_office(user) else policy.visible(user, qs)


def get_visible(user: Any, qs: QuerySet, **lookup: Any):
    try:
        return visible(user, qs).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def require_write(user: Any, obj: Any, message: str) -> None:
    if user is None or is_office(user):
        return
    policy.require_write(user, obj, message)
