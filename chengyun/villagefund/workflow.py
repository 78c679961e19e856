"""A support-fund project's one table of states and transitions (村集体经济扶持项目).

    草稿 ─submit─▶ 已申报 ─town_approve─▶ 区联审 ─approve─▶ 已批准 ─publish─▶ 公示中 ─start─▶ 实施中
      ▲              │ town_return          │ district_return                    (objections resolved,
      └──────────────┴──────────────────────┘ (退回修改, with reasons)             publicity over)
    实施中 ─accept─▶ 已验收 ─operate─▶ 运营中

``submit`` checks the village's decision record (decision.py); ``joint_opinion`` records one
department's opinion in the district joint review (组织部、财政局、农业农村局) and ``approve``
needs every configured department to have agreed; ``start`` needs the publicity period over and
every objection resolved; ``stall``/``resume`` set and clear the stalled flag without moving the
project. Guards live in services.projects, next to the writes; this table says only who may do
what from where.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from chengyun.people import roles as R

DRAFT = "draft"
SUBMITTED = "submitted"
JOINT_REVIEW = "joint_review"
APPROVED = "approved"
PUBLICITY = "publicity"
IMPLEMENTING = "implementing"
ACCEPTED = "accepted"
OPERATING = "operating"

STATES = {
    DRAFT: _("草稿"),
    SUBMITTED: _("已申报（待镇街初审）"),
    JOINT_REVIEW: _("区级联审"),
    APPROVED: _("已批准"),
    PUBLICITY: _("公示中"),
    IMPLEMENTING: _("实施中"),
    ACCEPTED: _("已验收"),
    OPERATING: _("运营中"),
}
ORDER = list(STATES)
# What the public disclosure page may show: in publicity or past it (never a draft or a project
# still under review).
PUBLIC_STATES = frozenset({PUBLICITY, IMPLEMENTING, ACCEPTED, OPERATING})
# Money may move (after the guards in services.money) only once the project is approved and published.
PAYABLE_STATES = frozenset({PUBLICITY, IMPLEMENTING})
APPROVED_STATES = frozenset({APPROVED}) | PUBLIC_STATES
COMPLETED_STATES = frozenset({ACCEPTED, OPERATING})

VILLAGE = frozenset({R.VILLAGE_CADRE})
TOWN = frozenset({R.STREET_OFFICER})
# The district's joint review: department handlers of the reviewing units (services.access).
DISTRICT = frozenset({R.DEPT_HANDLER})


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    sources: frozenset[str]
    target: str | None  # None: the state stays (an opinion, the stalled flag)
    roles: frozenset[str]
    note_required: bool = False
    # Only a reviewing department of the district (services.access.is_reviewer) may take it.
    district_only: bool = False


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("submit", _("提交申报"), frozenset({DRAFT}), SUBMITTED, VILLAGE),
    Transition("town_approve", _("镇（街道）初审通过"), frozenset({SUBMITTED}), JOINT_REVIEW, TOWN),
    Transition("town_return", _("初审退回修改"), frozenset({SUBMITTED}), DRAFT, TOWN, note_required=True),
    Transition("joint_opinion", _("联审意见"), frozenset({JOINT_REVIEW}), None, DISTRICT, note_required=True, district_only=True),
    Transition("district_return", _("联审退回修改"), frozenset({JOINT_REVIEW}), DRAFT, DISTRICT, note_required=True, district_only=True),
    Transition("approve", _("批准立项"), frozenset({JOINT_REVIEW}), APPROVED, DISTRICT, district_only=True),
    Transition("publish", _("发布公示"), frozenset({APPROVED}), PUBLICITY, DISTRICT, district_only=True),
    Transition("start", _("公示期满，转入实施"), frozenset({PUBLICITY}), IMPLEMENTING, TOWN),
    Transition("accept", _("竣工验收"), frozenset({IMPLEMENTING}), ACCEPTED, TOWN, note_required=True),
    Transition("operate", _("投入运营"), frozenset({ACCEPTED}), OPERATING, VILLAGE | TOWN),
    Transition("stall", _("标记停滞"), frozenset({APPROVED, PUBLICITY, IMPLEMENTING}), None, TOWN, note_required=True),
    Transition("resume", _("解除停滞"), frozenset({APPROVED, PUBLICITY, IMPLEMENTING}), None, TOWN),
)}


def allowed_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


def stage_index(state: str) -> int:
    return ORDER.index(state) if state in ORDER else -1
