"""Credit codes, live grades from records, the complaint loop from a resident's report, the
assessment rules and the coverage campaign's table."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chengyun.core.errors import Conflict, Forbidden, Invalid
from property_helpers import G1, valid_code

pytestmark = pytest.mark.django_db


def test_a_credit_code_with_a_wrong_check_digit_is_refused(units):
    from chengyun.property import services
    from chengyun.property.models import Company

    good = valid_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(Invalid) as e:
        services.create_company(None, name="错码物业", credit_code=bad)
    assert e.value.code == "credit_code_check" and e.value.detail["field"] == "credit_code"
    assert "校验位" in e.value.message
    assert not Company.objects.exists()
    assert services.create_company(None, name="对码物业", credit_code=good.lower()).credit_code == good


def test_records_move_the_grade_live_and_expire(company):
    from chengyun.property import services

    today = timezone.localdate()
    assert company.grade == "A" and company.score == 70
    services.add_record(None, company, item="G01", evidence="市级示范项目")
    company.refresh_from_db()
    assert (company.score, company.grade, company.board) == (80, "AA", "red")
    old = services.add_record(None, company, item="B04", evidence="拒不整改", issued_on=today - dt.timedelta(days=366))
    company.refresh_from_db()
    assert company.score == 80  # issued over a year ago: already expired
    assert old.valid_until == old.issued_on + dt.timedelta(days=365)
    services.add_record(None, company, item="B02", evidence="季度考核不合格", issued_on=today - dt.timedelta(days=364))
    company.refresh_from_db()
    assert (company.score, company.grade) == (75, "A")
    services.refresh_all(on=today + dt.timedelta(days=1), force=True)
    company.refresh_from_db()
    assert (company.score, company.grade) == (80, "AA")  # the quarter's failure expired overnight
    assert list(company.grades.values_list("grade", flat=True)) == ["A", "AA", "A", "AA"]


def test_a_serious_record_blacklists_until_rectified(company, office):
    from chengyun.property import services

    r = services.add_record(office, company, item="B05", evidence="擅自撤离项目")
    company.refresh_from_db()
    assert (company.grade, company.board) == ("blacklist", "black")
    services.rectify_record(office, r)
    company.refresh_from_db()
    assert company.grade != "blacklist"
    with pytest.raises(Conflict):
        services.rectify_record(office, r)


def test_only_the_office_keeps_records(company, make_user):
    from chengyun.people import roles as R
    from chengyun.property import services

    other = make_user(R.DEPT_HANDLER, unit="D01")
    with pytest.raises(Forbidden):
        services.add_record(other, company, item="G01", evidence="x")
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=["630109001"])
    with pytest.raises(Forbidden):
        services.create_company(chief, name="某物业", credit_code=valid_code("MA0000002"))


def test_a_verified_complaint_case_becomes_a_bad_record_and_moves_the_grade(managed, company, make_user):
    """A resident reports waste in the compound; the case is handled, checked and closed; the
    managing company gets a bad record under the scheme's complaint rule."""
    from chengyun.cases import services as cases
    from chengyun.property.models import CreditRecord
    from support import grid_center

    cases.load_seed_catalogue()
    services_before = company.score
    lng, lat = grid_center(G1)
    case = cases.report(None, source="public", category_code="0110", lng=lng, lat=lat, description="小区内生活垃圾堆积多日无人清运",
                        reporter_name="居民")
    case = cases.transition(None, case, "accept")
    case = cases.transition(None, case, "send_verify")
    case = cases.transition(None, case, "verify", verified=True, note="现场核实属实")
    case = cases.transition(None, case, "file", condition_id=case.category.conditions.first().pk)
    from chengyun.geo.models import Unit

    case = cases.transition(None, case, "dispatch", unit_id=Unit.objects.get(code="D01").pk)
    case = cases.transition(None, case, "sign")
    assert not CreditRecord.objects.exists()
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 40)).save(buf, "JPEG")
    case = cases.transition(None, case, "feedback", note="已清运", attachments=[buf.getvalue()])
    case = cases.transition(None, case, "check_pass", note="现场确认")
    assert not CreditRecord.objects.exists()  # checked, not yet closed
    case = cases.transition(None, case, "close")
    record = CreditRecord.objects.get()
    assert (record.company, record.case, record.compound, record.item.code, record.kind) == (company, case, managed, "B01", "bad")
    assert record.issued_by.code == "D01" and case.number in record.evidence
    company.refresh_from_db()
    assert company.score == services_before - 2


def test_a_case_outside_any_managed_compound_or_of_another_source_does_not_count(managed, company):
    from chengyun.cases import services as cases
    from chengyun.property.models import CreditRecord
    from chengyun.property.services import complaints
    from support import grid_center

    cases.load_seed_catalogue()
    lng, lat = grid_center(G1)
    far = cases.report(None, source="public", category_code="0110", lng=lng + 0.003, lat=lat, description="街面垃圾")
    own = cases.report(None, source="ops_grid_worker", category_code="0110", lng=lng, lat=lat, description="巡查发现垃圾")
    for c in (far, own):
        c.status = "closed"
        assert complaints.on_case_transition(c, "close", "checked") is None
    assert not CreditRecord.objects.exists()


def _scores(**over):
    base = {"infrastructure": 20, "safety": 12, "response": 12, "co_governance": 12, "fees": 7}
    base.update(over)
    return base


def test_an_assessment_above_an_items_maximum_is_refused_and_nothing_stored(managed, make_user):
    from chengyun.people import roles as R
    from chengyun.property import services
    from chengyun.property.models import Assessment

    chief = make_user(R.STREET_CHIEF, unit="S01", streets=["630109001"])
    period = services.assessments.period_of(timezone.localdate())
    with pytest.raises(Invalid) as e:
        services.assess(chief, managed, period=period, scores=_scores(safety=15.5), survey_sample=30, survey_satisfied=25)
    assert e.value.code == "score_above_max" and e.value.detail == {"field": "scores.safety", "item": "safety", "max": 15.0, "rule": "item_max"}
    with pytest.raises(Invalid) as e:
        services.assess(chief, managed, period=period, scores=_scores(), survey_sample=40, survey_phone=3, survey_satisfied=25)
    assert e.value.code == "phone_proxy_over_limit" and e.value.detail["max"] == 2
    assert not Assessment.objects.exists()
    a = services.assess(chief, managed, period=period, scores=_scores(), survey_sample=40, survey_phone=2, survey_satisfied=30)
    assert a.scores["satisfaction"] == 18.0 and a.total == 81.0 and a.passed
    with pytest.raises(Conflict):
        services.assess(chief, managed, period=period, scores=_scores(), survey_sample=40, survey_satisfied=30)


def test_two_consecutive_failures_are_flagged_and_the_ranking_has_bands(units, company):
    from chengyun.property import services
    from chengyun.property.services import assessments
    from property_helpers import make_compound

    p2 = assessments.period_of(timezone.localdate())
    p1 = assessments.previous_period(p2)
    low = _scores(infrastructure=5, safety=5, response=5, co_governance=5, fees=2)
    cs = [make_compound(G1, f"XQ{i}") for i in range(5)]
    for i, c in enumerate(cs):
        services.assess(None, c, period=p1, scores=low if i == 0 else _scores(), survey_sample=20, survey_satisfied=10 + i)
    a = services.assess(None, cs[0], period=p2, scores=low, survey_sample=20, survey_satisfied=5)
    assert not a.passed and a.flagged
    rows = services.ranking(p1)
    assert [r["band"] for r in rows] == ["top", "", "", "", "bottom"]
    assert rows[-1]["assessment"].compound == cs[0]


def test_the_campaign_runs_its_table_and_closing_covers_the_compound(units, make_user):
    from chengyun.geo.models import Unit
    from chengyun.people import roles as R
    from chengyun.property import services
    from chengyun.property.services import coverage
    from property_helpers import make_compound

    c = make_compound(G1, "XQ-NONE", mode="none")
    make_compound(G1, "XQ-PRO")
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=["630109001"])
    grid = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[G1])
    assert coverage.district_rate()["rate"] == 50.0
    f = services.open_file(grid, c, target_date=timezone.localdate() + dt.timedelta(days=90), owner_unit=Unit.objects.get(code="S01"))
    with pytest.raises(Conflict) as e:
        services.transition(grid, f, "close")
    assert e.value.code == "bad_transition"
    with pytest.raises(Invalid):
        services.transition(grid, f, "choose_path", path="magic")
    f = services.transition(grid, f, "choose_path", path="public_service")
    f = services.transition(grid, f, "start")
    f = services.transition(grid, f, "report", note="公益物业服务队进场")
    with pytest.raises(Forbidden):
        services.transition(grid, f, "close")  # the street closes the file
    f = services.transition(chief, f, "close")
    c.refresh_from_db()
    assert f.state == "closed" and c.management_mode == "community_quasi"
    assert coverage.district_rate()["rate"] == 100.0
    assert coverage.district_rate(timezone.localdate() - dt.timedelta(days=1))["rate"] == 50.0
    assert [e.action for e in f.events.all()] == ["file", "choose_path", "start", "report", "close"]


def test_the_grade_history_is_rebuilt_from_record_dates(company):
    from chengyun.property import services
    from chengyun.property.services.scoring import rebuild_history

    today = timezone.localdate()
    services.add_record(None, company, item="G01", evidence="示范项目", issued_on=today - dt.timedelta(days=200))
    services.add_record(None, company, item="B04", evidence="拒不整改", issued_on=today - dt.timedelta(days=100))
    rebuild_history(company)
    rows = list(company.grades.values_list("on", "score", "grade"))
    assert rows == [(today - dt.timedelta(days=200), 80, "AA"), (today - dt.timedelta(days=100), 70, "A")]
    company.refresh_from_db()
    assert (company.score, company.grade) == (70, "A")
