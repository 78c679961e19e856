"""The deployment files in deploy/ agree with the code: every unit runs a command that exists,
nginx's body limit matches the application's, and the example environment names real settings."""
from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_every_unit_runs_an_existing_command():
    commands = set(get_commands())
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} >= {"chengyun-web.service", "chengyun-worker.service", "chengyun-hj212.service",
                                       "chengyun-mqtt.service", "chengyun-backup.service"}
    for unit in units:
        text = unit.read_text()
        assert "EnvironmentFile=/etc/chengyun.env" in text and "User=chengyun" in text, unit.name
        for used in re.findall(r"/\.venv/bin/chengyun ([a-z0-9_-]+)", text):
            assert used in commands, f"{unit.name}: chengyun {used}"
        if "Restart=" in text:
            assert "Restart=always" in text


def test_web_unit_uses_the_multiprocess_metrics_config():
    text = (DEPLOY / "systemd" / "chengyun-web.service").read_text()
    assert "-c python:chengyun.ops.gunicorn_conf" in text and "PROMETHEUS_MULTIPROC_DIR=/run/chengyun-web" in text
    from chengyun.ops import gunicorn_conf

    assert callable(gunicorn_conf.child_exit)


def test_nginx_body_limit_matches_the_application_and_metrics_stay_internal():
    text = (DEPLOY / "nginx-chengyun.conf").read_text()
    limit_mb = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))
    assert limit_mb * 1024 * 1024 == settings.REQUEST_MAX_BYTES
    metrics = text[text.index("location = /metrics"):]
    assert "deny all;" in metrics[:metrics.index("}")]
    assert "X-Real-IP $remote_addr" in text and "X-Forwarded-Proto $scheme" in text


def test_example_environment_names_real_settings():
    source = "".join(p.read_text() for p in Path(settings.BASE_DIR).rglob("*.py"))
    names = re.findall(r"^(CHENGYUN_[A-Z_]+)=", (DEPLOY / "chengyun.env.example").read_text(), re.M)
    assert "CHENGYUN_SECRET_KEY" in names and "CHENGYUN_BEHIND_TLS" in names
    for name in names:
        if name != "CHENGYUN_BACKUP_KEEP_DAYS":  # read by the backup unit itself
            assert f'"{name}"' in source, name
