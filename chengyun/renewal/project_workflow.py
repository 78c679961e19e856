"""A renewal project's one table of states and transitions (城市更新项目全生命周期).

    谋划储备 ─approve─▶ 立项 ─fund─▶ 资金落实 ─tender─▶ 招标 ─start─▶ 施工 ─accept─▶ 竣工验收 ─handover─▶ 运维/长效管理
        └───────────── withdraw (撤出项目库, from any state before 施工) ─────────────▶ 已撤销

竣工验收 (accept) counts the project done: the problems it was linked to as a remedy get their
remedy accepted in the ledger (renewal.services.accept_remedy), and a 老旧小区改造 needs
resident representatives on the acceptance. ``fund`` needs funding recorded; ``start`` needs a
responsible unit. Other rules are in services.portfolio, next to the writes.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from chengyun.people import roles as R

RESERVE = "reserve"
APPROVED = "approved"
FUNDED = "funded"
TENDERING = "tendering"
CONSTRUCTION = "construction"
ACCEPTED = "accepted"
OPERATION = "operation"
WITHDRAWN = "withdrawn"

STATES = {
    RESERVE: _("谋划储备"),
    APPROVED: _("立项"),
    FUNDED: _("资金落实"),
    TENDERING: _("招标"),
    CONSTRUCTION: _("施工"),
    ACCEPTED: _("竣工验收"),
    OPERATION: _("运维/长效管理"),
    WITHDRAWN: _("已撤销"),
}
ORDER = [RESERVE, APPROVED, FUNDED, TENDERING, CONSTRUCTION, ACCEPTED, OPERATION]
# Passed 竣工验收: what "completed" means for targets, metrics and the problem ledger.
COMPLETED_STATES = frozenset({ACCEPTED, OPERATION})
OPEN_STATES = frozenset(ORDER) - COMPLETED_STATES

# Besides the renewal office (services.access.is_office), which may do everything: the project's
# responsible unit (a department handler of it) moves its own project along.
RESPONSIBLE = frozenset({R.DEPT_HANDLER})


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    note_required: bool = False
    # Only the renewal office may take it (立项 and 撤销 are the office's decisions).
    office_only: bool = False


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("approve", _("立项"), frozenset({RESERVE}), APPROVED, RESPONSIBLE, office_only=True),
    Transition("fund", _("资金落实"), frozenset({APPROVED}), FUNDED, RESPONSIBLE),
    Transition("tender", _("招标"), frozenset({FUNDED}), TENDERING, RESPONSIBLE),
    Transition("start", _("开工"), frozenset({TENDERING}), CONSTRUCTION, RESPONSIBLE),
    Transition("accept", _("竣工验收"), frozenset({CONSTRUCTION}), ACCEPTED, RESPONSIBLE),
    Transition("handover", _("移交运维"), frozenset({ACCEPTED}), OPERATION, RESPONSIBLE),
    Transition("withdraw", _("撤出项目库"), frozenset({RESERVE, APPROVED, FUNDED, TENDERING}), WITHDRAWN, RESPONSIBLE,
               note_required=True, office_only=True),
)}


def allowed_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


def stage_index(state: str) -> int:
    """Position on the lifecycle (0 = 谋划储备 … 6 = 运维); -1 when withdrawn."""
    return ORDER.index(state) if state in ORDER else -1
