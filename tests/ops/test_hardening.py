"""Security headers, production settings, request size limits and rate limits (等保 intrusion prevention)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from chengyun.ops import config

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- headers


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/v1/health", "/healthz"])
def test_security_headers_on_pages_and_api(client, path):
    r = client.get(path)
    csp = r["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" in directives["style-src"]  # Leaflet and ECharts position elements with style attributes
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"


def test_csp_allows_the_basemap_tile_host_only_for_images():
    csp = config.content_security_policy(tile_url="https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&tk=K")
    assert "img-src 'self' data: blob: https://*.tianditu.gov.cn" in csp
    assert "script-src 'self';" in csp and "tianditu" not in csp.split("img-src")[0]
    assert "img-src 'self' data: blob:;" in config.content_security_policy(tile_url="")


def test_templates_carry_no_inline_script_or_handler():
    """script-src 'self' would block them; every behaviour lives in a static .js file."""
    offenders = []
    for path in (REPO / "chengyun").rglob("templates/**/*.html"):
        text = path.read_text()
        for m in re.finditer(r"<script\b([^>]*)>", text):
            attrs = m.group(1)
            if "src=" not in attrs and "application/json" not in attrs:
                offenders.append(f"{path.relative_to(REPO)}: inline <script>")
        for m in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(REPO)}: inline handler {m.group(0).strip()}")
        if "javascript:" in text:
            offenders.append(f"{path.relative_to(REPO)}: javascript: URL")
    assert offenders == []


def _settings_in(env: dict) -> dict:
    """Import the real settings module in a fresh interpreter with the given environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CHENGYUN_", "DJANGO_"))}
    code = ("import json, chengyun.settings as s; print(json.dumps({k: getattr(s, k, None) for k in "
            "['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY', "
            "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'DEBUG']}))")
    result = subprocess.run([sys.executable, "-c", code], env={**base, "PYTHONPATH": str(REPO), **env},
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    return {"rc": result.returncode, "err": result.stderr.strip(), **(json.loads(result.stdout) if result.returncode == 0 else {})}


def test_production_settings_use_secure_cookie_flags_and_hsts_behind_tls(tmp_path):
    key = "k" + "".join(chr(65 + i % 26) + str(i) for i in range(30))
    prod = _settings_in({"CHENGYUN_DATA_DIR": str(tmp_path), "CHENGYUN_SECRET_KEY": key})
    assert prod["rc"] == 0, prod["err"]
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SESSION_COOKIE_HTTPONLY"] and prod["CSRF_COOKIE_HTTPONLY"]
    assert prod["SESSION_COOKIE_SAMESITE"] == prod["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert prod["SECURE_HSTS_SECONDS"] in (None, 0)  # HSTS only when TLS is really in front
    tls = _settings_in({"CHENGYUN_DATA_DIR": str(tmp_path), "CHENGYUN_SECRET_KEY": key, "CHENGYUN_BEHIND_TLS": "1"})
    assert tls["SECURE_HSTS_SECONDS"] == 31536000 and tls["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    demo = _settings_in({"CHENGYUN_DATA_DIR": str(tmp_path), "CHENGYUN_MODE": "demo", "CHENGYUN_DEBUG": "1"})
    assert demo["rc"] == 0 and demo["DEBUG"] and not demo["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize("env, words", [
    ({"CHENGYUN_DEBUG": "1"}, "CHENGYUN_DEBUG"),
    ({"CHENGYUN_SECRET_KEY": "short-key"}, "过短"),
    ({"CHENGYUN_SECRET_KEY": "django-insecure-" + "x1y2z3" * 8}, "示例或默认值"),
    ({"CHENGYUN_MODE": "staging"}, "CHENGYUN_MODE"),
])
def test_production_refuses_debug_and_weak_keys(tmp_path, env, words):
    full = {"CHENGYUN_DATA_DIR": str(tmp_path), "CHENGYUN_SECRET_KEY": "a" + "Qz7".join(str(i) for i in range(40)), **env}
    out = _settings_in(full)
    assert out["rc"] != 0 and words in out["err"]


def test_generated_key_file_is_accepted_in_production(tmp_path):
    assert _settings_in({"CHENGYUN_DATA_DIR": str(tmp_path)})["rc"] == 0
    assert len((tmp_path / "secret_key").read_text()) >= 40


def test_production_problems_rules():
    good = "pX3" + "".join(chr(97 + (i * 7) % 26) + str(i % 10) for i in range(30))
    assert config.production_problems(mode="production", debug=False, secret_key=good) == []
    assert config.production_problems(mode="demo", debug=True, secret_key="x") == []
    assert config.production_problems(mode="production", debug=False, secret_key="a" * 60)  # no randomness
    with pytest.raises(config.UnsafeSettings, match="^拒绝启动："):
        config.check_production(mode="production", debug=True, secret_key=good)


# ---------------------------------------------------------------- request size


@pytest.mark.django_db
def test_declared_oversized_body_is_413_before_reading(client, settings):
    settings.REQUEST_MAX_BYTES = 1000
    r = client.post("/api/v1/cases/", data="x" * 2000, content_type="application/json")
    assert r.status_code == 413 and r.json()["code"] == "too_large" and "上限" in r.json()["message"]
    assert r.json()["detail"]["limit_bytes"] == 1000


@pytest.mark.django_db
def test_oversized_form_fields_are_413(client, settings, make_user):
    from chengyun.people import roles as R

    from django.test import Client

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    browser = Client(enforce_csrf_checks=True)  # the CSRF check reads the form before the view does
    browser.force_login(make_user(R.OPS_ACCEPTOR))
    for data, content_type in (("description=" + "x" * 5000, "application/x-www-form-urlencoded"),
                               (json.dumps({"description": "x" * 5000}), "application/json")):
        r = browser.post("/cases/report/", data=data, content_type=content_type)
        assert r.status_code == 413 and r.json()["code"] == "too_large"
    # Multipart: the text fields over the limit are found while parsing, in the view.
    client.force_login(make_user(R.OPS_ACCEPTOR))
    r = client.post("/cases/report/", {"description": "x" * 5000, "lng": "101.78", "lat": "36.6"})
    assert r.status_code == 413 and r.json()["code"] == "too_large"


# ---------------------------------------------------------------- rate limits


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_open311_post_is_rate_limited_per_client_address(client, settings, fresh_cache):
    settings.RATE_LIMITS = {"open311": (("POST",), r"^/open311/v2/requests(\.json|\.xml)?$", (3, 60))}
    codes = [client.post("/open311/v2/requests.json", {"service_code": "x"}, REMOTE_ADDR="10.0.0.5").status_code for _ in range(4)]
    assert codes[:3] != [429] * 3 and codes[3] == 429
    r = client.post("/open311/v2/requests.json", {}, REMOTE_ADDR="10.0.0.5")
    body = r.json()
    assert r.status_code == 429 and body["code"] == "rate_limited" and "秒后再试" in body["message"]
    assert 1 <= int(r["Retry-After"]) <= 60 and body["detail"]["limit"] == 3
    # Another address has its own allowance; reads are never limited.
    assert client.post("/open311/v2/requests.json", {}, REMOTE_ADDR="10.0.0.6").status_code != 429
    assert client.get("/open311/v2/services.json", REMOTE_ADDR="10.0.0.5").status_code == 200
    english = client.post("/open311/v2/requests.json", {}, REMOTE_ADDR="10.0.0.5", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429 and english.json()["message"].startswith("Too many submissions; please try again in ")


@pytest.mark.django_db
def test_rate_limit_sees_the_real_client_only_behind_a_trusted_proxy(client, settings, fresh_cache):
    settings.RATE_LIMITS = {"report": (("POST",), r"^/cases/report/$", (1, 60))}
    # A client cannot dodge the limit by inventing X-Forwarded-For when nginx is not trusted.
    assert client.post("/cases/report/", {}, REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="1.1.1.1").status_code != 429
    assert client.post("/cases/report/", {}, REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 429
    # Behind the trusted proxy, each real client address counts separately.
    settings.TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    assert client.post("/cases/report/", {}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="3.3.3.3").status_code != 429
    assert client.post("/cases/report/", {}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="4.4.4.4").status_code != 429
    assert client.post("/cases/report/", {}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="3.3.3.3").status_code == 429


def test_rate_setting_parsing():
    assert config.parse_rate("20/60") == (20, 60) and config.parse_rate("0") == (0, 0)
    with pytest.raises(config.UnsafeSettings):
        config.parse_rate("many")
