"""加装电梯: roster, votes tallied by owner_vote (4xx for unknown owners or bad areas, nothing
stored), 公示 with objections, the steps in order (409), subsidy by floors."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from portfolio_support import compound

from chengyun.core.errors import Conflict, Invalid
from chengyun.core.models import AuditEntry
from chengyun.renewal.models import LiftOwner
from chengyun.renewal.services import lifts

ROSTER = [{"part": f"{f}0{d}", "owner": f"业主{f}{d}", "area_m2": "80.50", "floor": f} for f in range(1, 7) for d in (1, 2)]


@pytest.fixture
def lift(district, units):
    c = compound("XQ-L1")
    lift = lifts.create_lift(None, compound=c, building="3", unit_no="2", floors=6, responsible_unit="D02")
    lifts.set_owners(None, lift, ROSTER)
    return lift


def vote_all(lift, agree: int, oppose: int = 0, abstain: int = 0):
    owners = [r["owner"] for r in ROSTER]
    votes = ["agree"] * agree + ["oppose"] * oppose + ["abstain"] * abstain
    votes += ["absent"] * (len(owners) - len(votes))
    return lifts.record_votes(None, lift, [{"owner": o, "vote": v} for o, v in zip(owners, votes)])


def test_votes_are_tallied_exactly(lift):
    t = vote_all(lift, agree=6, oppose=1, abstain=1)   # 8 of 12 take part = exactly 2/3; 6 of 8 agree = 3/4
    assert t["participation_owners"]["fraction"] == "2/3" and t["approval_owners"]["fraction"] == "3/4"
    assert t["participation_ok"] and t["approved"] and t["by_vote"]["absent"] == 4
    lift.refresh_from_db()
    assert lift.approved and lift.tally["owners"] == 12
    t = vote_all(lift, agree=5, oppose=2, abstain=1)
    assert not t["approved"] and t["participation_ok"]
    t = vote_all(lift, agree=7)                          # 7 of 12 < 2/3
    assert not t["participation_ok"]


def test_unknown_owner_or_bad_vote_is_422_and_nothing_is_stored(lift):
    vote_all(lift, agree=9)
    before = list(LiftOwner.objects.order_by("part").values_list("vote", flat=True))
    for votes, code in [([{"owner": "业主11", "vote": "oppose"}, {"owner": "陌生人", "vote": "agree"}], "unknown_owner"),
                        ([{"owner": "业主11", "vote": "maybe"}], "bad_vote"),
                        ([{"owner": "业主11", "vote": "agree", "area_m2": "-3"}], "bad_area"),
                        ([{"owner": "业主11", "vote": "agree"}, {"owner": "业主11", "vote": "oppose"}], "conflicting_votes")]:
        with pytest.raises(Invalid) as e:
            lifts.record_votes(None, lift, votes)
        assert e.value.code == code and e.value.status == 422
        assert list(LiftOwner.objects.order_by("part").values_list("vote", flat=True)) == before


def test_roster_rejects_negative_area_and_duplicate_parts(lift):
    for rows, code in [([{"part": "101", "owner": "甲", "area_m2": -80}], "bad_area"),
                       ([{"part": "101", "owner": "甲", "area_m2": 0}], "bad_area"),
                       ([{"part": "101", "owner": "甲", "area_m2": "abc"}], "bad_area"),
                       ([{"part": "101", "owner": "甲", "area_m2": 80}, {"part": "101", "owner": "乙", "area_m2": 80}], "duplicate_part")]:
        with pytest.raises(Invalid) as e:
            lifts.set_owners(None, lift, rows)
        assert e.value.code == code
    assert lift.owners.count() == 12


def test_owner_of_two_flats_counts_once(district, units):
    lift = lifts.create_lift(None, compound=compound("XQ-L2"), building="1", unit_no="1", floors=5)
    lifts.set_owners(None, lift, [{"part": "101", "owner": "甲", "area_m2": 60}, {"part": "102", "owner": "甲", "area_m2": 60},
                                  {"part": "201", "owner": "乙", "area_m2": 120}])
    t = lifts.record_votes(None, lift, [{"owner": "甲", "vote": "agree"}, {"owner": "乙", "vote": "agree"}])
    assert t["owners"] == 2 and t["area_m2"] == 240 and t["approved"]
    assert set(LiftOwner.objects.filter(owner="甲").values_list("vote", flat=True)) == {"agree"}


def test_publicity_objections_permits_construction_acceptance_registration(lift, settings):
    base = dt.date.today()
    with pytest.raises(Conflict) as e:
        lifts.start_publicity(None, lift, start=base + dt.timedelta(days=0))
    assert e.value.code == "vote_not_approved"
    vote_all(lift, agree=10, oppose=1)
    lift = lifts.start_publicity(None, lift, start=base + dt.timedelta(days=0))
    assert lift.publicity_end == base + dt.timedelta(days=20)  # default 20 days
    assert lifts.stage(lift) == lifts.PUBLICITY
    with pytest.raises(Conflict):  # the roster is frozen after the vote
        lifts.record_votes(None, lift, [{"owner": "业主11", "vote": "oppose"}])
    with pytest.raises(Conflict):
        lifts.add_objection(None, lift, objector="业主11", content="采光受影响", raised_on=base + dt.timedelta(days=30))
    o = lifts.add_objection(None, lift, objector="业主11", content="采光受影响", raised_on=base + dt.timedelta(days=4))
    with pytest.raises(Conflict) as e:
        lifts.record_permits(None, lift, planning_permit="规-1", construction_permit="", on=base + dt.timedelta(days=9))
    assert e.value.code == "publicity_not_over"
    with pytest.raises(Conflict) as e:
        lifts.record_permits(None, lift, planning_permit="规-1", construction_permit="", on=base + dt.timedelta(days=39))
    assert e.value.code == "objections_open"
    lifts.mediate(None, o, result="街道组织协商，调整井道位置", resolved=True, on=base + dt.timedelta(days=14))
    with pytest.raises(Conflict):
        lifts.accept(None, lift, on=base + dt.timedelta(days=41))
    lift = lifts.record_permits(None, lift, planning_permit="建字第2026-031号", construction_permit="施-88", on=base + dt.timedelta(days=39))
    lift = lifts.start_construction(None, lift, on=base + dt.timedelta(days=61))
    with pytest.raises(Conflict):
        lifts.register_equipment(None, lift, registration_no="梯11青A0001(26)", on=base + dt.timedelta(days=153))
    lift = lifts.accept(None, lift, on=base + dt.timedelta(days=153))
    assert lift.subsidy_yuan == Decimal("100000")
    lift = lifts.register_equipment(None, lift, registration_no="梯11青A0001(26)", on=base + dt.timedelta(days=162))
    assert lifts.stage(lift) == lifts.IN_USE
    verbs = set(AuditEntry.objects.filter(object_type="renewal.liftproject").values_list("verb", flat=True))
    assert {"record_votes", "start_publicity", "permits", "start_construction", "accept", "register_equipment"} <= verbs


def test_publicity_period_and_subsidy_tiers_are_settings(lift, settings):
    settings.RENEWAL_LIFT_PUBLICITY_DAYS = 10
    settings.RENEWAL_LIFT_SUBSIDY_TIERS = ((7, 120000), (0, 50000))
    vote_all(lift, agree=12)
    assert lifts.start_publicity(None, lift, start=dt.date(2026, 4, 1)).publicity_end == dt.date(2026, 4, 11)
    assert lifts.subsidy_for(6) == Decimal(50000) and lifts.subsidy_for(7) == Decimal(120000)
    settings.RENEWAL_LIFT_SUBSIDY_TIERS = ((6, 100000), (5, 90000), (0, 80000))
    assert [lifts.subsidy_for(f) for f in (4, 5, 6, 9)] == [Decimal(80000), Decimal(90000), Decimal(100000), Decimal(100000)]


def test_duplicate_unit_and_bad_floors(lift):
    with pytest.raises(Conflict):
        lifts.create_lift(None, compound=lift.compound, building="3", unit_no="2", floors=6)
    with pytest.raises(Invalid):
        lifts.create_lift(None, compound=lift.compound, building="4", unit_no="1", floors=1)
