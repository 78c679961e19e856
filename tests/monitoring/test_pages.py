from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chengyun.monitoring import services
from chengyun.monitoring.models import Device, Reading
from chengyun.people import roles as R
from chengyun.standards import hj212


@pytest.fixture
def ops(make_user):
    return make_user(R.OPS_DISPATCHER)


@pytest.fixture
def device(db):
    d = services.create_device(None, mn="MN0001", password="pw123456", st="21", name="一号断面水质站",
                               factors=["w01018", "w21003"], site_kind="section", site_code="DM01")
    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    services.store_packet(d, hj212.parse(hj212.build(st="21", cn="2011", pw="pw123456", mn="MN0001", data_time=now,
                                                     factors={"w01018": {"Rtd": 18.5, "Flag": "N"}, "w21003": {"Rtd": 0.7, "Flag": "D"}})))
    return d


def test_device_list_filters_and_shows_status(client, ops, device):
    services.create_device(None, mn="OUT1", password="pw123456", st="32", name="排口", site_kind="outfall", site_code="PK01")
    client.force_login(ops)
    page = client.get("/monitoring/devices/").content.decode()
    assert "一号断面水质站" in page and "排口" in page and "登记设备" in page
    assert "在线" in page and "离线" in page
    page = client.get("/monitoring/devices/", {"site_kind": "outfall"}).content.decode()
    assert "排口" in page and "一号断面水质站" not in page


def test_register_from_the_page_and_see_the_error_for_a_duplicate(client, ops, device):
    client.force_login(ops)
    r = client.post("/monitoring/devices/", {"mn": "NEW0001", "password": "pw123456", "st": "32", "name": "新排口",
                                             "factors": "w01018 mg/L, w00000 L/s", "site_kind": "", "site_code": ""})
    assert r.status_code == 302 and r["Location"] == "/monitoring/devices/NEW0001/"
    assert Device.objects.get(mn="NEW0001").factors == [{"code": "w01018", "unit": "mg/L"}, {"code": "w00000", "unit": "L/s"}]
    r = client.post("/monitoring/devices/", {"mn": "MN0001", "password": "pw123456", "st": "21", "name": "重复"}, follow=True)
    assert "设备编码 MN0001 已登记" in r.content.decode()


def test_device_detail_latest_values_frames_and_settings(client, ops, device):
    client.force_login(ops)
    page = client.get("/monitoring/devices/MN0001/").content.decode()
    assert "化学需氧量" in page and "18.5" in page
    assert "保留但不参与评价" in page  # the D-flagged ammonia value
    assert "##" in page and "MN=MN0001" in page  # the raw frame log
    r = client.post("/monitoring/devices/MN0001/", {"action": "update", "name": "改名站", "factors": "w01018", "active": "on",
                                                    "tolerate_lowercase_crc": "on"})
    assert r.status_code == 302
    device.refresh_from_db()
    assert device.name == "改名站" and device.tolerate_lowercase_crc and device.active and device.password == "pw123456"
    client.post("/monitoring/devices/MN0001/", {"action": "link", "site_kind": "outfall", "site_code": "PK09"})
    device.refresh_from_db()
    assert (device.site_kind, device.site_code) == ("outfall", "PK09")


def test_river_chief_sees_values_but_not_frames_or_settings(client, make_user, device):
    client.force_login(make_user(R.RIVER_CHIEF))
    page = client.get("/monitoring/devices/MN0001/").content.decode()
    assert "18.5" in page and "MN=MN0001" not in page and "新密码" not in page
    r = client.post("/monitoring/devices/MN0001/", {"action": "update", "name": "x"})
    device.refresh_from_db()
    assert device.name == "一号断面水质站"
    assert client.get("/monitoring/ingest-log/").status_code == 403
    assert client.get("/monitoring/lab-upload/").status_code == 403


def test_handler_cannot_open_devices(client, make_user, device):
    client.force_login(make_user(R.DEPT_HANDLER, unit="D01"))
    assert client.get("/monitoring/devices/").status_code == 403
    assert client.get("/monitoring/devices/MN0001/").status_code == 404


def test_lab_upload_page_lists_row_errors(client, ops, device):
    client.force_login(ops)
    text = "mn,factor,data_time,value\nMN0001,COD,2026-11-20 10:00,abc\nMN0001,w21003,2026-11-20 10:00,0.4\n"
    r = client.post("/monitoring/lab-upload/", {"file": SimpleUploadedFile("lab.csv", text.encode())})
    page = r.content.decode()
    assert "1 处错误，未入库" in page and "abc" in page
    assert not Reading.objects.filter(cn="LAB").exists()
    r = client.post("/monitoring/lab-upload/", {"file": SimpleUploadedFile("lab.csv", text.replace("abc", "16").encode())}, follow=True)
    assert "已入库 2 条" in r.content.decode()
    assert Reading.objects.filter(cn="LAB").count() == 2


def test_ingest_log_page(client, ops):
    services.record_rejections([{"channel": "hj212", "reason": "wrong_pw", "mn": "MNX", "detail": "设备 MNX 密码错误", "peer": "10.0.0.5:4000"}])
    client.force_login(ops)
    page = client.get("/monitoring/ingest-log/", {"reason": "wrong_pw"}).content.decode()
    assert "设备 MNX 密码错误" in page and "10.0.0.5:4000" in page


def test_linking_on_the_device_page_judges_the_devices_history_in_water(client, ops, device, real_sites, django_capture_on_commit_callbacks):
    from datetime import datetime

    from support import grid_center

    from chengyun.standards import hj212
    from chengyun.water import services as water
    from chengyun.water.models import Aggregate

    river = water.create_water_body(None, code="R01", name="北川河", kind="river")
    lng, lat = grid_center("630109001001001")
    water.create_section(None, code="WQ01", name="北川河桥断面", water_body=river, lng=lng, lat=lat, target_class=3)
    services.store_packet(device, hj212.parse(hj212.build(st="21", cn="2061", pw="pw123456", mn="MN0001", flag=4,
                                                          data_time=datetime(2026, 11, 25, 10), factors={"w01018": {"Avg": 12.0}})))
    client.force_login(ops)
    r = client.post("/monitoring/devices/MN0001/", {"action": "link", "site_kind": "section", "site_code": "NOPE99"}, follow=True)
    assert "NOPE99 不存在" in r.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/monitoring/devices/MN0001/", {"action": "link", "site_kind": "section", "site_code": "WQ01"})
    assert Aggregate.objects.filter(site_kind="section", site_code="WQ01", period="hour").exists()
