"""Owners' vote on a matter of the building's common parts — 《民法典》第二百七十八条.

Adding a lift to an existing building (既有住宅加装电梯) is "改建、重建建筑物及其附属设施",
decided by the owners of the building unit under Civil Code art. 278 paragraph 2:

* participation (参与表决): owners holding at least 2/3 of the exclusive-part area
  (专有部分面积) **and** at least 2/3 of the owners (人数) take part in the vote;
* approval (同意): at least 3/4 of the participating area **and** at least 3/4 of the
  participating owners agree.

Both thresholds are inclusive ("以上" in Chinese law includes the number itself) and are
evaluated with exact fractions, never floats: 2 of 3 owners is exactly 2/3 and passes.

Counting rules decided here:

* owners are counted per person: one owner of several exclusive parts counts once, and
  the areas of their parts add up; all parts of one owner must carry the same vote;
* ``agree``, ``oppose`` and ``abstain`` participate — an abstaining owner took part in the
  vote but did not agree, so abstention counts towards participation and against approval;
* ``absent`` (未参与表决) does not participate and is counted only in the totals.

Pure Python: no Django, so it is usable from any service, importer or notebook.
"""
from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Iterable, Mapping, TypedDict

AGREE = "agree"
OPPOSE = "oppose"
ABSTAIN = "abstain"
ABSENT = "absent"
VOTES = (AGREE, OPPOSE, ABSTAIN, ABSENT)
PARTICIPATING = frozenset({AGREE, OPPOSE, ABSTAIN})

PARTICIPATION_THRESHOLD = Fraction(2, 3)
APPROVAL_THRESHOLD = Fraction(3, 4)


class Tally(TypedDict):
    participation_area: Fraction
    participation_owners: Fraction
    approval_area: Fraction
    approval_owners: Fraction
    participation_ok: bool
    approved: bool


class Counts(TypedDict):
    owners: int
    area_m2: Fraction
    participating_owners: int
    participating_area_m2: Fraction
    agree_owners: int
    agree_area_m2: Fraction
    by_vote: dict[str, int]


def exact_area(value: Any) -> Fraction:
    """An area in m² as an exact fraction: decimals as written ("85.37", 85.37 → 8537/100)."""
    if isinstance(value, bool):
        raise ValueError(f"专有部分面积应为数字，不能是 {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"专有部分面积应为有限的数字，不能是 {value!r}")
        return Fraction(Decimal(repr(value)))
    if isinstance(value, (Decimal, str)):
        try:
            d = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"专有部分面积应为数字，不能是 {value!r}") from None
        if not d.is_finite():
            raise ValueError(f"专有部分面积应为有限的数字，不能是 {value!r}")
        return Fraction(d)
    raise ValueError(f"专有部分面积应为数字，不能是 {value!r}")


def _per_owner(owners: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Fraction, str]]:
    """Rows (one per exclusive part) → {owner: (summed area, vote)}, checking every row."""
    people: dict[str, tuple[Fraction, str]] = {}
    for n, row in enumerate(owners, start=1):
        if not isinstance(row, Mapping):
            raise ValueError(f"第 {n} 条表决记录应为包含 owner、area_m2、vote 的映射")
        owner = str(row.get("owner") if row.get("owner") is not None else "").strip()
        if not owner:
            raise ValueError(f"第 {n} 条表决记录缺少业主（owner）")
        if "area_m2" not in row:
            raise ValueError(f"业主“{owner}”缺少专有部分面积（area_m2）")
        area = exact_area(row["area_m2"])
        if area <= 0:
            raise ValueError(f"业主“{owner}”的专有部分面积应大于 0（现为 {row['area_m2']}）")
        vote = str(row.get("vote") if row.get("vote") is not None else "").strip()
        if vote not in VOTES:
            raise ValueError(f"业主“{owner}”的表决意见“{vote}”无效（应为 {'、'.join(VOTES)} 之一）")
        if owner in people:
            total, earlier = people[owner]
            if earlier != vote:
                raise ValueError(f"业主“{owner}”名下多个专有部分的表决意见不一致（{earlier} 与 {vote}）：一人一票")
            people[owner] = (total + area, vote)
        else:
            people[owner] = (area, vote)
    if not people:
        raise ValueError("没有业主，无法计票")
    return people


def counts(owners: Iterable[Mapping[str, Any]]) -> Counts:
    """The raw counts behind a tally: owners and areas in total, participating and agreeing."""
    people = _per_owner(owners)
    by_vote = {v: 0 for v in VOTES}
    for _, vote in people.values():
        by_vote[vote] += 1
    part = [(a, v) for a, v in people.values() if v in PARTICIPATING]
    agree = [a for a, v in part if v == AGREE]
    return {
        "owners": len(people),
        "area_m2": sum((a for a, _ in people.values()), Fraction(0)),
        "participating_owners": len(part),
        "participating_area_m2": sum((a for a, _ in part), Fraction(0)),
        "agree_owners": len(agree),
        "agree_area_m2": sum(agree, Fraction(0)),
        "by_vote": by_vote,
    }


def tally_counts(c: Counts) -> Tally:
    participation_area = c["participating_area_m2"] / c["area_m2"]
    participation_owners = Fraction(c["participating_owners"], c["owners"])
    if c["participating_owners"]:
        approval_area = c["agree_area_m2"] / c["participating_area_m2"]
        approval_owners = Fraction(c["agree_owners"], c["participating_owners"])
    else:
        approval_area = approval_owners = Fraction(0)
    participation_ok = participation_area >= PARTICIPATION_THRESHOLD and participation_owners >= PARTICIPATION_THRESHOLD
    approved = participation_ok and approval_area >= APPROVAL_THRESHOLD and approval_owners >= APPROVAL_THRESHOLD
    return {
        "participation_area": participation_area,
        "participation_owners": participation_owners,
        "approval_area": approval_area,
        "approval_owners": approval_owners,
        "participation_ok": participation_ok,
        "approved": approved,
    }


def tally(owners: Iterable[Mapping[str, Any]]) -> Tally:
    """Tally one building unit's vote. Each item: ``{"owner", "area_m2", "vote"}``, one per
    exclusive part. Raises ValueError (Chinese message) on a missing owner, a zero, negative
    or non-numeric area, an unknown vote, conflicting votes of one owner, or no owners."""
    return tally_counts(counts(owners))
