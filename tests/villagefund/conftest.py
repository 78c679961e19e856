"""The village fund's fixtures on the small district: the three joint-review departments, a
village in street 1 (community 1) and one in street 2, a batch, users of every fund role, and
``advance(project, state)`` that walks a project through the table with the right people."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from support import DIVISION

V1 = f"{DIVISION}001001"  # street 1, community 1
V2 = f"{DIVISION}002001"  # street 2, community 1
S1, S2 = f"{DIVISION}001", f"{DIVISION}002"
MEETINGS = [
    {"kind": "committees", "held_on": "2026-03-01", "entitled": 7, "present": 6, "agree": 6},
    {"kind": "party", "held_on": "2026-03-05", "entitled": 40, "present": 32, "agree": 30},
    {"kind": "representatives", "held_on": "2026-03-09", "entitled": 30, "present": 21, "agree": 18, "oppose": 2, "abstain": 1},
]


@pytest.fixture
def fund(units, make_user):
    from chengyun.geo.models import Community, Unit
    from chengyun.people import roles as R
    from chengyun.standards import gb32100
    from chengyun.villagefund import services

    for code, name, spec in (("ZZB", "区委组织部", "组织"), ("CZJ", "区财政局", "财政"), ("NYJ", "区农业农村局", "农业农村")):
        units[code] = Unit.objects.create(code=code, name=name, kind=Unit.Kind.DEPARTMENT, specialty=spec, district_wide=True)

    class Fund:
        pass

    f = Fund()
    f.v1 = services.create_village(None, community=Community.objects.get(code=V1), name="上庄村", organisation="上庄村股份经济合作社",
                                   credit_code=gb32100.make("N2630109MA0000001"), representatives=30, party_members=40)
    f.v2 = services.create_village(None, community=Community.objects.get(code=V2), name="红崖村", organisation="红崖村股份经济合作社",
                                   credit_code=gb32100.make("N2630109MA0000002"), representatives=30, party_members=40)
    f.batch = services.create_batch(None, year=2026, name="2026年度扶持资金", central_wan=300, province_wan=200)
    f.cadre = make_user(R.VILLAGE_CADRE, unit="S01", communities=[V1])
    f.cadre2 = make_user(R.VILLAGE_CADRE, unit="S02", communities=[V2])
    f.officer = make_user(R.STREET_OFFICER, unit="S01", streets=[S1])
    f.officer2 = make_user(R.STREET_OFFICER, unit="S02", streets=[S2])
    f.reviewers = {spec: make_user(R.DEPT_HANDLER, unit=code) for code, spec in (("ZZB", "组织"), ("CZJ", "财政"), ("NYJ", "农业农村"))}
    f.handler = make_user(R.DEPT_HANDLER, unit="D01")
    f.leader = make_user(R.DISTRICT_LEADER)
    return f


@pytest.fixture
def today(monkeypatch):
    """The fund's clock, fixed on Wednesday 2026-06-10 unless a test moves it."""
    from chengyun.villagefund.services import projects

    state = {"day": dt.date(2026, 6, 10)}
    monkeypatch.setattr(projects, "today", lambda: state["day"])

    class Clock:
        def set(self, day):
            state["day"] = day

        @property
        def day(self):
            return state["day"]

    return Clock()


@pytest.fixture
def make_project(fund):
    from chengyun.villagefund import services

    def make(village=None, amount=100, **extra):
        village = village or fund.v1
        user = fund.cadre if village == fund.v1 else fund.cadre2
        values = {"name": "光伏电站", "model": "property", "amount_wan": amount, "self_funds_wan": 0,
                  "budget": [{"item": "工程建设", "amount_wan": amount}], "expected_return_wan": 8, **extra}
        return services.create_project(user, village=village, batch=fund.batch, **values)

    return make


@pytest.fixture
def advance(fund, today):
    """advance(project, state): the steps up to ``state``, each by the person whose step it is."""
    from chengyun.villagefund import services
    from chengyun.villagefund import workflow as wf

    def go(p, target):
        cadre = fund.cadre if p.village_id == fund.v1.pk else fund.cadre2
        officer = fund.officer if p.village_id == fund.v1.pk else fund.officer2
        order = wf.ORDER
        if order.index(p.state) >= order.index(target):
            return p
        if p.state == wf.DRAFT:
            if not p.meetings.exists():
                services.record_decision(cadre, p, MEETINGS)
            services.transition(cadre, p, "submit")
        if target == wf.SUBMITTED:
            return p
        services.transition(officer, p, "town_approve", note="同意")
        if target == wf.JOINT_REVIEW:
            return p
        for user in fund.reviewers.values():
            services.transition(user, p, "joint_opinion", agree=True, note="同意")
        services.transition(fund.reviewers["农业农村"], p, "approve")
        if target == wf.APPROVED:
            return p
        services.transition(fund.reviewers["农业农村"], p, "publish", on=today.day)
        if target == wf.PUBLICITY:
            return p
        today.set(p.publicity_end + dt.timedelta(days=1))
        services.transition(officer, p, "start")
        if target == wf.IMPLEMENTING:
            return p
        services.transition(officer, p, "accept", note="验收合格", assets=[{"name": "光伏电站", "value_wan": p.amount_wan}])
        if target == wf.ACCEPTED:
            return p
        services.transition(cadre, p, "operate")
        return p

    return go


def wan(x) -> Decimal:
    return Decimal(str(x))
