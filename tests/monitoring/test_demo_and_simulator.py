from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from chengyun.demo.context import DemoContext
from chengyun.monitoring import demo, services
from chengyun.monitoring.hj212_server import ServerOptions, ServerThread
from chengyun.monitoring.models import Device, Reading
from chengyun.monitoring.simulation import OUTFALL_FACTORS, SECTION_FACTORS, Profile, Site
from chengyun.monitoring.simulator import Simulator, devices_from_db


def test_demo_devices_contract():
    mns = [e["mn"] for e in demo.DEMO_DEVICES]
    codes = [e["site_code"] for e in demo.DEMO_DEVICES]
    assert len(set(mns)) == len(mns) and len(set(codes)) == len(codes)
    sections = [e for e in demo.DEMO_DEVICES if e["site_kind"] == "section"]
    outfalls = [e for e in demo.DEMO_DEVICES if e["site_kind"] == "outfall"]
    assert len(sections) == 8 and len(outfalls) == 10
    assert all(e["factors"] == SECTION_FACTORS and 1 <= e["target_class"] <= 5 for e in sections)
    assert all(e["factors"] == OUTFALL_FACTORS and e["outfall_kind"] in {"industrial", "wwtp", "rain", "combined", "other"} for e in outfalls)
    assert sum(bool(e.get("silent")) for e in demo.DEMO_DEVICES) == 1
    assert any(e.get("dry_weather_flow") and e["outfall_kind"] == "rain" for e in outfalls)


def test_simulated_sections_have_a_daily_cycle_and_episodes():
    site = Site(Profile("section", episode_rate=0.05), random.Random(1))
    day = datetime(2026, 11, 23)  # a Monday: no maintenance flags
    do = {h: site.sample("w01009", day.replace(hour=h), 1.0)[0] for h in range(24)}
    assert do[15] > do[3] + 1.0  # photosynthesis lifts dissolved oxygen in the afternoon
    cods = [site.values(["w01018"], day + timedelta(hours=h))["w01018"][0] for h in range(24 * 30)]
    assert max(cods) > 2 * sorted(cods)[len(cods) // 2]  # an exceedance episode happened


def test_dry_weather_flow_only_at_the_misconnected_rain_outfall():
    from chengyun.monitoring.simulation import profile_for

    when = datetime(2026, 11, 23, 10)
    clean = Site(profile_for(demo.demo_entry("630109PK0005")), random.Random(1))
    leaking = Site(profile_for(demo.demo_entry("630109PK0006")), random.Random(1))
    assert clean.sample("w00000", when, 1.0)[0] == 0.0
    assert leaking.sample("w00000", when, 1.0)[0] > 1.0


@pytest.mark.django_db
def test_demo_generator_creates_devices_and_history():
    ctx = DemoContext(log=lambda *_: None)
    demo.generate(ctx)
    assert Device.objects.count() == 18
    assert not Device.objects.exclude(site_kind="").exists()  # water links them by MN
    per_device = demo.HISTORY_DAYS * 24
    section = Device.objects.get(mn="630109SW0001")
    assert Reading.objects.filter(device=section).count() == per_device * 8
    silent = Device.objects.get(mn="630109SW0006")
    assert Reading.objects.filter(device=silent).count() == (per_device - demo.SILENT_HOURS) * 8
    assert timezone.now() - silent.last_seen_at > timedelta(hours=2)
    assert Reading.objects.filter(flag="M").exists()
    assert Device.objects.get(mn="630109PK0008").tolerate_lowercase_crc
    demo.generate(ctx)  # a second run skips
    assert Device.objects.count() == 18


@pytest.mark.django_db(transaction=True)
def test_simulator_sends_real_time_data_that_the_server_stores():
    for e in demo.DEMO_DEVICES[:3] + [demo.demo_entry("630109PK0008")]:
        services.create_device(None, mn=e["mn"], password=e["password"], st=e["st"], name=e["name"], factors=e["factors"])
    services.update_device(None, Device.objects.get(mn="630109PK0008"), tolerate_lowercase_crc=True)
    devices = devices_from_db()
    assert len(devices) == 4
    with ServerThread(ServerOptions(port=0)) as server:
        # Over a second apart, so the two packets of a device have different data times.
        simulator = Simulator("127.0.0.1", server.port, devices, interval=1.05, count=2)
        asyncio.run(asyncio.wait_for(simulator.run(), 60))
    assert simulator.stats["replied"] == 8
    assert Reading.objects.filter(cn="2011").count() == 2 * (3 * 8 + 4)
    assert Reading.objects.filter(device__mn="630109PK0008").count() == 2 * 4  # its lower-case CRCs were accepted


@pytest.mark.django_db(transaction=True)
def test_the_silent_demo_device_sends_nothing():
    e = demo.demo_entry("630109SW0006")
    services.create_device(None, mn=e["mn"], password=e["password"], st=e["st"], name=e["name"], factors=e["factors"])
    [device] = devices_from_db()
    assert device.silent
    with ServerThread(ServerOptions(port=0)) as server:
        asyncio.run(asyncio.wait_for(Simulator("127.0.0.1", server.port, [device], interval=0.01, count=2).run(), 10))
    assert not Reading.objects.exists()


def test_unknown_factors_get_plausible_values():
    for kind in ("section", "wwtp", "rain", "combined"):
        site = Site(Profile(kind, flow=10.0, dry_weather_flow=1.0), random.Random(3))
        values = site.values(["w21001", "w99999", "w01018"], datetime(2026, 11, 23, 12))
        assert all(v >= 0 for v, _ in values.values())


def test_the_demo_runs_the_mqtt_ingester_only_when_a_broker_answers():
    import socket

    from django.apps import apps

    config = apps.get_app_config("monitoring")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        services = config.demo_services({"HJ212_PORT": 9300, "MQTT_URL": f"mqtt://demo:secret@127.0.0.1:{port}"})
        assert [argv[0] for argv in services] == ["hj212-server", "hj212-simulate", "mqtt-ingest"]
        assert "已启动" in config.demo_messages[0] and "secret" not in config.demo_messages[0]
        ingest = services[2]
        assert ingest[ingest.index("--client-id") + 1].startswith("chengyun-demo-mqtt-ingest-")
    finally:
        listener.close()
    # closed now: nothing answers
    assert [argv[0] for argv in config.demo_services({"HJ212_PORT": 9300, "MQTT_URL": f"mqtt://127.0.0.1:{port}"})] == [
        "hj212-server", "hj212-simulate"]
    assert "未启动" in config.demo_messages[0] and "--mqtt-url" in config.demo_messages[0]
