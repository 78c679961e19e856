"""The case lifecycle: ONE declared table of states and transitions (GB/T 30428, CJ/T 315).

    上报 → 受理 → [核实] → 立案 → 派遣 → 签收(处置中) → 反馈 → 核查 → 结案

with 不予立案, 回退, 返工, 延期, 挂账, 作废, 督办 and 合并 as declared side paths. Services look a
transition up here and nothing else decides who may move a case where: ``roles`` lists who may
fire it, ``scope`` how the actor must relate to the case (the unit it is dispatched to, the grid it
lies in, its reporter), ``required`` the fields the actor must supply, ``guard`` a named
precondition on the case. A transition not declared from the current state is a 409.

Stage time limits say how long each waiting state may last; the handling stage takes its limit
from the filing condition (立案条件) of the case's category.
"""
from __future__ import annotations

from dataclasses import dataclass

from chengyun.people import roles as R

# -- states --------------------------------------------------------------------------------

REPORTED = "reported"
ACCEPTED = "accepted"
VERIFYING = "verifying"
FILED = "filed"
DISPATCHED = "dispatched"
HANDLING = "handling"
CHECKING = "checking"
CHECKED = "checked"
SUSPENDED = "suspended"
CLOSED = "closed"
REJECTED = "rejected"
VOIDED = "voided"
MERGED = "merged"

STATES: dict[str, str] = {
    REPORTED: "上报",
    ACCEPTED: "已受理",
    VERIFYING: "核实中",
    FILED: "已立案（待派遣）",
    DISPATCHED: "已派遣（待签收）",
    HANDLING: "处置中",
    CHECKING: "已反馈（待核查）",
    CHECKED: "核查通过（待结案）",
    SUSPENDED: "挂账",
    CLOSED: "结案",
    REJECTED: "不予立案",
    VOIDED: "作废",
    MERGED: "已合并",
}
TERMINAL = frozenset({CLOSED, REJECTED, VOIDED, MERGED})
OPEN = frozenset(STATES) - TERMINAL
# States in which the responsible unit holds the case (its clock is the unit's clock).
WITH_UNIT = frozenset({DISPATCHED, HANDLING, SUSPENDED})

# How long a case may wait in each state before its stage is overdue: (amount, unit).
# None for the handling stage: it comes from the filing condition's 处置时限.
STAGE_LIMITS: dict[str, tuple[float, str] | None] = {
    REPORTED: (1, "work_hour"),
    ACCEPTED: (1, "work_hour"),
    VERIFYING: (2, "work_hour"),
    FILED: (1, "work_hour"),
    DISPATCHED: (2, "work_hour"),
    HANDLING: None,
    CHECKING: (4, "work_hour"),
    CHECKED: (2, "work_hour"),
}

# -- sources ---------------------------------------------------------------------------------

SOURCES: dict[str, str] = {
    "street_chief": "街长上报",
    "community_grid_worker": "社区网格员上报",
    "ops_grid_worker": "监督员上报",
    "drone": "无人机巡查",
    "public": "公众上报",
    "hotline": "12345 热线",
    "leader": "领导交办",
    "sensor": "感知设备告警",
    "healthcheck": "城市体检",
}
# Reports from people outside the district's own patrols are checked on site before filing.
NEEDS_VERIFICATION = frozenset({"public", "hotline", "drone"})
# Which roles may report under which source (a system call — user None — may use any).
SOURCE_ROLES: dict[str, frozenset[str] | None] = {
    "street_chief": frozenset({R.STREET_CHIEF}),
    "community_grid_worker": frozenset({R.COMMUNITY_GRID_WORKER}),
    "ops_grid_worker": frozenset({R.OPS_GRID_WORKER}),
    "drone": frozenset({R.DRONE_OPERATOR}),
    "public": None,  # anyone signed in, or the Open311 endpoint
    "hotline": frozenset({R.OPS_ACCEPTOR, R.OPS_SHIFT_LEADER}),
    "leader": frozenset({R.DISTRICT_LEADER, R.OPS_SHIFT_LEADER}),
    "sensor": frozenset({R.SYSADMIN}),
    # A health-check problem turned into a case by the people who work the problem ledger.
    "healthcheck": frozenset({R.DEPT_HANDLER, R.STREET_CHIEF, R.COMMUNITY_GRID_WORKER, R.OPS_GRID_WORKER}),
}

# -- transitions -----------------------------------------------------------------------------

OPS_DESK = frozenset({R.OPS_ACCEPTOR, R.OPS_SHIFT_LEADER})
DISPATCH_DESK = frozenset({R.OPS_DISPATCHER, R.OPS_SHIFT_LEADER})
GRID_WORKERS = frozenset({R.COMMUNITY_GRID_WORKER, R.OPS_GRID_WORKER})
# 核查 is done by the grid's worker or by the reporter, who may be the street chief.
CHECKERS = GRID_WORKERS | {R.STREET_CHIEF}
HANDLERS = frozenset({R.DEPT_HANDLER})
APPROVERS = frozenset({R.OPS_SHIFT_LEADER})
ESCALATORS = frozenset({R.DISTRICT_LEADER, R.OPS_SHIFT_LEADER})

# scope values: "" = anyone with the role who can see the case; "unit" = the case's unit;
# "grid" = a worker whose area contains the case's grid; "grid_or_reporter" = that, or the reporter.


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change (延期申请, 督办 …)
    roles: frozenset[str]
    required: tuple[str, ...] = ()
    scope: str = ""
    guard: str = ""
    # Restart the stage clock on entering the target state.
    restarts_stage: bool = True


def _t(action, label, sources, target, roles, required=(), scope="", guard="", restarts_stage=True) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(roles), tuple(required), scope, guard, restarts_stage)


TRANSITIONS: tuple[Transition, ...] = (
    _t("accept", "受理", {REPORTED}, ACCEPTED, OPS_DESK),
    _t("send_verify", "派发核实", {ACCEPTED}, VERIFYING, OPS_DESK),
    _t("verify", "核实", {VERIFYING}, ACCEPTED, GRID_WORKERS, ("verified", "note"), scope="grid"),
    _t("file", "立案", {ACCEPTED}, FILED, OPS_DESK, ("condition_id",), guard="verified_if_needed"),
    _t("reject", "不予立案", {REPORTED, ACCEPTED, VERIFYING}, REJECTED, OPS_DESK, ("reason",)),
    _t("dispatch", "派遣", {FILED}, DISPATCHED, DISPATCH_DESK, ("unit_id",)),
    _t("sign", "签收", {DISPATCHED}, HANDLING, HANDLERS, scope="unit"),
    _t("send_back", "回退", {DISPATCHED, HANDLING}, FILED, HANDLERS, ("reason",), scope="unit"),
    _t("feedback", "处置反馈", {HANDLING}, CHECKING, HANDLERS, ("note",), scope="unit", guard="feedback_photo"),
    _t("check_pass", "核查通过", {CHECKING}, CHECKED, CHECKERS, ("note",), scope="grid_or_reporter"),
    _t("rework", "返工", {CHECKING}, HANDLING, CHECKERS, ("reason",), scope="grid_or_reporter"),
    _t("close", "结案", {CHECKED}, CLOSED, OPS_DESK),
    _t("request_postpone", "申请延期", {DISPATCHED, HANDLING}, None, HANDLERS, ("amount", "time_unit", "reason"), scope="unit", guard="no_pending_request"),
    _t("approve_postpone", "批准延期", {DISPATCHED, HANDLING}, None, APPROVERS, guard="pending_postpone", restarts_stage=False),
    _t("deny_postpone", "驳回延期", {DISPATCHED, HANDLING}, None, APPROVERS, ("reason",), guard="pending_postpone", restarts_stage=False),
    _t("request_suspend", "申请挂账", {HANDLING}, None, HANDLERS, ("reason",), scope="unit", guard="no_pending_request"),
    _t("approve_suspend", "批准挂账", {HANDLING}, SUSPENDED, APPROVERS, guard="pending_suspend", restarts_stage=False),
    _t("deny_suspend", "驳回挂账", {HANDLING}, None, APPROVERS, ("reason",), guard="pending_suspend", restarts_stage=False),
    _t("resume", "解除挂账", {SUSPENDED}, HANDLING, APPROVERS, restarts_stage=False),
    _t("void", "作废", {REPORTED, ACCEPTED, VERIFYING, FILED, DISPATCHED, HANDLING, SUSPENDED}, VOIDED, OPS_DESK, ("reason",)),
    _t("escalate", "督办", OPEN - {REPORTED}, None, ESCALATORS, ("note",), restarts_stage=False),
    _t("merge", "合并为重复", {REPORTED, ACCEPTED, VERIFYING, FILED}, MERGED, OPS_DESK | DISPATCH_DESK, ("target",)),
)
BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
ACTIONS = {t.action: t.label for t in TRANSITIONS}
# Timeline-only entries written by services outside the state machine.
EVENT_LABELS = {**ACTIONS, "report": "上报", "move": "位置变更", "attach": "上传照片", "duplicate_report": "重复上报合并"}


def allowed_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if state in t.sources]


def label(state: str) -> str:
    return STATES.get(state, state)
