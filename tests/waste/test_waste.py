"""Waste sorting: thresholds at their boundaries, the register's verdicts, coverage, providers, roles."""
import datetime as dt

import pytest
from django.test import override_settings

from chengyun.core.errors import Forbidden, Invalid, NotFound
from chengyun.people import roles as R
from chengyun.waste import indicators, rules, services
from chengyun.waste.models import SortingCompound

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def test_rates_equal_to_the_thresholds_meet_them():
    at = {"awareness": 90.0, "participation": 80.0, "accuracy": 80.0}
    assert rules.assess(at).compliant
    for k in at:
        below = {**at, k: at[k] - 0.01}
        assert rules.assess(below).short == (k,)
    assert rules.assess({"awareness": 95, "participation": 90}).short == ("accuracy",)  # not measured: not met


@pytest.fixture
def compound(district):
    from chengyun.geo.models import Community, Compound

    community = Community.objects.order_by("code").first()
    return Compound.objects.create(code="XQ-T1", name="测试小区", community=community, households=200)


def survey(c, aware, part, sample=100, on=None):
    return services.record_check(None, compound=c.code, kind="survey", checked_on=on or TODAY, sample=sample, inspector="调查员",
                                 aware=aware, participating=part)


def inspect(c, correct, sample=100, on=None):
    return services.record_check(None, compound=c.code, kind="inspection", checked_on=on or TODAY, sample=sample, inspector="检查员", correct=correct)


def test_a_compound_at_the_boundaries_is_compliant_and_one_household_less_is_not(compound):
    survey(compound, 90, 80)
    inspect(compound, 80)
    sc = SortingCompound.objects.get(compound=compound)
    assert (sc.awareness, sc.participation, sc.accuracy, sc.compliant) == (90.0, 80.0, 80.0, True)
    inspect(compound, 79)  # the latest inspection decides the accuracy
    assert not SortingCompound.objects.get(compound=compound).compliant
    inspect(compound, 80)
    survey(compound, 89, 95)
    assert not SortingCompound.objects.get(compound=compound).compliant


def test_configured_thresholds_are_used_and_reassessed(compound):
    survey(compound, 86, 80)
    inspect(compound, 80)
    assert not SortingCompound.objects.get(compound=compound).compliant
    with override_settings(WASTE_THRESHOLDS={"awareness": 85}):
        assert services.thresholds() == {"awareness": 85.0, "participation": 80.0, "accuracy": 80.0}
        services.reassess_all()
        assert SortingCompound.objects.get(compound=compound).compliant


def test_bad_counts_are_refused_naming_the_field(compound):
    with pytest.raises(Invalid) as e:
        survey(compound, 101, 50)
    assert e.value.detail == {"field": "aware"}
    with pytest.raises(Invalid) as e:
        services.record_check(None, compound=compound.code, kind="survey", checked_on=TODAY, sample=10, inspector="x", aware=5)
    assert e.value.detail == {"field": "participating"}
    with pytest.raises(Invalid) as e:
        services.record_check(None, compound="NOPE", kind="survey", checked_on=TODAY, sample=10, inspector="x", aware=5, participating=5)
    assert e.value.detail["field"] == "compound"
    with pytest.raises(Invalid):
        services.record_check(None, compound=compound.code, kind="guess", checked_on=TODAY, sample=10, inspector="x", correct=1)
    assert not SortingCompound.objects.filter(awareness__isnull=False).exists()


def test_coverage_expansion_and_the_health_check_providers(compound, district):
    from chengyun.geo.models import Compound

    other = Compound.objects.create(code="XQ-T2", name="第二小区", community=compound.community, households=100)
    area = services.create_demo_area(None, code="PQ1", name="示范片区", street=compound.community.street.code, designated_on=TODAY - dt.timedelta(days=400))
    services.enrol_compound(None, compound=compound.code, sorting_since=TODAY - dt.timedelta(days=300), demo_area=area.code,
                            joined_area_on=TODAY - dt.timedelta(days=200))
    services.enrol_compound(None, compound=other.code)
    row = next(r for r in services.coverage_by_community(TODAY) if r["community"] == compound.community)
    assert (row["compounds"], row["sorting"], row["coverage"]) == (2, 1, 50.0)
    exp = services.expansion(months=15, until=TODAY)
    assert exp[0]["compounds"] == 0 and exp[-1] == {"month": f"{TODAY:%Y-%m}", "areas": 1, "compounds": 1, "sorting": 1}
    values = indicators.sorting_coverage(TODAY.year, "community")
    assert values[compound.community.code] == 50.0
    from chengyun.renewal import providers

    assert providers.get("waste.sorting_coverage") and providers.get("waste.zero_waste.recycling_rate")
    with pytest.raises(Invalid):
        services.enrol_compound(None, compound=other.code, demo_area=area.code, joined_area_on=area.designated_on - dt.timedelta(days=1))


def test_roles_and_scopes_for_every_write(compound, make_user, units):
    from chengyun.geo.models import Street

    street_in = compound.community.street
    street_out = Street.objects.exclude(pk=street_in.pk).first()
    chief = make_user(R.STREET_CHIEF, streets=[street_in.code])
    outsider = make_user(R.STREET_CHIEF, streets=[street_out.code])
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    leader = make_user(R.DISTRICT_LEADER)
    survey_args = dict(compound=compound.code, kind="survey", checked_on=TODAY, sample=10, inspector="x", aware=9, participating=8)
    services.record_check(chief, **survey_args)
    with pytest.raises(Forbidden):
        services.record_check(outsider, **survey_args)
    with pytest.raises(Forbidden):
        services.record_check(leader, **survey_args)  # reads everything, records nothing
    with pytest.raises(Forbidden):
        services.create_demo_area(outsider, code="PQX", name="x", street=street_in.code, designated_on=TODAY)
    services.create_demo_area(chief, code="PQY", name="y", street=street_in.code, designated_on=TODAY)
    ind = services.create_indicator(None, code="rr", name="回收利用率", unit="D01")
    services.set_value(handler, ind, year=TODAY.year, target=40, actual=38)
    with pytest.raises(Forbidden):
        services.set_value(make_user(R.DEPT_HANDLER, unit="D02"), ind, year=TODAY.year, actual=1)
    with pytest.raises(Forbidden):
        services.create_indicator(chief, code="zz", name="z")
    from chengyun.people import policy

    with pytest.raises(NotFound):
        policy.get_visible(outsider, SortingCompound.objects.all(), compound__code=compound.code)
