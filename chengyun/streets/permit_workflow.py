"""外摆许可: the one table of states and transitions.

    已申请 ──review──▶ 公示中 ──approve (公示期满)──▶ 有效 ──expire──▶ 已到期
       └──reject──▶ 不予许可 ◀──object── 公示中        └──revoke (三次违规或执法决定)──▶ 已撤销

The street (its chief or the street office) reviews; publicity lasts the policy's configured
number of working days; the district's city-management office (here the ops center, which runs
城管 for the district) approves once publicity has ended without objection.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from chengyun.people import roles as R

APPLIED = "applied"
PUBLICITY = "publicity"
APPROVED = "approved"
REJECTED = "rejected"
EXPIRED = "expired"
REVOKED = "revoked"

STATES = {
    APPLIED: _("已申请"),
    PUBLICITY: _("公示中"),
    APPROVED: _("有效"),
    REJECTED: _("不予许可"),
    EXPIRED: _("已到期"),
    REVOKED: _("已撤销"),
}
OPEN_STATES = frozenset({APPLIED, PUBLICITY})

STREET = frozenset({R.STREET_CHIEF, R.DEPT_HANDLER})
# The district's city-management desk (the ops center's shift leader and dispatchers) decides.
DISTRICT = frozenset({R.OPS_SHIFT_LEADER, R.OPS_DISPATCHER, R.SYSADMIN})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    note_required: bool = False
    # Reached only through a service that checks more than the state (strikes, expiry).
    internal: bool = False


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("review", _("街道审核通过并公示"), frozenset({APPLIED}), PUBLICITY, STREET),
    Transition("reject", _("不予许可"), frozenset({APPLIED}), REJECTED, STREET | DISTRICT, note_required=True),
    Transition("object", _("公示异议成立"), frozenset({PUBLICITY}), REJECTED, DISTRICT, note_required=True),
    Transition("approve", _("批准"), frozenset({PUBLICITY}), APPROVED, DISTRICT),
    Transition("revoke", _("撤销许可"), frozenset({APPROVED}), REVOKED, DISTRICT, note_required=True),
    Transition("expire", _("到期"), frozenset({APPROVED}), EXPIRED, frozenset(), internal=True),
)}


def allowed_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources and not t.internal]
