"""The platform's shell: health, login with throttling, navigation, language, CLI."""
import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


def test_health(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["database"] in ("sqlite", "postgresql") and body["version"]


def test_openapi_schema_is_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/geo/locate" in paths and "/api/v1/health" in paths


def test_login_and_navigation_by_role(make_user):
    c = Client()
    user = make_user(R.COMMUNITY_GRID_WORKER, unit="S01")
    assert c.get("/").status_code == 302
    r = c.post("/login/", {"username": user.username, "password": "pw-test-123"})
    assert r.status_code == 302
    page = c.get("/").content.decode()
    assert "一张图" in page and "审计日志" not in page  # no links to what the role may not open
    auditor = make_user(R.AUDITOR)
    c.force_login(auditor)
    assert "审计日志" in c.get("/").content.decode()


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_login_is_throttled_after_repeated_failures(make_user):
    user = make_user(R.OPS_ACCEPTOR)
    c = Client()
    for _ in range(3):
        assert c.post("/login/", {"username": user.username, "password": "wrong"}).status_code == 200
    r = c.post("/login/", {"username": user.username, "password": "pw-test-123"})
    assert r.status_code == 429 and "登录失败次数过多" in r.content.decode()


def test_english_is_available(make_user):
    c = Client()
    c.force_login(make_user(R.OPS_DISPATCHER))
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = c.get("/").content.decode()
    assert "Map" in page and "Responsible units" in page
    c.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "一张图" in c.get("/").content.decode()


def test_pages_render_for_every_role(make_user):
    c = Client()
    for role in sorted(R.ALL_ROLES):
        c.force_login(make_user(role, unit="OPS"))
        for url in ("/", "/geo/map/", "/geo/units/", "/geo/units/D01/", "/people/", "/notifications/"):
            assert c.get(url, follow=True).status_code == 200, (role, url)  # a leader's home is the cockpit (a redirect)


def test_token_command_prints_a_working_token(make_user, capsys, client):
    user = make_user(R.OPS_DISPATCHER)
    call_command("token", "create", user.username, "--name", "测试")
    key = capsys.readouterr().out.strip()
    assert key.startswith("cy_")
    assert client.get("/api/v1/people/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_token_command_for_unknown_user(district):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="不存在"):
        call_command("token", "create", "nobody")


def test_pages_turn_domain_errors_into_pages_with_their_status(make_user):
    c = Client()
    c.force_login(make_user(R.OPS_DISPATCHER))
    r = c.get("/people/audit/")
    assert r.status_code == 403 and "只有审计员和系统管理员可以查看审计日志" in r.content.decode()
    r = c.get("/geo/units/NOPE/")
    assert r.status_code == 404 and "对象不存在或您无权查看" in r.content.decode()
