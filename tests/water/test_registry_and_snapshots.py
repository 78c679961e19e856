import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from support import grid_center

from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.geo.services import OutsideDistrict
from chengyun.water import services
from chengyun.water.models import Snapshot

G1 = "630109001001001"

def _jpeg() -> bytes:
    # A real, decodable photo: uploads are checked by decoding, not by their first bytes.
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 160)).save(out, "JPEG")
    return out.getvalue()


JPEG = _jpeg()


def test_site_registry_locates_and_audits(water):
    from chengyun.core.models import AuditEntry

    s = water.section
    assert s.grid.code == G1 and s.street.code == "630109001"
    assert AuditEntry.objects.filter(object_type="water.section", object_id=str(s.pk), action="create").exists()
    with pytest.raises(Conflict):
        services.create_section(None, code="WQ01", name="重复", water_body=water.river, lng=s.lng, lat=s.lat, target_class=3)
    with pytest.raises(Invalid, match="目标水质类别"):
        services.create_section(None, code="WQ09", name="x", water_body=water.river, lng=s.lng, lat=s.lat, target_class=6)
    with pytest.raises(OutsideDistrict, match="不在本区"):
        services.create_section(None, code="WQ09", name="x", water_body=water.river, lng=100.0, lat=30.0, target_class=3)
    with pytest.raises(Invalid, match="排污口类型"):
        services.create_outfall(None, code="PK09", name="x", kind="pipe", water_body=water.river, lng=s.lng, lat=s.lat, unit=water.outfall.unit)


def test_bank_side_outfall_just_outside_the_outline_joins_the_nearest_grid(water):
    from shapely.geometry import Point

    from chengyun.geo.models import Grid

    # The test district's southern edge is at 36.50°; this outfall is ~110 m south of it, on the bank.
    o = services.create_outfall(None, code="PK09", name="岸边排口", kind="rain", water_body=water.river, lng=101.705, lat=36.499,
                                unit=water.outfall.unit)
    assert o.grid.code == "630109001001001" and o.lat == 36.499
    lng, lat = services.case_point(o)
    assert Grid.objects.get(code="630109001001001").shape.contains(Point(lng, lat)) and abs(lat - 36.50) < 0.001
    with pytest.raises(OutsideDistrict):
        services.create_outfall(None, code="PK10", name="远处", kind="rain", water_body=water.river, lng=101.705, lat=36.49, unit=water.outfall.unit)


def test_update_site_relocates(water, make_user):
    lng, lat = grid_center("630109002002004")
    services.update_site(make_user("ops_dispatcher"), water.section, lng=lng, lat=lat, target_class=2)
    water.section.refresh_from_db()
    assert water.section.grid.code == "630109002002004" and water.section.target_class == 2
    # The section's own chief sees it but the registry is the ops center's.
    with pytest.raises(Forbidden):
        services.update_site(water.chief_user, water.section, name="改名")


def test_registry_api_and_scope(water, api_client, make_user, units):
    ops = api_client.as_user(make_user("ops_acceptor"))
    lng, lat = grid_center("630109002001002")
    r = ops.post("water/outfalls", {"code": "PK02", "name": "污水厂排口", "kind": "wwtp", "water_body": "R01", "lng": lng, "lat": lat, "unit": "D01"})
    assert r.status_code == 201 and r.json()["kind_label"] == "城镇污水处理厂"
    assert ops.post("water/outfalls", {"code": "PK02", "name": "x", "kind": "wwtp", "water_body": "R01", "lng": lng, "lat": lat, "unit": "D01"}).status_code == 409
    assert ops.get("water/outfalls").json()["count"] == 2
    assert ops.get("water/outfalls", {"kind": "rain"}).json()["count"] == 1
    # The responsible unit's handler sees its own outfall only.
    handler = api_client.as_user(make_user("dept_handler", unit="D01"))
    assert [o["code"] for o in handler.get("water/outfalls").json()["results"]] == ["PK02"]
    # A river chief sees sections in their street and those they answer for.
    chief = api_client.as_user(water.chief_user)
    assert {s["code"] for s in chief.get("water/sections").json()["results"]} == {"WQ01", "WQ02"}
    assert chief.post("water/sections", {"code": "WQ05", "name": "x", "water_body": "R01", "lng": lng, "lat": lat, "target_class": 3}).status_code == 403


def test_map_layers(water, feed, api_client, make_user):
    CN = dt.timezone(dt.timedelta(hours=8))
    feed(water.device, dt.datetime(2026, 11, 20, 8, tzinfo=CN), {"w01018": 35.0})
    client = api_client.as_user(make_user("ops_acceptor"))
    sections = {f["properties"]["code"]: f["properties"] for f in client.get("water/map/sections").json()["features"]}
    assert sections["WQ01"]["label"] == "Ⅴ" and sections["WQ01"]["alert"] is True and sections["WQ02"]["water_class"] is None
    outfalls = client.get("water/map/outfalls").json()["features"]
    assert outfalls[0]["properties"]["status"] == "offline"
    series = client.get("water/sites/section/WQ01/series", {"period": "hour", "days": 400}).json()
    cod = next(f for f in series["factors"] if f["key"] == "COD")
    assert cod["limits"] == [15.0, 15.0, 20.0, 30.0, 40.0] and cod["points"][0][1] == 35.0


@pytest.fixture
def camera(water, units):
    from django.contrib.auth import get_user_model

    from chengyun.people.services import create_token

    account = get_user_model().objects.create_user(username="cam-pk01", password="x-unused-123")
    cam = services.create_camera(None, code="CAM01", name="二号排口摄像机", outfall=water.outfall, account=account)
    _, key = create_token(None, "cam-pk01", "camera")
    return cam, key


def test_snapshot_upload_with_device_token(camera, client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    cam, key = camera
    upload = io.BytesIO(JPEG)
    upload.name = "snap.jpg"
    r = client.post("/api/v1/water/cameras/CAM01/snapshots", {"image": upload, "taken_at": "2026-11-20T08:15:00+08:00", "note": "夜间出流"},
                    HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 201, r.content
    snap = Snapshot.objects.get()
    assert r.json()["url"] == f"/water/snapshots/{snap.pk}/image"
    assert snap.outfall == cam.outfall and snap.image.name.endswith(".jpg") and snap.taken_at == dt.datetime(2026, 11, 20, 0, 15, tzinfo=dt.timezone.utc)


def test_snapshot_images_follow_the_outfall_scope(camera, water, client, settings, tmp_path, make_user):
    settings.MEDIA_ROOT = str(tmp_path)
    cam, _ = camera
    snap = services.upload_snapshot(None, "CAM01", image=ContentFile(JPEG, name="x.jpg"))
    url = f"/water/snapshots/{snap.pk}/image"
    client.force_login(make_user("dept_handler", unit="D02"))  # the outfall's responsible unit
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == JPEG
    client.force_login(make_user("dept_handler", unit="D01"))
    assert client.get(url).status_code == 404


def test_snapshot_refuses_other_tokens_and_non_images(camera, water, client, settings, tmp_path, make_user):
    from chengyun.people.services import create_token

    settings.MEDIA_ROOT = str(tmp_path)
    # The street-1 chief does not see this street-2 outfall's camera: it looks missing (404).
    _, chief_key = create_token(None, water.chief_user.username)
    upload = io.BytesIO(JPEG)
    upload.name = "snap.jpg"
    r = client.post("/api/v1/water/cameras/CAM01/snapshots", {"image": upload}, HTTP_AUTHORIZATION=f"Bearer {chief_key}")
    assert r.status_code == 404
    # A street-2 worker sees it but is not its camera: refused as the wrong device.
    _, other_key = create_token(None, make_user("street_chief", unit="S02", streets=["630109002"]).username)
    upload.seek(0)
    r = client.post("/api/v1/water/cameras/CAM01/snapshots", {"image": upload}, HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert r.status_code == 403 and r.json()["code"] == "wrong_device"
    text = io.BytesIO(b"hello, not an image")
    text.name = "x.jpg"
    r = client.post("/api/v1/water/cameras/CAM01/snapshots", {"image": text}, HTTP_AUTHORIZATION=f"Bearer {camera[1]}")
    assert r.status_code == 422 and "JPEG" in r.json()["message"]
    r = client.post("/api/v1/water/cameras/CAM01/snapshots", {"image": io.BytesIO(JPEG)})
    assert r.status_code == 401
    assert not Snapshot.objects.exists()
