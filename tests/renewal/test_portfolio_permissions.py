"""Every portfolio write is permission-checked (role, unit, area) and audited."""
from __future__ import annotations

import datetime as dt

import pytest
from portfolio_support import C11, C21, advance, compound, project

from chengyun.core.errors import DomainError, Forbidden, NotFound
from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.renewal import project_workflow as pw
from chengyun.renewal.services import charging, lifts, parking, participation, portfolio

S1 = C11[:9]
S2 = C21[:9]


@pytest.fixture
def people(make_user):
    return {
        "office": make_user(R.DEPT_HANDLER, unit="D02"),
        "owner_unit": make_user(R.DEPT_HANDLER, unit="S01"),
        "other_dept": make_user(R.DEPT_HANDLER, unit="D01"),
        "chief1": make_user(R.STREET_CHIEF, streets=[S1]),
        "chief2": make_user(R.STREET_CHIEF, streets=[S2]),
        "grid11": make_user(R.COMMUNITY_GRID_WORKER, communities=[C11]),
        "auditor": make_user(R.AUDITOR),
    }


def audits(object_type: str) -> int:
    return AuditEntry.objects.filter(object_type=object_type).count()


def denied(fn, *args, **kwargs) -> DomainError:
    with pytest.raises((Forbidden, NotFound)) as e:
        fn(*args, **kwargs)
    return e.value


def test_project_writes(people):
    p = project("old_compound", unit="S01", community=C11)
    before = AuditEntry.objects.count()
    for who in ("other_dept", "chief1", "grid11", "auditor"):
        u = people[who]
        denied(portfolio.update_project, u, p, name="x")
        denied(portfolio.set_targets, u, p, [{"year": 2026, "quantity": 1}])
        denied(portfolio.set_funding, u, p, [{"source": "residents", "year": 2026, "amount_wan": 1}])
        denied(portfolio.link_compounds, u, p, [])
        denied(portfolio.link_asset, u, p, kind="drainage.pipe", code="X")
        denied(portfolio.transition, u, p, "fund")
    denied(portfolio.create_project, people["other_dept"], name="x", type="gas", start_year=2026, end_year=2026,
           metrics={"main_km": 1}, responsible_unit="S01")
    denied(portfolio.create_project, people["grid11"], name="x", type="gas", start_year=2026, end_year=2026, metrics={"main_km": 1})
    assert AuditEntry.objects.count() == before
    # The responsible unit writes its own project, but 立项 is the office's.
    u = people["owner_unit"]
    portfolio.update_project(u, p, name="改名后的项目")
    assert denied(portfolio.transition, u, p, "approve").code == "not_office"
    p = portfolio.transition(people["office"], p, "approve")
    p = portfolio.transition(u, p, "fund")
    assert audits("renewal.project") == 1 + 1 + 2  # create, update, two transitions


def test_progress_and_problem_links(people, problem):
    p = advance(project("drainage", unit="S01"), pw.CONSTRUCTION)
    denied(portfolio.report_progress, people["other_dept"], p, percent=10)
    portfolio.report_progress(people["owner_unit"], p, percent=10)
    assert audits("renewal.progressreport") == 1
    denied(portfolio.link_problem, people["other_dept"], p, problem)
    assert not problem.remedies.exists()


def test_residents_participation(people):
    p = project("old_compound", unit="D02", community=C11)
    denied(participation.record_consultation, people["chief2"], p, stage="needs_survey", held_on=dt.date(2026, 3, 1),
           households_reached=10, responses=5, favourable=5)
    denied(participation.appoint_supervisor, people["other_dept"], p, name="甲", appointed_on=dt.date(2026, 3, 1))
    participation.record_consultation(people["grid11"], p, stage="needs_survey", held_on=dt.date(2026, 3, 1), households_reached=10,
                                      responses=5, favourable=5)
    participation.appoint_supervisor(people["chief1"], p, name="甲", appointed_on=dt.date(2026, 3, 1))
    assert audits("renewal.residentconsultation") == 1 and audits("renewal.residentsupervisor") == 1


def test_lift_writes(people, district):
    c = compound("XQP", C11)
    denied(lifts.create_lift, people["chief2"], compound=c, building="1", unit_no="1", floors=6)
    lift = lifts.create_lift(people["chief1"], compound=c, building="1", unit_no="1", floors=6)
    rows = [{"part": "101", "owner": "甲", "area_m2": 80}, {"part": "102", "owner": "乙", "area_m2": 80}]
    assert isinstance(denied(lifts.set_owners, people["chief2"], lift, rows), NotFound)  # out of area looks missing
    lifts.set_owners(people["grid11"], lift, rows)
    denied(lifts.record_votes, people["chief2"], lift, [{"owner": "甲", "vote": "agree"}])
    denied(lifts.record_votes, people["other_dept"], lift, [{"owner": "甲", "vote": "agree"}])
    lifts.record_votes(people["chief1"], lift, [{"owner": "甲", "vote": "agree"}, {"owner": "乙", "vote": "agree"}])
    denied(lifts.start_publicity, people["chief2"], lift, start=dt.date.today())
    lifts.start_publicity(people["office"], lift, start=dt.date.today())
    denied(lifts.add_objection, people["chief2"], lift, objector="乙", content="噪声", raised_on=dt.date.today())
    verbs = list(AuditEntry.objects.filter(object_type="renewal.liftproject").order_by("id").values_list("verb", flat=True))
    assert verbs == ["", "set_owners", "record_votes", "start_publicity"]


def test_parking_and_charging_writes(people, district):
    denied(parking.add_supply, people["chief2"], code="L1", name="停车场", kind="public_lot", community=C11, spaces=10)
    s = parking.add_supply(people["grid11"], code="L1", name="停车场", kind="public_lot", community=C11, spaces=10)
    denied(parking.update_supply, people["chief2"], s, spaces=20)
    parking.update_supply(people["chief1"], s, spaces=20)
    denied(charging.add_site, people["chief2"], code="CS1", name="充电站", lng=101.705, lat=36.505, capacity=10, community=C11)
    charging.add_site(people["chief1"], code="CS1", name="充电站", lng=101.705, lat=36.505, capacity=10, community=C11)
    assert audits("renewal.parkingsupply") == 2 and audits("renewal.chargingsite") == 1


def test_reads_follow_the_policy(people, district, api_client):
    c = compound("XQR", C11)
    lift = lifts.create_lift(None, compound=c, building="1", unit_no="1", floors=6)
    assert api_client.as_user(people["chief2"]).get(f"renewal/lift-projects/{lift.pk}").status_code == 404
    assert api_client.as_user(people["chief1"]).get(f"renewal/lift-projects/{lift.pk}").status_code == 200
    assert api_client.as_user(people["auditor"]).get(f"renewal/lift-projects/{lift.pk}").status_code == 200
