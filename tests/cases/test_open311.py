"""Open311 GeoReport v2: each endpoint in JSON and XML, against the specification's field names."""
import json
from xml.etree import ElementTree as ET

import pytest
from cases_helpers import G1, jpeg_bytes, run_to
from support import grid_center

from chengyun.cases.models import Case

pytestmark = pytest.mark.django_db

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description", "agency_responsible",
                  "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url"}


@pytest.fixture
def api_key(crew):
    from chengyun.people.services import create_token

    _, key = create_token(None, crew["grid_other"].username, "open311")
    return key


def xml(resp):
    assert resp["Content-Type"].startswith("text/xml")
    return ET.fromstring(resp.content)


def test_discovery(client):
    r = client.get("/open311/v2/discovery.json")
    body = r.json()
    assert r.status_code == 200 and {"changeset", "contact", "key_service", "endpoints"} <= set(body)
    ep = body["endpoints"][0]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2" and "text/xml" in ep["formats"] and ep["url"].endswith("/open311/v2/")
    root = xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery" and root.find("endpoints/endpoint/specification").text.startswith("http://wiki.open311.org")
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


def test_services_json_and_xml(client):
    services = client.get("/open311/v2/services.json").json()
    assert all(set(s) == SERVICE_FIELDS for s in services)
    by_code = {s["service_code"]: s for s in services}
    # 事件 keep the bare 4-digit code; 部件 with the same code carry a B prefix.
    assert by_code["0113"]["service_name"] == "道路破损" and isinstance(by_code["0113"]["service_code"], str)
    assert by_code["0101"]["service_name"] == "私搭乱建" and by_code["B0101"]["service_name"] == "上水井盖"
    assert len(by_code) == len(services)
    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    first = root.find("service")
    assert {c.tag for c in first} == SERVICE_FIELDS
    assert root.find("service/metadata").text in ("true", "false")


def test_service_definition(client):
    d = client.get("/open311/v2/services/0113.json").json()
    assert d["service_code"] == "0113"
    attr = d["attributes"][0]
    assert {"variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"} <= set(attr)
    assert attr["datatype"] == "singlevaluelist" and all({"key", "name"} == set(v) for v in attr["values"])
    root = xml(client.get("/open311/v2/services/B0101.xml"))
    assert root.tag == "service_definition" and root.find("service_code").text == "B0101"
    assert root.find("attributes/attribute/values/value/key") is not None
    r = client.get("/open311/v2/services/9999.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404 and r.json()[0]["description"]
    root = xml(client.get("/open311/v2/services/9999.xml"))
    assert root.tag == "errors" and root.find("error/code").text == "404"


def test_post_request_json_and_xml(client, api_key, crew):
    lng, lat = grid_center(G1)
    form = {"api_key": api_key, "service_code": "0113", "lat": str(lat), "long": str(lng), "description": "路面塌陷一个坑",
            "address_string": "测试路 1 号", "first_name": "三", "last_name": "张", "phone": "13900000000", "email": "a@example.com"}
    r = client.post("/open311/v2/requests.json", form)
    assert r.status_code == 201, r.content
    out = r.json()[0]
    assert set(out) == {"service_request_id", "service_notice", "account_id"} and isinstance(out["service_request_id"], str)
    case = Case.objects.get(number=out["service_request_id"])
    assert case.source == "public" and case.status == "reported" and case.needs_verification
    assert case.reporter_name == "张 三" and case.address == "测试路 1 号" and case.extra["email"] == "a@example.com"
    # api_key in the query string, a photo as media, XML answer.
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(f"/open311/v2/requests.xml?api_key={api_key}", {**{k: v for k, v in form.items() if k != "api_key"}, "service_code": "B0101",
                                                                   "media": SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")})
    assert r.status_code == 201
    root = xml(r)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text
    case = Case.objects.get(number=root.find("request/service_request_id").text)
    assert case.category.kind == "component" and case.attachments.count() == 1


def test_post_request_errors(client, api_key):
    lng, lat = grid_center(G1)
    form = {"service_code": "0113", "lat": str(lat), "long": str(lng), "description": "x"}
    r = client.post("/open311/v2/requests.json", form)
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    r = client.post("/open311/v2/requests.json", {**form, "api_key": "wrong"})
    assert r.status_code == 403
    r = client.post("/open311/v2/requests.json", {**form, "api_key": api_key, "service_code": "9999"})
    assert r.status_code == 404
    r = client.post("/open311/v2/requests.json", {**form, "api_key": api_key, "lat": ""})
    assert r.status_code == 400 and "lat" in r.json()[0]["description"]
    r = client.post("/open311/v2/requests.xml", {**form, "api_key": api_key, "lat": "10", "long": "10"})
    assert r.status_code == 400 and xml(r).find("error/description").text
    assert Case.objects.count() == 0


def test_get_requests_filters_and_detail(client, crew, file_case, photo):
    a = file_case()
    b = file_case(code="0112", offset=(0.002, 0.002))
    c = file_case(code="0110", offset=(0.003, 0.001))
    run_to(b, "closed", crew, photo)
    rows = client.get("/open311/v2/requests.json").json()
    assert {r["service_request_id"] for r in rows} == {a.number, b.number, c.number}
    assert all(set(r) == REQUEST_FIELDS for r in rows)
    closed = client.get("/open311/v2/requests.json", {"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [b.number]
    rb = closed[0]
    assert rb["status"] == "closed" and rb["agency_responsible"] == "区城市管理局" and rb["expected_datetime"].endswith("+08:00")
    assert rb["status_notes"].startswith("结案")
    assert {r["service_request_id"] for r in client.get("/open311/v2/requests.json", {"status": "open"}).json()} == {a.number, c.number}
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json", {"service_code": "0112"}).json()] == [b.number]
    ids = client.get("/open311/v2/requests.json", {"service_request_id": f"{a.number},{c.number}"}).json()
    assert {r["service_request_id"] for r in ids} == {a.number, c.number}
    assert client.get("/open311/v2/requests.json", {"start_date": "2000-01-01T00:00:00+08:00", "end_date": "2000-12-31T00:00:00+08:00"}).json() == []
    page1 = client.get("/open311/v2/requests.json", {"page": "1", "page_size": "2"}).json()
    page2 = client.get("/open311/v2/requests.json", {"page": "2", "page_size": "2"}).json()
    assert len(page1) == 2 and len(page2) == 1 and not {r["service_request_id"] for r in page1} & {r["service_request_id"] for r in page2}
    r = client.get("/open311/v2/requests.json", {"start_date": "yesterday"})
    assert r.status_code == 400
    assert client.get("/open311/v2/requests.json", {"status": "pending"}).status_code == 400
    root = xml(client.get("/open311/v2/requests.xml", {"status": "closed"}))
    assert root.tag == "service_requests" and {c.tag for c in root.find("request")} == REQUEST_FIELDS
    assert root.find("request/long").text and root.find("request/lat").text
    one = client.get(f"/open311/v2/requests/{a.number}.json").json()
    assert len(one) == 1 and one[0]["service_request_id"] == a.number and one[0]["status"] == "open"
    root = xml(client.get(f"/open311/v2/requests/{a.number}.xml"))
    assert root.find("request/service_request_id").text == a.number
    r = client.get("/open311/v2/requests/199001010001.json")
    assert r.status_code == 404 and json.loads(r.content)[0]["code"] == 404
