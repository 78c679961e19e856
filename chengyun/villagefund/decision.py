"""The village's decision record (村“两委”会 → 党员大会 → 村民代表会议) and the rule each
meeting must meet. Pure: the services call ``check`` before a project may be submitted.

A rule is a quorum (who must be present, as a share of those entitled) and a majority (who must
agree, as a share of those present or of all entitled). Each share is a fraction with an
inclusive (≥) or strict (>) comparison, so "≥ 2/3 present" and "more than half agree" are both
exact — no floating point at the boundary. Defaults (configurable in
settings.VILLAGEFUND_DECISION_RULES, same shape):

- 村“两委”会: more than half of the members present, more than half of those present agreeing;
- 党员大会: more than half of the party members present, more than half of those present agreeing;
- 村民代表会议: at least 2/3 of the representatives present, more than half of those present agreeing.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping

from django.utils.translation import gettext_lazy as _

COMMITTEES = "committees"
PARTY = "party"
REPRESENTATIVES = "representatives"
MEETINGS = {
    COMMITTEES: _("村“两委”会"),
    PARTY: _("党员大会"),
    REPRESENTATIVES: _("村民代表会议"),
}
ORDER = [COMMITTEES, PARTY, REPRESENTATIVES]

PRESENT = "present"
ENTITLED = "entitled"


@dataclass(frozen=True)
class Share:
    fraction: Fraction
    strict: bool  # True: more than the fraction; False: at least it

    def met(self, part: int, whole: int) -> bool:
        if whole <= 0:
            return False
        ratio = Fraction(part, whole)
        return ratio > self.fraction if self.strict else ratio >= self.fraction

    def describe(self) -> str:
        f = "半数" if self.fraction == Fraction(1, 2) else f"{self.fraction.numerator}/{self.fraction.denominator}"
        return f"超过{f}" if self.strict else f"不少于{f}"


@dataclass(frozen=True)
class MeetingRule:
    quorum: Share
    majority: Share
    majority_of: str = PRESENT  # PRESENT or ENTITLED


DEFAULT_RULES = {
    COMMITTEES: {"quorum": ("1/2", True), "majority": ("1/2", True), "majority_of": PRESENT},
    PARTY: {"quorum": ("1/2", True), "majority": ("1/2", True), "majority_of": PRESENT},
    REPRESENTATIVES: {"quorum": ("2/3", False), "majority": ("1/2", True), "majority_of": PRESENT},
}


def _share(raw: Any) -> Share:
    fraction, strict = raw
    return Share(Fraction(str(fraction)), bool(strict))


def rules(configured: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, MeetingRule]:
    if configured is None:
        from django.conf import settings

        configured = getattr(settings, "VILLAGEFUND_DECISION_RULES", DEFAULT_RULES)
    out = {}
    for kind in ORDER:
        raw = {**DEFAULT_RULES[kind], **dict(configured.get(kind, {}))}
        out[kind] = MeetingRule(_share(raw["quorum"]), _share(raw["majority"]), raw.get("majority_of", PRESENT))
    return out


@dataclass(frozen=True)
class Meeting:
    kind: str
    held_on: Any  # a date
    entitled: int  # 应到
    present: int  # 实到
    agree: int
    oppose: int = 0
    abstain: int = 0


@dataclass(frozen=True)
class Problem:
    meeting: str  # a MEETINGS key, or "" for the record as a whole
    code: str
    message: str


def check_meeting(m: Meeting, rule: MeetingRule) -> list[Problem]:
    name = MEETINGS[m.kind]
    out: list[Problem] = []
    if m.entitled <= 0:
        return [Problem(m.kind, "no_members", f"{name}应到人数应大于 0")]
    if m.present > m.entitled:
        out.append(Problem(m.kind, "present_over_members", f"{name}实到 {m.present} 人多于应到 {m.entitled} 人"))
    if m.agree + m.oppose + m.abstain > m.present:
        out.append(Problem(m.kind, "votes_over_present", f"{name}表决票数（同意 {m.agree}、反对 {m.oppose}、弃权 {m.abstain}）多于实到 {m.present} 人"))
    if out:
        return out
    if not rule.quorum.met(m.present, m.entitled):
        out.append(Problem(m.kind, "below_quorum",
                           f"{name}未达到法定人数：应到 {m.entitled} 人，实到 {m.present} 人，须{rule.quorum.describe()}到会"))
        return out
    base = m.present if rule.majority_of == PRESENT else m.entitled
    if not rule.majority.met(m.agree, base):
        whom = "到会人数" if rule.majority_of == PRESENT else "应到人数"
        out.append(Problem(m.kind, "not_passed",
                           f"{name}未获通过：同意 {m.agree} 票，{whom} {base} 人，须{rule.majority.describe()}同意"))
    return out


def check(meetings: Iterable[Meeting], configured: Mapping[str, Mapping[str, Any]] | None = None) -> list[Problem]:
    """Every reason the record does not carry a submission; empty when it does."""
    by_kind = {m.kind: m for m in meetings}
    problems: list[Problem] = []
    missing = [k for k in ORDER if k not in by_kind]
    if missing:
        problems.append(Problem("", "missing_meeting", "决策记录不完整，缺少：" + "、".join(str(MEETINGS[k]) for k in missing)))
    rule_set = rules(configured)
    for kind in ORDER:
        if kind in by_kind:
            problems.extend(check_meeting(by_kind[kind], rule_set[kind]))
    present = [by_kind[k] for k in ORDER if k in by_kind and by_kind[k].held_on]
    for before, after in zip(present, present[1:]):
        if after.held_on < before.held_on:
            problems.append(Problem(after.kind, "out_of_order",
                                    f"{MEETINGS[after.kind]}（{after.held_on}）早于{MEETINGS[before.kind]}（{before.held_on}），"
                                    "须按“两委”会→党员大会→村民代表会议的顺序决策"))
    return problems
