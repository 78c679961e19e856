"""The coverage campaign's one table of states and transitions (老旧小区物业全覆盖, 建档立卡 → 销号).

    建档立卡 ──choose_path──▶ 路径已定 ──start──▶ 推进中 ──report──▶ 待销号 ──close──▶ 已销号
                                  ▲                 ▲                 └─return──▶ 推进中
                                  └──────repath─────┘

Each compound without property management gets a file; the chosen path (市场物业 by tender,
公益物业 led by the community, 自管 by the owners' committee) decides the management mode the
compound has when its file is closed ("完成一个、销号一个"). Closing writes that mode to the
compound register, so the coverage rate moves the day the file is closed.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from chengyun.people import roles as R

FILED = "filed"
PATH_CHOSEN = "path_chosen"
IMPLEMENTING = "implementing"
REPORTED = "reported"
CLOSED = "closed"

STATES = {
    FILED: _("建档立卡"),
    PATH_CHOSEN: _("路径已定"),
    IMPLEMENTING: _("推进中"),
    REPORTED: _("待销号"),
    CLOSED: _("已销号"),
}
OPEN_STATES = frozenset({FILED, PATH_CHOSEN, IMPLEMENTING, REPORTED})

MARKET = "market"
PUBLIC_SERVICE = "public_service"
SELF_MANAGED = "self_managed"
PATHS = {
    MARKET: _("市场物业（公开招标）"),
    PUBLIC_SERVICE: _("公益物业（社区兜底）"),
    SELF_MANAGED: _("自管物业（业委会/自管小组）"),
}
# The management mode the register records once a path is done. The register's four modes have
# no 自管: a self-managed compound has basic services organised with the community (社区保洁).
MODE_OF_PATH = {MARKET: "professional", PUBLIC_SERVICE: "community_quasi", SELF_MANAGED: "community_cleaning"}

# The street and community people of the compound's area run the file; the property office
# (services.access) may do everything.
AREA_STAFF = frozenset({R.STREET_CHIEF, R.COMMUNITY_GRID_WORKER})
CLOSERS = frozenset({R.STREET_CHIEF})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_path: bool = False
    note_required: bool = False


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("choose_path", _("确定路径"), frozenset({FILED}), PATH_CHOSEN, AREA_STAFF, needs_path=True),
    Transition("repath", _("调整路径"), frozenset({PATH_CHOSEN, IMPLEMENTING}), PATH_CHOSEN, AREA_STAFF, needs_path=True, note_required=True),
    Transition("start", _("开始推进"), frozenset({PATH_CHOSEN}), IMPLEMENTING, AREA_STAFF),
    Transition("report", _("申请销号"), frozenset({IMPLEMENTING}), REPORTED, AREA_STAFF, note_required=True),
    Transition("return", _("退回"), frozenset({REPORTED}), IMPLEMENTING, CLOSERS, note_required=True),
    Transition("close", _("销号"), frozenset({REPORTED}), CLOSED, CLOSERS),
)}


def allowed_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


# What a file's timeline shows for each entry: opening the file, then the transitions.
EVENT_LABELS = {"file": _("建档立卡"), **{t.action: t.label for t in TRANSITIONS.values()}}
