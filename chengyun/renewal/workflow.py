"""The problem ledger's one table of states and transitions (闭环销号).

    待整改 ──start──▶ 整改中 ──(remedy accepted)──▶ 待复核 ──close──▶ 已销号
       └──────────────(remedy accepted)──────────────▲      └─return──▶ 整改中

A problem reaches 待复核 only when a remedy (a case or a renewal project) is accepted
(services.accept_remedy), and 已销号 only from 待复核 by a re-check: next year's measurement of
its indicator passes, or the inspector re-checks it on site. 退回 sends it back to 整改中 and
voids the accepted remedy, so closing needs a new acceptance.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from chengyun.people import roles as R

PENDING = "pending"
IN_PROGRESS = "in_progress"
REVIEWING = "reviewing"
CLOSED = "closed"

STATES = {
    PENDING: _("待整改"),
    IN_PROGRESS: _("整改中"),
    REVIEWING: _("待复核"),
    CLOSED: _("已销号"),
}
OPEN_STATES = frozenset({PENDING, IN_PROGRESS, REVIEWING})

# Who does what, besides the health-check office (services.is_office), which may do everything.
RESPONSIBLE = frozenset({R.DEPT_HANDLER, R.STREET_CHIEF, R.COMMUNITY_GRID_WORKER})
INSPECTORS = frozenset({R.OPS_GRID_WORKER, R.STREET_CHIEF})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    note_required: bool = False
    # Reached only through a service that checks more than the state (accept_remedy).
    internal: bool = False


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("start", _("开始整改"), frozenset({PENDING}), IN_PROGRESS, RESPONSIBLE),
    Transition("accept_remedy", _("整改验收"), frozenset({PENDING, IN_PROGRESS}), REVIEWING, frozenset(), internal=True),
    Transition("close", _("复核销号"), frozenset({REVIEWING}), CLOSED, INSPECTORS, note_required=False),
    Transition("return", _("复核退回"), frozenset({REVIEWING}), IN_PROGRESS, INSPECTORS, note_required=True),
)}


def allowed_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
