"""The decision record's rules at their boundaries (pure, no database)."""
from __future__ import annotations

import datetime as dt

import pytest

from chengyun.villagefund import decision as d

D = dt.date(2026, 3, 1)


def record(reps_present=20, reps_agree=11, reps=30, **over):
    meetings = {
        "committees": d.Meeting("committees", D, 7, 4, 3),
        "party": d.Meeting("party", D + dt.timedelta(days=3), 40, 21, 11),
        "representatives": d.Meeting("representatives", D + dt.timedelta(days=6), reps, reps_present, reps_agree),
    }
    meetings.update(over)
    return list(meetings.values())


def codes(problems):
    return [p.code for p in problems]


@pytest.mark.parametrize("present, ok", [(20, True), (19, False), (30, True), (21, True)])
def test_representatives_need_two_thirds_present(present, ok):
    """30 representatives: 20 is exactly 2/3 and carries (≥); 19 does not."""
    problems = d.check(record(reps_present=present, reps_agree=present // 2 + 1), configured={})
    assert (problems == []) is ok, problems
    if not ok:
        assert codes(problems) == ["below_quorum"]
        assert "应到 30 人，实到 19 人" in problems[0].message and "不少于2/3" in problems[0].message


@pytest.mark.parametrize("agree, ok", [(11, True), (10, False), (20, True)])
def test_representatives_need_more_than_half_of_those_present(agree, ok):
    """20 present: 11 agreeing is a majority, 10 (exactly half) is not."""
    problems = d.check(record(reps_present=20, reps_agree=agree), configured={})
    assert (problems == []) is ok
    if not ok:
        assert codes(problems) == ["not_passed"] and "超过半数" in problems[0].message


def test_two_thirds_of_an_indivisible_number():
    """31 representatives: 2/3 is 20.67, so 21 must come; 20 is short."""
    assert codes(d.check(record(reps=31, reps_present=20, reps_agree=15), configured={})) == ["below_quorum"]
    assert d.check(record(reps=31, reps_present=21, reps_agree=15), configured={}) == []


@pytest.mark.parametrize("present, ok", [(4, True), (3, False)])
def test_committees_need_more_than_half(present, ok):
    """7 members of the 两委: 4 present is more than half; 3.5 would be half, so 3 fails."""
    problems = d.check(record(committees=d.Meeting("committees", D, 7, present, present)), configured={})
    assert (problems == []) is ok


def test_party_half_exactly_is_not_enough():
    problems = d.check(record(party=d.Meeting("party", D + dt.timedelta(days=3), 40, 20, 20)), configured={})
    assert codes(problems) == ["below_quorum"]


def test_configured_rules_replace_the_defaults():
    """A district may ask the representatives for a majority of all representatives, not of those present."""
    strict = {"representatives": {"quorum": ("2/3", False), "majority": ("1/2", True), "majority_of": "entitled"}}
    assert d.check(record(reps_present=20, reps_agree=15), configured={}) == []
    assert codes(d.check(record(reps_present=20, reps_agree=15), configured=strict)) == ["not_passed"]
    assert d.check(record(reps_present=20, reps_agree=16), configured=strict) == []


def test_missing_and_inconsistent_and_out_of_order_meetings():
    meetings = record()
    assert codes(d.check(meetings[:2], configured={})) == ["missing_meeting"]
    assert "村民代表会议" in d.check(meetings[:2], configured={})[0].message
    bad = record(representatives=d.Meeting("representatives", D + dt.timedelta(days=6), 30, 31, 20))
    assert codes(d.check(bad, configured={})) == ["present_over_members"]
    votes = record(representatives=d.Meeting("representatives", D + dt.timedelta(days=6), 30, 20, 15, 4, 2))
    assert codes(d.check(votes, configured={})) == ["votes_over_present"]
    early = record(representatives=d.Meeting("representatives", D - dt.timedelta(days=1), 30, 20, 15))
    assert codes(d.check(early, configured={})) == ["out_of_order"]
