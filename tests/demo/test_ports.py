"""`chengyun demo` beside another instance: every port is an option and a setting, checked before anything starts."""
from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from chengyun.core.ports import EXIT_PORT_UNAVAILABLE, Listener, bind_problem, plan_problem
from chengyun.demo import processes
from chengyun.demo.management.commands.demo import Command
from chengyun.demo.processes import Services, planned_listeners
from chengyun.monitoring.apps import demo_mqtt_client_id

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def held_port():
    """A port another program is listening on, as another instance's HJ 212 receiver would."""
    holder = socket.create_server(("127.0.0.1", 0))
    yield holder.getsockname()[1]
    holder.close()


def taken_line(port: int, service: str, option: str, env: str) -> str:
    return f"端口 {port} 已被占用（{service}）：请用 {option} 或 {env} 指定其他端口"


def test_a_taken_hj212_port_is_refused_in_one_line_before_anything_starts(held_port, monkeypatch):
    spawned = []
    monkeypatch.setattr(processes.subprocess, "Popen", lambda *a, **k: spawned.append(a))
    web = free_port()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("demo", "--port", str(web), "--hj212-port", str(held_port), "--mqtt-url", "mqtt://127.0.0.1:1",
                     stdout=out, stderr=err)
    assert exit_.value.code == 1
    assert err.getvalue() == taken_line(held_port, "HJ 212 接收", "--hj212-port", "CHENGYUN_HJ212_PORT") + "\n"
    # Nothing prepared, nothing started, nothing left listening.
    assert out.getvalue() == "" and spawned == []
    assert bind_problem(Listener("网站", "127.0.0.1", web, "--port", "CHENGYUN_WEB_PORT")) is None


def test_the_console_command_says_it_in_one_line_without_a_traceback(held_port, tmp_path):
    env = dict(os.environ, CHENGYUN_DATA_DIR=str(tmp_path), CHENGYUN_HJ212_PORT=str(held_port), CHENGYUN_WEB_PORT=str(free_port()))
    result = subprocess.run([sys.executable, "-m", "chengyun.cli", "demo"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [taken_line(held_port, "HJ 212 接收", "--hj212-port", "CHENGYUN_HJ212_PORT")]
    assert "Traceback" not in result.stderr + result.stdout and result.stdout == ""
    assert not (tmp_path / "chengyun.sqlite3").exists()  # not even the database was touched


def test_a_taken_web_port_names_the_web_option(held_port):
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("demo", "--port", str(held_port), "--hj212-port", str(free_port()), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip() == taken_line(held_port, "网站", "--port", "CHENGYUN_WEB_PORT")


def test_one_port_for_two_services_is_refused():
    port = free_port()
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("demo", "--port", str(port), "--hj212-port", str(port), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip() == (f"端口 {port} 同时分配给了网站和HJ 212 接收：请用 --hj212-port 或 CHENGYUN_HJ212_PORT "
                                      "为HJ 212 接收指定其他端口")


def _plan_from_settings(settings, web: int, hj212: int, data_dir: Path):
    """The listeners and MQTT client of a demo configured only through its settings (environment)."""
    settings.WEB_PORT, settings.HJ212_PORT, settings.DATA_DIR = web, hj212, data_dir
    options = Command().create_parser("chengyun", "demo").parse_args([])
    values = {"HJ212_PORT": options.demo_hj212_port, "MQTT_URL": options.demo_mqtt_url}
    return planned_listeners(options.host, options.port, values), demo_mqtt_client_id(data_dir)


def test_two_instances_with_their_own_settings_do_not_collide(settings, tmp_path):
    first, first_client = _plan_from_settings(settings, free_port(), free_port(), tmp_path / "a")
    second, second_client = _plan_from_settings(settings, free_port(), free_port(), tmp_path / "b")
    assert [(l.service, l.option, l.env) for l in first] == [("网站", "--port", "CHENGYUN_WEB_PORT"),
                                                             ("HJ 212 接收", "--hj212-port", "CHENGYUN_HJ212_PORT")]
    assert not {l.port for l in first} & {l.port for l in second}
    assert first_client != second_client  # separate MQTT sessions on a shared broker
    # With the first instance running (its ports held), the second can still start; a third copy of the first cannot.
    holders = [socket.create_server((l.host, l.port)) for l in first]
    try:
        assert plan_problem(second) is None
        assert plan_problem(first) == taken_line(first[0].port, "网站", "--port", "CHENGYUN_WEB_PORT")
    finally:
        for holder in holders:
            holder.close()


def test_the_chosen_ports_reach_the_services():
    from chengyun.core.registry import demo_services

    argv = dict((a[0], a) for _, a in demo_services({"HJ212_PORT": 19999, "MQTT_URL": "mqtt://127.0.0.1:1"}))
    assert argv["hj212-server"][argv["hj212-server"].index("--port") + 1] == "19999"
    assert argv["hj212-simulate"][argv["hj212-simulate"].index("--port") + 1] == "19999"
    assert "mqtt-ingest" not in argv  # nothing answers on port 1


def test_a_port_setting_that_is_not_a_port_is_refused_by_name(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from chengyun.settings import _env_port

    monkeypatch.setenv("CHENGYUN_HJ212_PORT", "92l2")
    with pytest.raises(ImproperlyConfigured, match="CHENGYUN_HJ212_PORT='92l2'"):
        _env_port("CHENGYUN_HJ212_PORT", 9212)
    monkeypatch.setenv("CHENGYUN_HJ212_PORT", "70000")
    with pytest.raises(ImproperlyConfigured):
        _env_port("CHENGYUN_HJ212_PORT", 9212)
    monkeypatch.setenv("CHENGYUN_HJ212_PORT", " 9300 ")
    assert _env_port("CHENGYUN_HJ212_PORT", 9212) == 9300


# ---------------------------------------------------------------- a service dying at start


def _sleeper() -> list[str]:
    return [sys.executable, "-c", "import time; time.sleep(120)"]


def test_a_receiver_that_finds_its_port_taken_stops_every_service_in_one_line(held_port, tmp_path, capfd):
    env = dict(os.environ, CHENGYUN_DATA_DIR=str(tmp_path))
    said = []
    services = Services(env, out=lambda s: None, err=said.append, poll=0.1)
    other = services.spawn("worker", _sleeper())
    listener = Listener("HJ 212 接收", "127.0.0.1", held_port, "--hj212-port", "CHENGYUN_HJ212_PORT", served_by="hj212-server")
    receiver = services.spawn("monitoring", [sys.executable, "-m", "chengyun.cli", "hj212-server", "--port", str(held_port),
                                             "--workers", "1", "--port-option=--hj212-port"], listener=listener)
    started = time.monotonic()
    assert services.run() == 1
    assert time.monotonic() - started < 60
    assert receiver.returncode == EXIT_PORT_UNAVAILABLE
    assert other.poll() is not None  # the other service was stopped with it
    # The receiver said it (the demo's option), and the supervisor did not say it again.
    assert capfd.readouterr().err.splitlines()[-1] == taken_line(held_port, "HJ 212 接收", "--hj212-port", "CHENGYUN_HJ212_PORT")
    assert said == []


def test_a_service_that_dies_silently_on_a_taken_port_is_explained(held_port, tmp_path):
    said = []
    services = Services(dict(os.environ), out=lambda s: None, err=said.append, poll=0.1)
    other = services.spawn("worker", _sleeper())
    web = Listener("网站", "127.0.0.1", held_port, "--port", "CHENGYUN_WEB_PORT", served_by="web")
    services.spawn("web", [sys.executable, "-c", "import sys; sys.exit(1)"], listener=web)  # like gunicorn giving up
    assert services.run() == 1
    assert said == [taken_line(held_port, "网站", "--port", "CHENGYUN_WEB_PORT")]
    assert other.poll() is not None


def test_a_service_that_dies_for_another_reason_is_named(tmp_path):
    said = []
    services = Services(dict(os.environ), out=lambda s: None, err=said.append, poll=0.1)
    services.spawn("worker", _sleeper())
    services.spawn("web", [sys.executable, "-c", "import sys; sys.exit(4)"],
                   listener=Listener("网站", "127.0.0.1", free_port(), "--port", "CHENGYUN_WEB_PORT"))
    assert services.run() == 1
    assert said == ["服务 web 已退出（代码 4），正在停止全部服务"]
