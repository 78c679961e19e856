from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chengyun.monitoring import services
from chengyun.monitoring.models import Device, Reading
from chengyun.people import roles as R
from chengyun.standards import hj212

DEVICE = {"mn": "88888880000001", "password": "pw123456", "st": "21", "name": "一号断面水质站",
          "factors": [{"code": "w01018", "unit": "mg/L"}, {"code": "w21003"}]}


@pytest.fixture
def ops(make_user):
    return make_user(R.OPS_DISPATCHER)


def test_register_device_then_409_on_same_mn(api_client, ops):
    r = api_client.as_user(ops).post("monitoring/devices", DEVICE)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["mn"] == DEVICE["mn"] and body["password"] == "pw123456"
    assert body["factors"] == [{"code": "w01018", "unit": "mg/L", "name": "化学需氧量"}, {"code": "w21003", "unit": "mg/L", "name": "氨氮"}]
    r = api_client.post("monitoring/devices", DEVICE)
    assert r.status_code == 409
    assert r.json()["code"] == "mn_exists" and "已登记" in r.json()["message"]


def test_register_needs_the_four_fields_and_valid_values(api_client, ops):
    api_client.as_user(ops)
    r = api_client.post("monitoring/devices", {"mn": "X1", "password": "pw"})
    assert r.status_code == 422 and r.json()["code"] == "invalid"
    r = api_client.post("monitoring/devices", {**DEVICE, "mn": "A;B"})
    assert r.status_code == 422 and r.json()["code"] == "bad_mn"
    assert not Device.objects.exists()


def test_river_chief_reads_but_cannot_register(api_client, make_user, ops):
    api_client.as_user(ops).post("monitoring/devices", DEVICE)
    chief = make_user(R.RIVER_CHIEF)
    api_client.as_user(chief)
    assert api_client.post("monitoring/devices", {**DEVICE, "mn": "OTHER"}).status_code == 403
    r = api_client.get("monitoring/devices")
    assert r.json()["count"] == 1 and r.json()["results"][0]["password"] is None
    assert api_client.get(f"monitoring/devices/{DEVICE['mn']}").json()["password"] is None
    assert api_client.get(f"monitoring/devices/{DEVICE['mn']}/frames").json()["count"] == 0
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    assert api_client.as_user(handler).get(f"monitoring/devices/{DEVICE['mn']}").status_code == 404


def test_list_filters_patch_and_link(api_client, ops):
    api_client.as_user(ops)
    api_client.post("monitoring/devices", DEVICE)
    api_client.post("monitoring/devices", {**DEVICE, "mn": "OUT0001", "name": "排口流量计", "st": "32"})
    r = api_client.put("monitoring/devices/OUT0001/link", {"site_kind": "outfall", "site_code": "PK001"})
    assert r.status_code == 200 and r.json()["site_code"] == "PK001"
    assert [d["mn"] for d in api_client.get("monitoring/devices", {"site_kind": "outfall"}).json()["results"]] == ["OUT0001"]
    assert api_client.get("monitoring/devices", {"q": "断面"}).json()["count"] == 1
    r = api_client.patch("monitoring/devices/OUT0001", {"tolerate_lowercase_crc": True, "active": False})
    assert r.json()["tolerate_lowercase_crc"] is True and r.json()["active"] is False
    assert api_client.get("monitoring/devices", {"active": "false"}).json()["count"] == 1


def test_readings_endpoint_returns_flags_and_filters(api_client, ops):
    device = services.create_device(None, mn="MN1", password="pw123456", st="21", name="站")
    for hour, flag in ((1, "N"), (2, "M"), (3, "N")):
        frame = hj212.build(st="21", cn="2061", pw="pw123456", mn="MN1", data_time=datetime(2026, 11, 25, hour),
                            factors={"w01018": {"Avg": 10 + hour, "Flag": flag}, "w21003": {"Avg": 0.5, "Flag": "N"}})
        services.store_packet(device, hj212.parse(frame))
    api_client.as_user(ops)
    r = api_client.get("monitoring/readings", {"mn": "MN1", "code": "w01018", "start": "2026-11-25T02:00:00+08:00",
                                               "end": "2026-11-25T04:00:00+08:00"})
    assert r.status_code == 200, r.content
    rows = r.json()["results"]
    assert [(x["value"], x["flag"], x["valid"]) for x in rows] == [(12.0, "M", False), (13.0, "N", True)]
    assert rows[0]["data_time"] == "2026-11-25T02:00:00+08:00"
    assert api_client.get("monitoring/readings", {"mn": "MN1"}).json()["count"] == 6
    assert api_client.get("monitoring/readings", {"start": "not a time"}).status_code == 422


def test_latest_values_endpoint(api_client, ops):
    device = services.create_device(None, mn="MN1", password="pw123456", st="21", name="站", factors=["w01018"],
                                    site_kind="section", site_code="S1")
    services.store_packet(device, hj212.parse(hj212.build(st="21", cn="2011", pw="pw123456", mn="MN1", data_time=datetime(2026, 11, 25, 9),
                                                          factors={"w01018": {"Rtd": 15.5}})))
    r = api_client.as_user(ops).get("monitoring/latest", {"site_kind": "section", "site_code": "S1"})
    assert r.json() == [{"factor": "w01018", "name": "化学需氧量", "unit": "mg/L", "reading": r.json()[0]["reading"]}]
    assert r.json()[0]["reading"]["value"] == 15.5


def test_lab_upload_csv_with_row_errors_then_success(api_client, client, ops):
    api_client.as_user(ops)

    def upload(text: bytes):
        return client.post("/api/v1/monitoring/lab-results", {"file": SimpleUploadedFile("lab.csv", text)})

    bad = "站点类型,站点编码,因子,时间,数值,标记\n断面,S01,COD,2026-11-20 10:00,18.2,N\nsection,S01,XYZ,2026-11-20 10:00,abc,N\n"
    r = upload(bad.encode("gb18030"))
    assert r.status_code == 422
    body = r.json()
    assert (body["code"], set(body)) == ("invalid_rows", {"code", "message", "detail"})
    assert "2 处错误" in body["message"] and "第 3 行" in body["message"]
    assert {(e["row"], e["field"]) for e in body["detail"]["rows"]} == {(3, "factor"), (3, "value")}
    assert all(e["message"] for e in body["detail"]["rows"])
    assert not Reading.objects.exists()
    good = bad.splitlines()[0] + "\n" + bad.splitlines()[1] + "\n"
    r = upload(good.encode("utf-8-sig"))
    assert r.status_code == 200 and r.json()["stored"] == 1 and r.json()["devices_created"] == ["LAB-S-S01"]
    assert Reading.objects.get().cn == "LAB"


def test_lab_upload_json_body(api_client, ops):
    services.create_device(None, mn="MN1", password="pw123456", st="21", name="站")
    rows = [{"mn": "MN1", "factor": "NH3N", "data_time": "2026-11-20T10:00:00+08:00", "value": 0.52}]
    r = api_client.as_user(ops).post("monitoring/lab-results", rows)
    assert r.status_code == 200, r.content
    assert Reading.objects.get().factor == "w21003"
    r = api_client.post("monitoring/lab-results", {"rows": [{"mn": "MN1"}]})
    assert r.status_code == 422 and r.json()["code"] == "invalid_rows"
    assert {e["field"] for e in r.json()["detail"]["rows"]} == {"factor", "data_time", "value"}


def test_ingest_log_endpoint(api_client, ops, make_user):
    services.record_rejections([{"channel": "hj212", "reason": "unknown_mn", "mn": "ZZZ", "detail": "设备 ZZZ 未登记"}])
    r = api_client.as_user(ops).get("monitoring/ingest-log", {"reason": "unknown_mn"})
    assert r.json()["count"] == 1 and r.json()["results"][0]["reason_display"] == "未登记的设备"
    assert api_client.as_user(make_user(R.STREET_CHIEF)).get("monitoring/ingest-log").json()["count"] == 0


def test_openapi_documents_the_monitoring_endpoints(api_client, ops):
    r = api_client.as_user(ops).get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in ("/api/v1/monitoring/devices", "/api/v1/monitoring/readings", "/api/v1/monitoring/lab-results",
                 "/api/v1/monitoring/devices/{mn}/frames"):
        assert path in paths
    assert "multipart/form-data" in paths["/api/v1/monitoring/lab-results"]["post"]["requestBody"]["content"]


def test_link_to_an_unknown_site_is_422_and_a_link_judges_the_history(api_client, ops, django_capture_on_commit_callbacks):
    from chengyun.monitoring import hooks

    services.create_device(None, mn="OUT0002", password="pw123456", st="32", name="排口")
    api_client.as_user(ops)
    r = api_client.put("monitoring/devices/OUT0002/link", {"site_kind": "outfall", "site_code": "NOPE99"})
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_site" and r.json()["detail"]["field"] == "site_code" and "NOPE99" in r.json()["message"]
    seen = []
    hooks.on_device_linked(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert api_client.put("monitoring/devices/OUT0002/link", {"site_kind": "outfall", "site_code": "PK01"}).status_code == 200
    finally:
        hooks.remove_device_linked(seen.append)
    assert [(d.mn, d.site_code) for d in seen] == [("OUT0002", "PK01")]


@pytest.mark.parametrize("change,field", [
    ({"st": "2"}, "st"), ({"st": "212"}, "st"), ({"st": "２１"}, "st"), ({"st": "²¹"}, "st"), ({"st": "2x"}, "st"),
    ({"name": "站" * 101}, "name"), ({"name": "  "}, "name"),
])
def test_patch_refuses_a_bad_st_or_name_with_the_field(api_client, ops, change, field):
    api_client.as_user(ops)
    api_client.post("monitoring/devices", DEVICE)
    r = api_client.patch(f"monitoring/devices/{DEVICE['mn']}", change)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == f"bad_{field}" and r.json()["detail"]["field"] == field
    assert api_client.get(f"monitoring/devices/{DEVICE['mn']}").json()[field] == DEVICE[field]


def test_readings_accept_gb3838_keys_for_their_hj212_codes(api_client, ops):
    device = services.create_device(None, mn="MN1", password="pw123456", st="21", name="站")
    frame = hj212.build(st="21", cn="2061", pw="pw123456", mn="MN1", data_time=datetime(2026, 11, 25, 1),
                        factors={"w01018": {"Avg": 11}, "w21003": {"Avg": 0.5}, "w20111": {"Avg": 0.1}, "w20142": {"Avg": 0.2}})
    services.store_packet(device, hj212.parse(frame))
    api_client.as_user(ops)
    assert [x["factor"] for x in api_client.get("monitoring/readings", {"code": "COD"}).json()["results"]] == ["w01018"]
    assert [x["factor"] for x in api_client.get("monitoring/readings", {"code": "NH3N"}).json()["results"]] == ["w21003"]
    assert sorted(x["factor"] for x in api_client.get("monitoring/readings", {"code": "Hg"}).json()["results"]) == ["w20111", "w20142"]
    assert api_client.get("monitoring/readings", {"code": "w01018"}).json()["count"] == 1
