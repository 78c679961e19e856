"""Helpers shared by the street services: who the user is, China time, the case source."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from chengyun.core.errors import Invalid
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.models import Person

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The street side of the work: those who keep segments, review permits and walk patrols.
STREET_STAFF = frozenset({R.STREET_CHIEF, R.COMMUNITY_GRID_WORKER, R.OPS_GRID_WORKER, R.DEPT_HANDLER})
OPS = frozenset({R.OPS_SHIFT_LEADER, R.OPS_DISPATCHER, R.OPS_ACCEPTOR, R.SYSADMIN})


def setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def person_of(user: Any) -> Person | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user, active=True).first()


def aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """A time from a form or paper log without a zone is China time."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise Invalid(f"{field} 应为日期时间", code="bad_datetime", detail={"field": field})
    return value if timezone.is_aware(value) else value.replace(tzinfo=SHANGHAI)


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SHANGHAI)


def clean_text(value: str | None, field: str, *, required: bool = True, limit: int = 500) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"{field} 不能为空", code="missing_field", detail={"field": field})
    return text[:limit]


# The case source a finding is filed under, by the reporter's role (the four-level linkage: the
# street chief, the community grid worker, the ops center's supervisor each report as themselves).
SOURCE_BY_ROLE = ((R.STREET_CHIEF, "street_chief"), (R.COMMUNITY_GRID_WORKER, "community_grid_worker"), (R.OPS_GRID_WORKER, "ops_grid_worker"))


def case_source(person: Person) -> tuple[str, bool]:
    """(source, files_as_person): a patroller without one of these roles (a team member from a
    department) has the system file for them under the street chief's source, their name kept."""
    codes = person.role_codes
    for role, source in SOURCE_BY_ROLE:
        if role in codes:
            return source, True
    return "street_chief", False


def require_street_staff(user: Any, message: str) -> policy.Principal:
    return policy.require_role(user, STREET_STAFF | OPS | {R.DISTRICT_LEADER}, message)
