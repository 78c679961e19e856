"""The engine of the permission matrix: who gets what from every API operation.

Each operation is declared once in a spec module (``spec_*.py``, merged in ``matrix_spec``) by
what it does to which model: ``Read`` / ``Write`` an object named in its path, ``Create`` one
placed in an area or unit, ``List`` several (an out-of-scope object must never appear), or
``Open`` (not about one scoped object: health, calendar, classify…). The EXPECTED status is not
written in the spec: it is derived here from the model's ``policy.Rule`` (its read / write /
wide roles, whether it has area or unit paths, ``everyone_reads``) and, where an endpoint is
narrower than its model's rule, the role set the app itself declares for it (``gate``: a
workflow table's roles, a service's constant).

Every user of the world belongs to unit D01 and is responsible for street 1 (which covers its
communities and grids). An in-scope object lies in street 1 and belongs to D01; an out-of-scope
one lies in street 2 and belongs to D02. So for any role, "in" matches every area and unit path
of a rule and "out" matches none.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from django.apps import apps as django_apps
from django.db import transaction
from django.test import Client

from chengyun.people import policy
from chengyun.people import roles as R

ROLES = tuple(sorted(R.ALL_ROLES))
IN, OUT = "in", "out"
STREET_IN, STREET_OUT = "630109001", "630109002"
GRID_IN, GRID_OUT = "630109001001001", "630109002001001"
UNIT_IN, UNIT_OUT = "D01", "D02"


def model_of(label: str | type) -> type:
    return django_apps.get_model(label) if isinstance(label, str) else label


# ---------------------------------------------------------------- what the policy says


def readable(rule: policy.Rule, role: str, scope: str) -> bool:
    """Does `role` read an object of this rule lying in (`in`) or out of (`out`) its scope?"""
    if rule.everyone_reads or role in rule.wide_read:
        return True
    return role in rule.read and scope == IN and bool(rule.area or rule.unit)


def writable(rule: policy.Rule, role: str, scope: str) -> bool:
    if role in rule.wide_write:
        return True
    return role in rule.write and scope == IN and bool(rule.area or rule.unit)


def creatable(rule: policy.Rule, role: str, scope: str) -> bool:
    """policy.require_create: wide writers anywhere; writers where they work (or anywhere if the
    model has no area or unit)."""
    if role in rule.wide_write:
        return True
    return role in rule.write and (scope == IN or not (rule.area or rule.unit))


# ---------------------------------------------------------------- the spec's vocabulary


Maker = Callable[["World", str], Any]


@dataclass
class Op:
    """One API operation's declaration. `make(world, scope)` builds the object the operation is
    about (in or out of scope); `path(obj)` its path parameters; `body(world, scope, obj)` a valid
    JSON body (or `files(world, scope, obj)` → (files, form data) for multipart)."""

    model: str | type | None = None
    make: Maker | None = None
    path: Callable[[Any], dict] = lambda obj: {}
    query: Callable[["World", str, Any], dict] | None = None
    body: Callable[["World", str, Any], Any] | None = None
    files: Callable[["World", str, Any], tuple[dict, dict]] | None = None
    # Roles the app admits to this operation on top of the model's rule (None: the rule alone).
    gate: frozenset[str] | Callable[[], frozenset[str]] | None = None
    # The statuses that count as success for this operation.
    ok: frozenset[int] = frozenset({200, 201, 204})
    # For a Create whose body names an existing object (the task a daily entry reports on):
    # that object's model; out of the role's sight it is a 404, like any read.
    parent: str | type | None = None
    # A Write whose gate narrows the rule rather than replacing it: the service checks both
    # (require_write on the object, then require_role for the action).
    narrows: bool = False

    def rule(self) -> policy.Rule:
        return policy.rule_for(model_of(self.model))

    def gate_roles(self) -> frozenset[str]:
        if self.gate is None:
            return R.ALL_ROLES
        return self.gate() if callable(self.gate) else self.gate

    # Whether the operation is about one object in or out of scope (Open operations are not).
    scoped = True


class Read(Op):
    """GET one object: 2xx when the rule lets the role read it, else 404 (never 403)."""

    def expected(self, role, scope):
        if not readable(self.rule(), role, scope):
            return "404"
        return "2xx" if role in self.gate_roles() else "403"


class Write(Op):
    """Change one object: 404 when the role cannot read it, 403 when it reads but may not
    change it, 2xx otherwise. With a `gate` (a workflow's roles) the gate replaces the rule's
    write roles: the workflow table, not the generic rule, decides who moves the object."""

    def expected(self, role, scope):
        rule = self.rule()
        if not readable(rule, role, scope):
            return "404"
        if self.gate is not None and not self.narrows:
            return "2xx" if role in self.gate_roles() else "403"
        allowed = writable(rule, role, scope) and (self.gate is None or role in self.gate_roles())
        return "2xx" if allowed else "403"


class Create(Op):
    """Create an object placed in (or out of) the role's scope: 2xx or 403, as
    policy.require_create decides from the rule (or the gate, when the app narrows it)."""

    def expected(self, role, scope):
        if self.parent is not None and not readable(policy.rule_for(model_of(self.parent)), role, scope):
            return "404"
        if self.gate is not None:
            allowed = role in self.gate_roles() and creatable(self.rule(), role, scope)
        else:
            allowed = creatable(self.rule(), role, scope)
        return "2xx" if allowed else "403"


@dataclass
class List(Op):
    """A list: 2xx (403 outside its gate) and the object appears iff the role may read it.
    `found(data, obj)` tells whether the response lists the object."""

    found: Callable[[Any, Any], bool] = lambda data, obj: False

    def expected(self, role, scope):
        if role not in self.gate_roles():
            return "403"
        return "listed" if readable(self.rule(), role, scope) else "absent"


class Open(Op):
    """Not about one scoped object: 2xx for the roles of its gate (everyone by default), 403 for
    the rest. Scope does not apply; the matrix runs it once per role."""

    scoped = False

    def expected(self, role, scope):
        return "2xx" if role in self.gate_roles() else "403"


def by_results(key: str, attr: str):
    """`found` for a paginated list: some result's `key` equals the object's `attr`."""
    return lambda data, obj: any(str(r.get(key)) == str(getattr(obj, attr)) for r in _rows(data))


def by_feature(prop: str, attr: str):
    return lambda data, obj: any(str(f["properties"].get(prop)) == str(getattr(obj, attr)) for f in data.get("features", []))


def _rows(data):
    if isinstance(data, dict):
        return data.get("results", data.get("items", []))
    return data


# ---------------------------------------------------------------- the world


@dataclass
class World:
    units: dict
    users: dict[str, Any]
    tokens: dict[str, str]
    memo: dict = field(default_factory=dict)

    @classmethod
    def build(cls, district, units, make_user) -> "World":
        from chengyun.people.services import create_token

        users, tokens = {}, {}
        for role in ROLES:
            user = make_user(role, unit=UNIT_IN, streets=[STREET_IN], username=f"m_{role}")
            users[role] = user
            tokens[role] = create_token(None, user.username, "matrix")[1]
        return cls(units=units, users=users, tokens=tokens)

    def unit(self, scope: str):
        return self.units[UNIT_IN if scope == IN else UNIT_OUT]

    def street(self, scope: str):
        from chengyun.geo.models import Street

        return Street.objects.get(code=STREET_IN if scope == IN else STREET_OUT)

    def grid(self, scope: str):
        from chengyun.geo.models import Grid

        return Grid.objects.get(code=GRID_IN if scope == IN else GRID_OUT)

    def point(self, scope: str) -> tuple[float, float]:
        from support import grid_center

        return grid_center(GRID_IN if scope == IN else GRID_OUT)

    def once(self, key, make: Callable[[], Any]):
        """One object per key for the whole family (built outside any rolled-back request)."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]


# ---------------------------------------------------------------- calling and judging


def url_for(path_template: str, params: dict) -> str:
    url = path_template
    for k, v in params.items():
        url = url.replace("{" + k + "}", str(v))
    return url


def prepare(world: World, method: str, path_template: str, op: Op, scope: str, obj: Any) -> Callable[[Client, str | None], Any]:
    """Build the request (url, query, body — which may create objects the body refers to)
    outside the rolled-back part; the returned function sends it as a role."""
    url = url_for(path_template, op.path(obj))
    query = op.query(world, scope, obj) if op.query else {}
    if method != "get" and query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(query, doseq=True)}"
    files = op.files(world, scope, obj) if op.files is not None else None
    body = op.body(world, scope, obj) if op.body else None

    def send(client: Client, role: str | None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[role]}"} if role else {}
        if method == "get":
            return client.get(url, query, **headers)
        if files is not None:
            uploads, form = files
            for f in uploads.values():
                for one in (f if isinstance(f, list) else [f]):
                    one.seek(0)
            return getattr(client, method)(url, {**form, **uploads}, **headers)
        if body is None:
            return getattr(client, method)(url, **headers)
        return getattr(client, method)(url, json.dumps(body, default=str), content_type="application/json", **headers)

    return send


def judge(op: Op, expected: str, resp, obj) -> str | None:
    """None when the response is what the policy says, else a description of the difference."""
    status = resp.status_code
    got = _describe(resp)
    if expected == "2xx":
        return None if status in op.ok else f"expected 2xx, got {got}"
    if expected in ("403", "404"):
        return None if status == int(expected) else f"expected {expected}, got {got}"
    if status not in op.ok:
        return f"expected a 2xx list, got {got}"
    data = json.loads(resp.content)
    listed = op.found(data, obj)
    if expected == "listed" and not listed:
        return "the in-scope object is missing from the list"
    if expected == "absent" and listed:
        return "an object outside the role's scope is listed"
    return None


def _describe(resp) -> str:
    text = resp.content[:300].decode("utf-8", "replace") if resp.get("Content-Type", "").startswith("application/json") else ""
    return f"{resp.status_code} {text}".strip()


def rolled_back(fn: Callable[[], Any]) -> Any:
    """Run one request inside a savepoint and undo what it wrote: every cell of the matrix sees
    the same world."""
    sid = transaction.savepoint()
    try:
        return fn()
    finally:
        transaction.savepoint_rollback(sid)


def roles_and_scopes(op: Op) -> Iterable[tuple[str, str]]:
    for role in ROLES:
        for scope in ((IN, OUT) if op.scoped else (IN,)):
            yield role, scope
