from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test files import their shared helpers by name; with --import-mode=importlib this directory
# is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).parent))

from property_helpers import G1, G_OTHER, make_compound, valid_code  # noqa: E402


@pytest.fixture
def office(make_user):
    """A department handler of the housing bureau (住建, D02): the property office."""
    from chengyun.people import roles as R

    return make_user(R.DEPT_HANDLER, unit="D02")


@pytest.fixture
def compound_in(units):
    return make_compound(G1, "XQ-IN")


@pytest.fixture
def compound_out(units):
    return make_compound(G_OTHER, "XQ-OUT")


@pytest.fixture
def company(units):
    from chengyun.property import services

    return services.create_company(None, name="测试物业服务有限公司", credit_code=valid_code(), base_score=70)


@pytest.fixture
def managed(compound_in, company):
    from chengyun.property import services

    services.set_management(None, compound_in, mode="professional", company=company)
    return compound_in
