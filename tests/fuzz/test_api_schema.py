"""Schemathesis over the OpenAPI schema, in-process through the WSGI app: no operation answers
with a server error or a response its schema does not declare, whatever the input.

Authenticated as an ops-centre shift leader with a bearer token (the widest everyday role), on
the small test district. A bounded budget (a few examples per operation, no shrinking) keeps the
whole run within about a minute and a half on CI's machine.
"""
from __future__ import annotations

import pytest
import schemathesis
import schemathesis.config
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.checks import not_a_server_error

from chengyun.api import api
from fuzzing import DERANDOMIZE
from chengyun.wsgi import application

# The coverage phase (every boundary value of every parameter) alone takes minutes here; the
# budget goes to random generation instead, a few examples per operation.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)
schema.app = application

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Calling the WSGI app directly fires request_started/finished, whose close_old_connections
    would close the connection holding the test's transaction (PostgreSQL then refuses every later
    query); Django's test client disconnects it in the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def ops_token(make_user):
    from chengyun.people import roles as R
    from chengyun.people.services import create_token

    user = make_user(R.OPS_SHIFT_LEADER, unit="OPS", username="fuzz_ops")
    return create_token(None, user.username, "fuzz")[1]


@schema.parametrize()
@settings(max_examples=3, phases=[Phase.explicit, Phase.generate], deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=list(HealthCheck))
def test_api_never_fails_or_breaks_its_schema(case, ops_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {ops_token}"},
                           checks=[not_a_server_error, response_schema_conformance])


def test_schema_names_are_unique():
    """The OpenAPI components are keyed by class name: two response or body schemas of the same
    name (cases' and supervision's CategoryOut) silently replace each other in the document."""
    from collections import defaultdict

    from ninja import Schema

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    by_name = defaultdict(set)
    for cls in subclasses(Schema):
        if cls.__module__.startswith("chengyun.") and "[" not in cls.__name__:
            by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not clashes, f"API schema classes sharing a name: {clashes}"


def test_a_number_past_64_bits_is_a_422_not_a_crash(api_client, ops_token):
    """Found by the schemathesis run: an id larger than SQLite's integers raised OverflowError."""
    from django.test import Client

    r = Client().post("/api/v1/water/sections", data={"code": "X1", "name": "断面", "water_body": "河", "lng": 117.0, "lat": 36.0,
                                                       "target_class": 3, "chief_person_id": 2 ** 70},
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {ops_token}")
    assert r.status_code == 422, r.content
    assert r.json()["code"] in ("unknown_chief", "out_of_range")
