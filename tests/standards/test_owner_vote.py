"""Civil Code art. 278 owners' vote: exact boundaries, per-person counting, bad input, properties."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chengyun.standards.owner_vote import VOTES, counts, tally


def owners(*rows):
    return [{"owner": o, "area_m2": a, "vote": v} for o, a, v in rows]


def test_exactly_two_thirds_participation_and_three_quarters_approval_passes():
    # 12 owners of 100 m² each: 8 take part (exactly 2/3 by count and area), 6 of them agree (exactly 3/4).
    rows = owners(*[(f"O{i}", 100, "agree") for i in range(6)], ("O6", 100, "oppose"), ("O7", 100, "abstain"),
                  *[(f"O{i}", 100, "absent") for i in range(8, 12)])
    t = tally(rows)
    assert t["participation_area"] == Fraction(2, 3) and t["participation_owners"] == Fraction(2, 3)
    assert t["approval_area"] == Fraction(3, 4) and t["approval_owners"] == Fraction(3, 4)
    assert t["participation_ok"] and t["approved"]


def test_just_below_two_thirds_participation_fails_whatever_the_approval():
    # 3 owners; participants hold 200 of 300.01 m²: a hair under 2/3 of the area.
    rows = owners(("A", 100, "agree"), ("B", 100, "agree"), ("C", "100.01", "absent"))
    t = tally(rows)
    assert t["participation_owners"] == Fraction(2, 3)
    assert t["participation_area"] == Fraction(20000, 30001) < Fraction(2, 3)
    assert not t["participation_ok"] and not t["approved"]
    assert t["approval_area"] == 1 and t["approval_owners"] == 1


def test_area_passes_but_owners_fail_participation():
    # One big owner takes part, two small ones stay away: area 90 %, owners 1/3.
    t = tally(owners(("Big", 180, "agree"), ("s1", 10, "absent"), ("s2", 10, "absent")))
    assert t["participation_area"] == Fraction(9, 10)
    assert t["participation_owners"] == Fraction(1, 3)
    assert not t["participation_ok"] and not t["approved"]


def test_owners_pass_but_area_fails_participation():
    t = tally(owners(("s1", 10, "agree"), ("s2", 10, "agree"), ("Big", 180, "absent")))
    assert t["participation_owners"] == Fraction(2, 3) and t["participation_area"] == Fraction(1, 10)
    assert not t["participation_ok"]


def test_approval_area_passes_but_owners_fail():
    # All take part; the big owner agrees (area 3/4 + ), three of five small ones oppose → owners 3/5 < 3/4.
    rows = owners(("Big", 400, "agree"), ("a", 20, "agree"), ("b", 20, "oppose"), ("c", 20, "oppose"), ("d", 20, "oppose"))
    t = tally(rows)
    assert t["participation_ok"]
    assert t["approval_area"] == Fraction(420, 480) >= Fraction(3, 4)
    assert t["approval_owners"] == Fraction(2, 5)
    assert not t["approved"]


def test_approval_owners_pass_but_area_fails():
    rows = owners(("a", 50, "agree"), ("b", 50, "agree"), ("c", 50, "agree"), ("Big", 300, "oppose"))
    t = tally(rows)
    assert t["approval_owners"] == Fraction(3, 4)
    assert t["approval_area"] == Fraction(1, 3)
    assert t["participation_ok"] and not t["approved"]


def test_just_below_three_quarters_approval_fails():
    # 4 participants of equal area, agree area 299.99 of 400 → just under 3/4 while owners are exactly 3/4.
    rows = owners(("a", 100, "agree"), ("b", 100, "agree"), ("c", "99.99", "agree"), ("d", "100.01", "oppose"))
    t = tally(rows)
    assert t["approval_owners"] == Fraction(3, 4)
    assert t["approval_area"] == Fraction(29999, 40000) < Fraction(3, 4)
    assert not t["approved"]


def test_abstain_participates_but_does_not_agree():
    t = tally(owners(("a", 100, "agree"), ("b", 100, "agree"), ("c", 100, "agree"), ("d", 100, "abstain")))
    assert t["participation_owners"] == 1
    assert t["approval_owners"] == Fraction(3, 4) and t["approved"]
    t2 = tally(owners(("a", 100, "agree"), ("b", 100, "agree"), ("c", 100, "abstain"), ("d", 100, "abstain")))
    assert t2["approval_owners"] == Fraction(1, 2) and not t2["approved"]


def test_owner_of_several_parts_counts_once_with_summed_area():
    rows = owners(("Wang", 60, "agree"), ("Wang", 40, "agree"), ("Li", 100, "oppose"))
    c = counts(rows)
    assert c["owners"] == 2 and c["area_m2"] == 200 and c["agree_area_m2"] == 100
    t = tally(rows)
    assert t["approval_owners"] == Fraction(1, 2)


def test_decimal_areas_are_exact():
    c = counts(owners(("a", 0.1, "agree"), ("b", 0.2, "agree")))
    assert c["area_m2"] == Fraction(3, 10)


def test_nobody_participates_gives_zero_approval():
    t = tally(owners(("a", 10, "absent"), ("b", 10, "absent")))
    assert t["participation_owners"] == 0 and t["approval_area"] == 0 and not t["approved"]


@pytest.mark.parametrize("rows, fragment", [
    (owners(("a", -5, "agree")), "大于 0"),
    (owners(("a", 0, "agree")), "大于 0"),
    (owners(("a", "abc", "agree")), "应为数字"),
    (owners(("a", float("nan"), "agree")), "有限"),
    (owners(("a", True, "agree")), "应为数字"),
    (owners(("a", 10, "yes")), "表决意见"),
    (owners(("", 10, "agree")), "缺少业主"),
    (owners(("a", 10, "agree"), ("a", 10, "oppose")), "一人一票"),
    ([{"owner": "a", "vote": "agree"}], "area_m2"),
    ([], "没有业主"),
])
def test_bad_input_is_a_value_error_with_a_clear_message(rows, fragment):
    with pytest.raises(ValueError) as e:
        tally(rows)
    assert fragment in str(e.value)


owner_rows = st.lists(
    st.tuples(st.integers(1, 30), st.integers(1, 500), st.sampled_from(VOTES)),
    min_size=1, max_size=40, unique_by=lambda t: t[0],
).map(lambda rows: owners(*[(f"O{o}", a, v) for o, a, v in rows]))


@settings(max_examples=200, deadline=None)
@given(owner_rows)
def test_properties_fractions_in_range_and_consistent(rows):
    t = tally(rows)
    for key in ("participation_area", "participation_owners", "approval_area", "approval_owners"):
        assert isinstance(t[key], Fraction) and 0 <= t[key] <= 1
    assert t["participation_ok"] == (t["participation_area"] >= Fraction(2, 3) and t["participation_owners"] >= Fraction(2, 3))
    assert t["approved"] <= t["participation_ok"]  # approval needs participation
    # Order of rows never matters.
    assert tally(list(reversed(rows))) == t


@settings(max_examples=200, deadline=None)
@given(owner_rows, st.integers(0, 39))
def test_property_turning_an_opponent_into_a_supporter_never_loses_approval(rows, pick):
    opponents = [i for i, r in enumerate(rows) if r["vote"] in ("oppose", "abstain")]
    if not opponents:
        return
    before = tally(rows)
    changed = [dict(r) for r in rows]
    changed[opponents[pick % len(opponents)]]["vote"] = "agree"
    after = tally(changed)
    assert after["approval_owners"] >= before["approval_owners"] and after["approval_area"] >= before["approval_area"]
    assert after["approved"] >= before["approved"]


@settings(max_examples=100, deadline=None)
@given(owner_rows)
def test_property_splitting_an_owner_into_parts_changes_nothing(rows):
    first = rows[0]
    split = [{"owner": first["owner"], "area_m2": Fraction(first["area_m2"], 3), "vote": first["vote"]},
             {"owner": first["owner"], "area_m2": Fraction(first["area_m2"] * 2, 3), "vote": first["vote"]}] + rows[1:]
    assert tally(split) == tally(rows)
