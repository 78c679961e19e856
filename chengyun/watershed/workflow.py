"""The two declared workflows of the watershed module: one table of states and transitions each.

Soil-disturbing project (水土保持监督全过程):

    已登记 ──approve_plan──▶ 方案已批复 ──start──▶ 施工中 ──apply──▶ 待验收 ──accept──▶ 已验收 ──close──▶ 已销号
                                                     ▲               └─reject─┘

A project cannot close before its conservation facilities are accepted (水土保持设施验收):
close leaves only from 已验收.

Joint incident (联防联控事件), the same table on both platforms (a state change travels as a
timeline entry):

    处置中 ──resolve──▶ 已消除 ──close──▶ 已办结
       ▲───reopen────────┘
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    sources: frozenset[str]
    target: str
    note_required: bool = False


def _table(*ts: Transition) -> dict[str, Transition]:
    return {t.action: t for t in ts}


# ---------------------------------------------------------------- projects
REGISTERED, PLAN_APPROVED, CONSTRUCTING, AWAITING, ACCEPTED, CLOSED = (
    "registered", "plan_approved", "constructing", "awaiting", "accepted", "closed")
PROJECT_STATES = {
    REGISTERED: _("已登记"),
    PLAN_APPROVED: _("方案已批复"),
    CONSTRUCTING: _("施工中"),
    AWAITING: _("待验收"),
    ACCEPTED: _("已验收"),
    CLOSED: _("已销号"),
}
PROJECT_OPEN = frozenset({REGISTERED, PLAN_APPROVED, CONSTRUCTING, AWAITING})
PROJECT_TRANSITIONS = _table(
    Transition("approve_plan", _("方案批复"), frozenset({REGISTERED}), PLAN_APPROVED),
    Transition("start", _("开工"), frozenset({PLAN_APPROVED}), CONSTRUCTING),
    Transition("apply", _("申请设施验收"), frozenset({CONSTRUCTING}), AWAITING),
    Transition("reject", _("验收不通过"), frozenset({AWAITING}), CONSTRUCTING, note_required=True),
    Transition("accept", _("设施验收通过"), frozenset({AWAITING}), ACCEPTED, note_required=True),
    Transition("close", _("销号"), frozenset({ACCEPTED}), CLOSED),
)

# ---------------------------------------------------------------- joint incidents
OPEN, RESOLVED, DONE = "open", "resolved", "done"
INCIDENT_STATES = {OPEN: _("处置中"), RESOLVED: _("已消除"), DONE: _("已办结")}
INCIDENT_OPEN = frozenset({OPEN, RESOLVED})
INCIDENT_TRANSITIONS = _table(
    Transition("resolve", _("超标已消除"), frozenset({OPEN}), RESOLVED),
    Transition("reopen", _("重新处置"), frozenset({RESOLVED}), OPEN, note_required=True),
    Transition("close", _("办结"), frozenset({RESOLVED}), DONE),
)


def allowed(table: dict[str, Transition], state: str) -> list[Transition]:
    return [t for t in table.values() if state in t.sources]
