"""A research plan's workflow: ONE declared table of states and transitions.

    计划中 ──开始调研──▶ 调研中 ──形成报告──▶ 已形成报告 ──成果转化完成──▶ 已办结
       └───────撤销───────┴──────▶ 已撤销

Visits are recorded while 调研中; measures (对策建议) are added once the report exists; a plan
is closed when every measure's action item is done.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

PLANNED = "planned"
IN_FIELD = "in_field"
REPORTED = "reported"
CONCLUDED = "concluded"
CANCELLED = "cancelled"

STATES: dict[str, Any] = {
    PLANNED: _("计划中"),
    IN_FIELD: _("调研中"),
    REPORTED: _("已形成报告"),
    CONCLUDED: _("已办结"),
    CANCELLED: _("已撤销"),
}


@dataclass(frozen=True)
class Transition:
    action: str
    label: Any
    sources: frozenset[str]
    target: str


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("start", _("开始调研"), frozenset({PLANNED}), IN_FIELD),
    Transition("report", _("形成调研报告"), frozenset({IN_FIELD}), REPORTED),
    Transition("conclude", _("成果转化完成"), frozenset({REPORTED}), CONCLUDED),
    Transition("cancel", _("撤销"), frozenset({PLANNED, IN_FIELD}), CANCELLED),
)}

# What else a state allows besides its transitions.
VISITS_IN = frozenset({IN_FIELD})
MEASURES_IN = frozenset({REPORTED})


def label(state: str) -> Any:
    return STATES.get(state, state)
