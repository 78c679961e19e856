from __future__ import annotations

import pytest

from support import DIVISION


@pytest.fixture
def office(make_user):
    """A department handler of the housing bureau (住建): the health-check office."""
    from chengyun.people import roles as R

    return make_user(R.DEPT_HANDLER, unit="D02")


@pytest.fixture
def indicator_set(units):
    from chengyun.renewal.models import Indicator, IndicatorSet

    s = IndicatorSet.objects.create(year=2025, name="测试体检指标")
    Indicator.objects.create(indicator_set=s, code="IND-HOUSE-003", dimension="housing", aspect="安全耐久",
                             name="存在楼道安全隐患的住宅数量", unit="栋", responsible_unit=units["D02"], target_value=0)
    return s


@pytest.fixture
def problem(indicator_set):
    from chengyun.geo.models import Community
    from chengyun.renewal.models import Problem

    comm = Community.objects.get(code=f"{DIVISION}001001")
    return Problem.objects.create(code="WT2025-0001", year=2025, origin="finding", indicator=indicator_set.indicators.get(),
                                  problem_type="楼道堆物", title="3号楼楼道堆物", community=comm, street=comm.street,
                                  lng=101.705, lat=36.505, location_kind="point")


@pytest.fixture(autouse=True)
def _ledger_tests_see_every_project_key_as_completed(request, monkeypatch):
    """The health-check half's tests exercise the ledger on its own, with project keys that name
    no real project; the portfolio's resolver (registered from apps.ready) would refuse them.
    They get a stand-in: every key is a completed project. test_portfolio_* use the real one."""
    if request.module.__name__.rsplit(".", 1)[-1].startswith("test_portfolio_"):
        return
    from types import SimpleNamespace

    from chengyun.renewal.services import problems

    monkeypatch.setattr(problems, "_project_resolver", lambda key: SimpleNamespace(label=key, url="", completed=True))
