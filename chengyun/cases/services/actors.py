"""Who acts and who is told: the actor as the case timeline records them, users by role and grid."""
from __future__ import annotations

from typing import Any, Iterable


def _actor_name(user: Any) -> str:
    if user is None:
        return "系统"
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return (person.name if person else "") or user.get_full_name() or user.get_username()


def _person_id(user: Any) -> int | None:
    if user is None:
        return None
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return person.pk if person else None


def _users_with_roles(role_codes: Iterable[str], **person_filter: Any) -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(person__active=True, person__roles__code__in=list(role_codes), **person_filter).distinct())


def policy_person_grids():
    """The person ↔ grid assignment table (定人定片区)."""
    from chengyun.people.models import Person

    return Person.grids.through
