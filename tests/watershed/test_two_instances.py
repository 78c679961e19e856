"""Two Chengyun instances on this machine (two data directories, two SQLite databases, two servers on
free ports, each with its job worker) exchange an upstream exceedance: the downstream one raises the
alert and opens the joint incident, both show it with the same id, and actions recorded on either side
reach the other — pushed by the job workers, not inside the requests. The shared secrets are stored
encrypted (CHENGYUN_FIELD_KEY set)."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "two-instances-shared-secret-0123"
FIELD_KEY = "5f" * 32

SETUP = """
import json
from django.contrib.auth import get_user_model
from chengyun.geo.models import Unit
from chengyun.people.models import Person
from chengyun.people.services import create_token, ensure_roles
from chengyun.watershed.services import exchange
ensure_roles()
n, key = exchange.register_neighbour(None, code={code!r}, name={name!r}, secret={secret!r})
exchange.add_boundary_section(None, n, code="JJ01", name="湟水河交界断面", river="湟水河", lng=101.7, lat=36.5,
                              upstream={upstream!r}, target_class=3)
unit = Unit.objects.create(code="OPS", name="城运中心", kind="ops_center", district_wide=True)
user = get_user_model().objects.create_user(username="admin", password="pw-Test-123456")
p = Person.objects.create(user=user, name="管理员", unit=unit, phone="13900000000")
p.roles.set(["sysadmin"])
print(json.dumps({{"neighbour_key": key, "admin": create_token(None, "admin", "test")[1]}}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir, party_code, party_name):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHENGYUN_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(CHENGYUN_DATA_DIR=str(data_dir), CHENGYUN_MODE="demo", CHENGYUN_2FA_ROLES="", CHENGYUN_SECRET_KEY="k" * 10 + party_code * 40,
               CHENGYUN_EXCHANGE_PARTY_CODE=party_code, CHENGYUN_EXCHANGE_PARTY_NAME=party_name, PYTHONPATH=ROOT,
               CHENGYUN_FIELD_KEY=FIELD_KEY, CHENGYUN_HUEY_NAME=f"two-instances-{party_code}")
    return env


def _cli(env, *args) -> str:
    r = subprocess.run([sys.executable, "-m", "chengyun.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def _call(base, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def _wait_up(base):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/api/v1/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
        except Exception:
            return
    raise AssertionError(f"{base} did not start")


def _incidents(base, token):
    return _call(base, token, "GET", "/api/v1/watersheds/incidents/")["results"]


def _until(fn, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    return fn()


def test_two_instances_share_a_joint_incident(tmp_path):
    up_env = _env(tmp_path / "up", "UPQ", "上游区")
    down_env = _env(tmp_path / "down", "DNQ", "下游区")
    up_port, down_port = _free_port(), _free_port()
    up_url, down_url = f"http://127.0.0.1:{up_port}", f"http://127.0.0.1:{down_port}"
    _cli(up_env, "migrate", "--no-input", "-v", "0")
    _cli(down_env, "migrate", "--no-input", "-v", "0")
    # Each registers the other and hands over the exchange-only token it issued.
    up = json.loads(_cli(up_env, "shell", "-c", SETUP.format(code="DNQ", name="下游区", secret=SECRET, upstream="ours")).strip().splitlines()[-1])
    down = json.loads(_cli(down_env, "shell", "-c", SETUP.format(code="UPQ", name="上游区", secret=SECRET, upstream="neighbour")).strip().splitlines()[-1])
    _cli(up_env, "exchange", "link", "DNQ", "--base-url", down_url, "--token", down["neighbour_key"])
    _cli(down_env, "exchange", "link", "UPQ", "--base-url", up_url, "--token", up["neighbour_key"])
    servers = [subprocess.Popen([sys.executable, "-m", "chengyun.cli", "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for env, port in ((up_env, up_port), (down_env, down_port))]
    # The pushes to the other side are jobs: each instance runs its worker, as `chengyun serve` does.
    servers += [subprocess.Popen([sys.executable, "-m", "chengyun.cli", "run_huey", "--workers", "1", "--worker-type", "thread"], cwd=ROOT,
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for env in (up_env, down_env)]
    try:
        _wait_up(up_url)
        _wait_up(down_url)
        # The upstream district measures COD 45 mg/L (劣Ⅴ) at the shared section, target Ⅲ.
        r = _call(up_url, up["admin"], "POST", "/api/v1/watersheds/boundary-sections/JJ01/readings",
                  {"at": "2026-11-20T08:00:00+08:00", "values": {"w01018": 45, "w21003": 0.5}})
        assert r["compliant"] is False
        # Downstream: the alert opened a joint incident naming the upstream party …
        down_inc = _until(lambda: _incidents(down_url, down["admin"]))
        assert len(down_inc) == 1 and down_inc[0]["upstream_party"] == "上游区" and down_inc[0]["neighbour"] == "上游区"
        uid = down_inc[0]["uid"]
        # … and the upstream platform shows the same incident.
        up_inc = _until(lambda: _incidents(up_url, up["admin"]))
        assert [i["uid"] for i in up_inc] == [uid] and up_inc[0]["upstream_party"] == "上游区" and up_inc[0]["neighbour"] == "下游区"
        # The upstream side records its action and a joint patrol; the downstream side sees them on the shared timeline.
        _call(up_url, up["admin"], "POST", f"/api/v1/watersheds/incidents/{uid}/entries",
              {"kind": "action", "text": "关停上游违法排口，启用应急截污"})
        _call(up_url, up["admin"], "POST", f"/api/v1/watersheds/incidents/{uid}/entries",
              {"kind": "patrol", "text": "双方沿河联合巡查 3 公里", "participants": "上游区河长办、下游区河长办", "route": "交界断面—上游 3 公里"})

        def theirs_on_down():
            entries = _call(down_url, down["admin"], "GET", f"/api/v1/watersheds/incidents/{uid}")["entries"]
            return [e for e in entries if not e["ours"]]
        got = _until(lambda: len(theirs_on_down()) >= 2 and theirs_on_down())
        assert {e["kind"] for e in got} >= {"action", "patrol"} and all(e["party"] == "上游区" for e in got)
        # The downstream side closes the loop; the state reaches the upstream platform.
        _call(down_url, down["admin"], "POST", f"/api/v1/watersheds/incidents/{uid}/actions", {"action": "resolve"})
        assert _until(lambda: _call(up_url, up["admin"], "GET", f"/api/v1/watersheds/incidents/{uid}")["state"] == "resolved")
        # Pulling everything again changes nothing (idempotent by message id).
        out = _cli(up_env, "exchange", "pull", "--neighbour", "DNQ")
        assert "应用 0 条" in out
        assert len(_incidents(up_url, up["admin"])) == 1 and len(_incidents(down_url, down["admin"])) == 1
        # Every message either side sent was delivered by a push job.
        for data_dir in (tmp_path / "up", tmp_path / "down"):
            with sqlite3.connect(data_dir / "chengyun.sqlite3") as db:
                assert db.execute("select count(*) from watershed_exchangemessage where direction='out' and delivered_at is null").fetchone()[0] == 0
                # The shared secret and the neighbour's token are at rest as ciphertext, never as typed.
                secret, token = db.execute("select secret, token from watershed_neighbour").fetchone()
                assert secret.startswith("enc1:aes-gcm:") and SECRET not in secret and token.startswith("enc1:aes-gcm:")
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            try:
                s.wait(timeout=10)
            except subprocess.TimeoutExpired:
                s.kill()
