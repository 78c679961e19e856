import pytest
from cases_helpers import G1, G_OTHER, jpeg_bytes
from support import grid_center

from chengyun.cases import workflow as W
from chengyun.cases.models import Case
from chengyun.geo.models import Unit

pytestmark = pytest.mark.django_db


def report_body(grid=G1, **kw):
    lng, lat = grid_center(grid)
    body = {"source": "community_grid_worker", "category_code": "0113", "lng": lng, "lat": lat, "description": "人行道破损"}
    body.update(kw)
    return body


def test_report_and_detail(api_client, crew):
    r = api_client.as_user(crew["grid"]).post("cases/", report_body())
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "reported" and body["grid"]["code"] == G1
    assert body["reported_at"].endswith("+08:00")
    assert body["events"][0]["action"] == "report"
    r = api_client.get(f"cases/{body['id']}")
    assert r.status_code == 200 and r.json()["number"] == body["number"]


def test_report_errors_are_chinese_and_machine_readable(api_client, crew):
    r = api_client.as_user(crew["grid"]).post("cases/", report_body(category_code="9999"))
    assert r.status_code == 422 and r.json()["code"] == "unknown_category" and "类别" in r.json()["message"]
    r = api_client.post("cases/", report_body(lng=10.0, lat=10.0))
    assert r.status_code == 422 and r.json()["code"] == "outside_district"
    r = api_client.post("cases/", report_body(source="street_chief"))
    assert r.status_code == 403 and r.json()["code"] == "source_not_allowed"


def test_each_transition_through_the_api(api_client, crew):
    case_id = api_client.as_user(crew["grid"]).post("cases/", report_body()).json()["id"]
    r = api_client.as_user(crew["dispatcher"]).post(f"cases/{case_id}/dispatch", {"unit_code": "D01"})
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition" and "上报" in r.json()["message"]
    acc = api_client.as_user(crew["acceptor"])
    assert acc.post(f"cases/{case_id}/accept", {}).status_code == 200
    detail = acc.get(f"cases/{case_id}").json()
    assert [a["action"] for a in detail["allowed_actions"]][:2] == ["send_verify", "file"]
    cond = Case.objects.get(pk=case_id).category.conditions.first().pk
    r = acc.post(f"cases/{case_id}/file", {"condition_id": cond})
    assert r.json()["status"] == W.FILED
    r = api_client.as_user(crew["dispatcher"]).post(f"cases/{case_id}/dispatch", {"unit_code": "D01"})
    assert r.status_code == 200 and r.json()["unit"]["code"] == "D01" and r.json()["overall_deadline"]
    h = api_client.as_user(crew["handler"])
    assert h.post(f"cases/{case_id}/sign", {}).json()["status"] == W.HANDLING
    r = h.post(f"cases/{case_id}/feedback", {"note": "已修"})
    assert r.status_code == 422 and r.json()["code"] == "feedback_photo_required"
    from django.test import Client

    c = Client()
    c.force_login(crew["handler"])
    up = c.post(f"/api/v1/cases/{case_id}/attachments", {"files": [_file(jpeg_bytes(gps=(101.705, 36.505)))], "stage": "feedback"})
    assert up.status_code == 201, up.content
    att = up.json()[0]
    assert att["content_type"] == "image/jpeg" and att["gps_lng"] == pytest.approx(101.705, abs=1e-4)
    assert c.get(att["url"]).status_code == 200
    r = h.post(f"cases/{case_id}/feedback", {"note": "已修"})
    assert r.json()["status"] == W.CHECKING
    r = api_client.as_user(crew["grid"]).post(f"cases/{case_id}/check_pass", {"note": "确认"})
    assert r.json()["status"] == W.CHECKED
    r = api_client.as_user(crew["acceptor"]).post(f"cases/{case_id}/close", {})
    assert r.json()["status"] == W.CLOSED


def _file(data, name="p.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_disguised_and_oversized_uploads_refused(client, crew, file_case, settings):
    case = file_case()
    client.force_login(crew["grid"])
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"files": [_file(b"GIF89a fake", "x.jpg")]})
    assert r.status_code == 422 and r.json()["code"] == "not_an_image"
    from PIL import Image
    import io

    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "GIF")
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"files": [_file(buf.getvalue(), "x.gif")]})
    assert r.status_code == 422 and r.json()["code"] == "unsupported_image"
    settings.UPLOAD_MAX_BYTES = 100
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"files": [_file(jpeg_bytes())]})
    assert r.status_code == 422 and r.json()["code"] == "file_too_large"
    assert case.attachments.count() == 0


def test_webp_and_png_accepted_and_stored_under_media_root(client, crew, file_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = file_case()
    client.force_login(crew["grid"])
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"files": [_file(jpeg_bytes(fmt="WEBP"), "a.webp"), _file(jpeg_bytes(fmt="PNG"), "b.png")]})
    assert r.status_code == 201
    assert sorted(a["content_type"] for a in r.json()) == ["image/png", "image/webp"]
    stored = list(tmp_path.rglob("*.*"))
    assert len(stored) == 2 and all(str(p).startswith(str(tmp_path / "cases")) for p in stored)


def test_list_filters_and_scope(api_client, crew, file_case, photo):
    from cases_helpers import run_to

    a = file_case()
    b = file_case(grid=G_OTHER, by=crew["admin"], source="public", code="0112")
    run_to(a, W.DISPATCHED, crew, photo)
    api = api_client.as_user(crew["acceptor"])
    assert api.get("cases/").json()["count"] == 2
    assert [r["number"] for r in api.get("cases/", {"street": G_OTHER[:9]}).json()["results"]] == [b.number]
    assert [r["number"] for r in api.get("cases/", {"unit": "D01"}).json()["results"]] == [a.number]
    assert [r["number"] for r in api.get("cases/", {"status": "dispatched"}).json()["results"]] == [a.number]
    assert api.get("cases/", {"status": "open"}).json()["count"] == 2
    assert api.get("cases/", {"source": "public"}).json()["count"] == 1
    assert api.get("cases/", {"category": "0113"}).json()["count"] == 1
    assert api.get("cases/", {"kind": "component"}).json()["count"] == 0
    assert api.get("cases/", {"clock": "normal"}).json()["count"] == 2
    assert api.get("cases/", {"grid": G1}).json()["count"] == 1
    r = api.get("cases/", {"limit": 1})
    assert r.json()["limit"] == 1 and len(r.json()["results"]) == 1
    # Area-bound and unit-bound people see only theirs.
    assert [r["number"] for r in api_client.as_user(crew["grid_other"]).get("cases/").json()["results"]] == [b.number]
    assert api_client.as_user(crew["handler"]).get("cases/").json()["count"] == 1
    assert api_client.as_user(crew["handler2"]).get("cases/").json()["count"] == 0
    assert api_client.as_user(crew["handler2"]).get(f"cases/{a.pk}").status_code == 404
    geo = api_client.as_user(crew["acceptor"]).get("cases/map", {"street": G1[:9]}).json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 1


def test_catalogue_endpoints(api_client, crew):
    from pathlib import Path

    cats = api_client.as_user(crew["acceptor"]).get("cases/categories", {"kind": "component"}).json()
    assert all(c["kind"] == "component" and c["service_code"].startswith("B") for c in cats)
    r = api_client.get("cases/categories/export", {"format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    from django.test import Client

    c = Client()
    c.force_login(crew["acceptor"])
    sample = Path(__file__).parent / "data" / "case-standards-sample.csv"
    r = c.post("/api/v1/cases/categories/import", {"file": open(sample, "rb")})
    assert r.status_code == 403
    c.force_login(crew["admin"])
    bad = b"\xe7\xb1\xbb\xe5\x9e\x8b\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = c.post("/api/v1/cases/categories/import", {"file": SimpleUploadedFile("x.csv", bad)})
    assert r.status_code == 422 and "缺少列" in r.json()["message"]
    r = c.post("/api/v1/cases/categories/import", {"file": open(sample, "rb"), "dry_run": "true"})
    assert r.status_code == 200 and r.json()["dry_run"] and r.json()["classes"] == 190


def test_svg_and_bomb_uploads_refused(client, crew, file_case):
    """The shared validator (chengyun.core.uploads) behind the attachment API: SVG (it can carry
    script) and a header declaring 10 gigapixels are refused before anything is decoded or stored."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    case = file_case()
    client.force_login(crew["grid"])
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"files": [_file(svg, "p.jpg")]})
    assert r.status_code == 422 and r.json()["code"] == "svg_refused"
    r = client.post(f"/api/v1/cases/{case.pk}/attachments", {"files": [_file(bomb, "p.png")]})
    assert r.status_code == 422 and r.json()["code"] == "image_too_large"
    assert not case.attachments.exists()


def test_an_unknown_condition_unit_or_merge_target_is_a_422_naming_the_field(api_client, crew):
    from chengyun.cases.models import FilingCondition

    case_id = api_client.as_user(crew["grid"]).post("cases/", report_body()).json()["id"]
    case = Case.objects.get(pk=case_id)
    acc = api_client.as_user(crew["acceptor"])
    assert acc.post(f"cases/{case_id}/accept", {}).status_code == 200
    foreign = FilingCondition.objects.exclude(category=case.category).first()
    r = acc.post(f"cases/{case_id}/file", {"condition_id": foreign.pk})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("bad_condition", {"field": "condition_id"}), r.content
    assert acc.post(f"cases/{case_id}/file", {"condition_id": case.category.conditions.first().pk}).status_code == 200
    dispatcher = api_client.as_user(crew["dispatcher"])
    r = dispatcher.post(f"cases/{case_id}/dispatch", {"unit_code": "NOPE"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("bad_unit", {"field": "unit_code"})
    assert r.json()["message"] == "责任单位 NOPE 不存在"
    Unit.objects.filter(code="D02").update(active=False)
    r = dispatcher.post(f"cases/{case_id}/dispatch", {"unit_code": "D02"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("bad_unit", {"field": "unit_id"})
    for target in (case.number, "20990101000001"):
        r = dispatcher.post(f"cases/{case_id}/merge", {"target": target})
        assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("bad_target", {"field": "target"})
    case.refresh_from_db()
    assert case.status == W.FILED and case.unit_id is None
