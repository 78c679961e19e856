"""Shared fixtures: a small district (2 streets × 2 communities × 4 grids), units, and a
user for any role with an area scope. Domain apps' tests build on these."""
from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

from hypothesis import HealthCheck, settings as hypothesis_settings  # noqa: E402

# Shared, noisy CI machines: a property is about correctness, not speed (benchmarks measure speed).
hypothesis_settings.register_profile("chengyun", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("chengyun")

from support import DIVISION, build_small_district, grid_center  # noqa: F401


@pytest.fixture
def district(db):
    _reseed_task_categories()
    return build_small_district()


def _reseed_task_categories() -> None:
    """A transactional test's flush also empties supervision's migration-seeded task categories,
    which research measures and meeting decisions file under: put them back for the next test."""
    import importlib

    from chengyun.supervision.models import Category

    if not Category.objects.exists():
        seeded = importlib.import_module("chengyun.supervision.migrations.0002_categories")
        for code, name, order in seeded.CATEGORIES:
            Category.objects.get_or_create(code=code, defaults={"name": name, "order": order})


@pytest.fixture
def units(district):
    from chengyun.geo.models import Street, Unit

    made = {
        "OPS": Unit.objects.create(code="OPS", name="城运中心", kind=Unit.Kind.OPS_CENTER, district_wide=True),
        "D01": Unit.objects.create(code="D01", name="区城市管理局", kind=Unit.Kind.DEPARTMENT, specialty="城管", district_wide=True),
        "D02": Unit.objects.create(code="D02", name="区住房和城乡建设局", kind=Unit.Kind.DEPARTMENT, specialty="住建", district_wide=True),
        "S01": Unit.objects.create(code="S01", name="第1街道办事处", kind=Unit.Kind.STREET_OFFICE, specialty="街道"),
        "S02": Unit.objects.create(code="S02", name="第2街道办事处", kind=Unit.Kind.STREET_OFFICE, specialty="街道"),
    }
    made["S01"].streets.set(Street.objects.filter(code=f"{DIVISION}001"))
    made["S02"].streets.set(Street.objects.filter(code=f"{DIVISION}002"))
    return made


_counter = itertools.count(1)


@pytest.fixture
def make_user(units):
    """make_user(role, unit="OPS", grids=[codes], streets=[codes], communities=[codes]) -> User with a Person."""
    from django.contrib.auth import get_user_model

    from chengyun.geo.models import Community, Grid, Street
    from chengyun.people.models import Person
    from chengyun.people.services import ensure_roles

    ensure_roles()  # a transactional test's flush also empties the migration-seeded roles

    def make(role: str | list[str], unit: str = "OPS", grids=(), streets=(), communities=(), username: str | None = None):
        roles = [role] if isinstance(role, str) else list(role)
        n = next(_counter)
        user = get_user_model().objects.create_user(username=username or f"{roles[0]}{n}", password="pw-test-123", first_name=f"测试{n}")
        person = Person.objects.create(user=user, name=f"测试人员{n}", unit=units[unit], phone=f"1390000{n:04d}")
        person.roles.set(roles)
        person.grids.set(Grid.objects.filter(code__in=list(grids)))
        person.streets.set(Street.objects.filter(code__in=list(streets)))
        person.communities.set(Community.objects.filter(code__in=list(communities)))
        return user

    return make


@pytest.fixture
def api_client(client):
    """A Django test client that speaks JSON to /api/v1/ as a given user: api_client.as_user(user)."""
    import json

    class ApiClient:
        def __init__(self):
            self.user = None

        def as_user(self, user):
            client.force_login(user)
            self.user = user
            return self

        def _call(self, method, path, data=None, **extra):
            url = path if path.startswith("/") else f"/api/v1/{path}"
            if data is not None and method != "get":
                extra.setdefault("content_type", "application/json")
                data = json.dumps(data)
            return getattr(client, method)(url, data=data, **extra)

        def get(self, path, params=None, **extra):
            return client.get(path if path.startswith("/") else f"/api/v1/{path}", params or {}, **extra)

        def post(self, path, data=None, **extra):
            return self._call("post", path, data, **extra)

        def put(self, path, data=None, **extra):
            return self._call("put", path, data, **extra)

        def patch(self, path, data=None, **extra):
            return self._call("patch", path, data, **extra)

        def delete(self, path, **extra):
            return client.delete(path if path.startswith("/") else f"/api/v1/{path}", **extra)

    return ApiClient()


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or "live_server" in request.fixturenames or bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture(autouse=True)
def _each_test_starts_in_chinese():
    """An English request leaves English active in the test's thread (LocaleMiddleware does not
    undo it), and services that resolve a label or store a translated text would then work in
    English in whatever test the worker runs next."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _audit_log_flushable_between_transactional_tests(request):
    """Transactional tests empty every table afterwards. PostgreSQL does it with TRUNCATE, which
    the append-only trigger does not stop; SQLite uses DELETE, so its trigger is lifted for that
    flush only and put back for the next test."""
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    from chengyun.core.migrations import _append_only

    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute(_append_only.SQLITE_NO_DELETE_ANCHORED)
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("DROP TRIGGER IF EXISTS core_auditentry_no_delete")


# ---------------------------------------------------------------- browser tests
# Headless Debian chromium through Playwright. In CI (CI=1) a missing browser fails the run;
# elsewhere the browser tests are skipped with a message saying so.
CHROMIUM = os.environ.get("CHENGYUN_CHROMIUM", "/usr/bin/chromium")


# Module scope, not session: while Playwright's sync API is open it keeps an event loop running
# in this thread, and later tests that call asyncio.run() (the HJ 212 server's) would fail.
@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"CI 中必须运行浏览器测试，但找不到 chromium：{CHROMIUM}")
        pytest.skip(f"已跳过浏览器测试：找不到 chromium（{CHROMIUM}）；以 root 运行 make test 会自动安装")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    yield pg
    context.close()
