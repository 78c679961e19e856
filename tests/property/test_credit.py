"""The grade boundaries (85, 80, 70, 60), 黑名单, and record validity and expiry."""
from __future__ import annotations

import datetime as dt

import pytest

from chengyun.property import credit

D = dt.date(2025, 6, 30)


@pytest.mark.parametrize("score,grade", [
    (100, "AAA"), (85, "AAA"), (84.99, "AA"), (80, "AA"), (79.99, "A"), (70, "A"), (69.99, "B"), (60, "B"), (59.99, "C"), (-5, "C"),
])
def test_grade_boundaries(score, grade):
    assert credit.grade(score) == grade


def test_a_serious_record_is_the_blacklist_whatever_the_score():
    assert credit.grade(99, serious=True) == credit.BLACKLIST


def test_score_caps_each_part_and_subtracts_bad_records():
    entries = [credit.Entry("good", 30, D, D + dt.timedelta(days=365)), credit.Entry("good", 30, D, D + dt.timedelta(days=365)),
               credit.Entry("bad", 7, D, D + dt.timedelta(days=365))]
    assert credit.score(95, entries, D) == (80 + 40 - 7, False)


def test_a_record_counts_one_year_by_default_and_then_expires():
    until = credit.valid_until(D, serious=False, validity_days=None)
    assert until == D + dt.timedelta(days=365)
    e = credit.Entry("bad", 10, D, until)
    assert credit.score(80, [e], until - dt.timedelta(days=1))[0] == 70
    assert credit.score(80, [e], until)[0] == 80  # expired on its last day's morrow
    assert credit.score(80, [e], D - dt.timedelta(days=1))[0] == 80  # not yet issued


def test_a_record_with_its_own_validity_keeps_it():
    assert credit.valid_until(D, serious=False, validity_days=90) == D + dt.timedelta(days=90)


def test_a_serious_record_counts_until_rectified():
    assert credit.valid_until(D, serious=True, validity_days=None) is None
    e = credit.Entry("bad", 20, D, None, serious=True)
    far = D + dt.timedelta(days=3000)
    assert credit.score(80, [e], far) == (60, True)
    done = credit.Entry("bad", 20, D, None, serious=True, rectified_on=D + dt.timedelta(days=40))
    assert credit.score(80, [done], D + dt.timedelta(days=39)) == (60, True)
    assert credit.score(80, [done], D + dt.timedelta(days=40)) == (80, False)


def test_boards_follow_the_grade():
    assert credit.board("AAA") == credit.board("AA") == "red"
    assert credit.board("A") == ""
    assert credit.board("B") == credit.board("C") == credit.board(credit.BLACKLIST) == "black"
