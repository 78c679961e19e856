"""Who reviews for the district: the department handlers of the joint-review units (组织部、财政局、
农业农村局 — the units whose specialty is a key of rules.review_units()) read every project and
take the district's steps; system administrators read everything, as the policy's wide roles do.
Village cadres and street officers see what their area's policy rule lets them.
"""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chengyun.core.errors import Forbidden, NotFound
from chengyun.people import policy
from chengyun.people import roles as R

from .. import rules


def reviewer_unit(user: Any):
    """The joint-review unit the user reviews for, or None."""
    p = policy.principal(user)
    if not p.is_authenticated or not p.has({R.DEPT_HANDLER}) or p.unit_id is None:
        return None
    from chengyun.geo.models import Unit

    return Unit.objects.filter(pk=p.unit_id, specialty__in=list(rules.review_units())).first()


def is_reviewer(user: Any) -> bool:
    return reviewer_unit(user) is not None


def visible(user: Any, qs: QuerySet) -> QuerySet:
    return qs if is_reviewer(user) else policy.visible(user, qs)


def get_visible(user: Any, qs: QuerySet, **lookup: Any):
    try:
        return visible(user, qs).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def require_district(user: Any, message: str = "只有区级联审部门可以执行此操作") -> None:
    p = policy.principal(user)
    if not p.is_authenticated:
        raise Forbidden("请先登录", code="unauthenticated", status=401)
    if not (is_reviewer(user) or p.has({R.SYSADMIN})):
        raise Forbidden(message, code="not_reviewer")
