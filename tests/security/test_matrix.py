"""Every API operation × every role × an object in and out of the role's scope, with the status
the policy says (see matrix.py for how it is derived, matrix_spec.py for the declarations)."""
from __future__ import annotations

import re

import pytest

from matrix import ROLES, judge, prepare, roles_and_scopes, rolled_back
from matrix_spec import FAMILIES, SPEC, UNDECLARED

pytestmark = pytest.mark.django_db


def operations():
    """(family, operation id, method, path) of every operation the NinjaAPI serves."""
    from chengyun.api import api

    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            family = path.removeprefix("/api/v1/").split("/")[0]
            yield family, op["operationId"], method, path, bool(op.get("security"))


def test_every_operation_is_declared():
    """A new endpoint fails here until its spec entry says what it reads or writes."""
    missing = sorted(f"{method.upper()} {path}  ({op_id})" for _, op_id, method, path, _ in operations()
                     if op_id not in SPEC and op_id not in UNDECLARED)
    assert not missing, ("API operations without a permission-matrix entry; declare each in tests/security/"
                         "spec_<app>.py (model, object factory, body):\n  " + "\n  ".join(missing))
    served = {op_id for _, op_id, *_ in operations()}
    stale = sorted((set(SPEC) | UNDECLARED) - served)
    assert not stale, f"spec entries for operations that no longer exist: {stale}"
    both = sorted(set(SPEC) & UNDECLARED)
    assert not both, f"declared now: remove from matrix_spec.UNDECLARED: {both}"


def test_anonymous_callers_get_401(client):
    for _, op_id, method, path, secured in operations():
        if not secured:
            continue
        # Every path parameter (an id, a code, a workflow action) as "1": routed, then refused.
        url = re.sub(r"\{[^}]+\}", "1", path)
        resp = getattr(client, method)(url)
        assert resp.status_code == 401, f"{method.upper()} {path}: anonymous got {resp.status_code}"


@pytest.mark.parametrize("family", FAMILIES)
def test_permission_matrix(family, world, client, subtests):
    ops = [(op_id, method, path) for fam, op_id, method, path, _ in operations() if fam == family and op_id in SPEC]
    assert ops, f"no operations in family {family}"
    for op_id, method, path in ops:
        op = SPEC[op_id]
        objects = {scope: (op.make(world, scope) if op.make else None) for _, scope in roles_and_scopes(op)}
        for role, scope in roles_and_scopes(op):
            expected = op.expected(role, scope)
            with subtests.test(msg=f"{method.upper()} {path} × {role} × {scope}-of-scope"):
                obj = objects[scope]
                send = prepare(world, method, path, op, scope, obj)
                resp = rolled_back(lambda: send(client, role))
                problem = judge(op, expected, resp, obj)
                assert problem is None, f"{op_id} × {role} × {scope}: {problem}"


def test_roles_are_all_in_the_matrix():
    from chengyun.people import roles as R

    assert set(ROLES) == set(R.ALL_ROLES)
