"""Road segments from the pages: drawn on the map (length in metres on the ellipsoid, computed by
the server) and imported from a GeoJSON or zipped Shapefile, both through the roads services."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pyproj import Geod

from chengyun.core.i18n_check import english_words
from chengyun.core.models import AuditEntry
from chengyun.roads.models import RoadSegment

pytestmark = pytest.mark.django_db
Y = 36.505
LINE = {"type": "LineString", "coordinates": [[101.702, Y], [101.707, Y], [101.712, Y + 0.001]]}


def _client(user, lang="zh-hans"):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


@pytest.fixture
def handler(district, units, make_user):
    return _client(make_user("dept_handler", unit="D01"))


def test_draw_a_segment(handler):
    page = handler.get("/roads/segments/new/")
    assert page.status_code == 200 and english_words(page.content.decode()) == set()
    r = handler.post("/roads/segments/new/", {"code": "RDX1", "name": "新华路", "road_class": "secondary", "traffic": "heavy", "width_m": "24",
                                              "geometry": json.dumps(LINE)})
    assert r.status_code == 302 and r["Location"] == "/roads/segments/RDX1/"
    seg = RoadSegment.objects.get(code="RDX1")
    expected = Geod(ellps="WGS84").line_length([c[0] for c in LINE["coordinates"]], [c[1] for c in LINE["coordinates"]])
    assert abs(seg.length_m - expected) < 0.1 and 900 < seg.length_m < 920  # metres, not degrees
    assert (seg.road_class, seg.traffic, seg.width_m, seg.owner.code) == ("secondary", "heavy", 24.0, "D01")
    assert seg.street is not None
    assert AuditEntry.objects.filter(object_type="roads.roadsegment", object_id=str(seg.pk), action="create").exists()


def test_draw_refusals_name_the_field(handler):
    def refused(data, field, label):
        r = handler.post("/roads/segments/new/", {"code": "RDX2", "name": "新华路", "road_class": "branch", "geometry": json.dumps(LINE), **data})
        assert r.status_code == 422
        body = r.content.decode()
        assert f'data-field="{field}"' in body and f"“{label}”有误" in body and 'aria-invalid="true"' in body
        return body

    refused({"road_class": ""}, "road_class", "道路等级")
    refused({"geometry": ""}, "geometry", "地图上的线形")
    refused({"geometry": json.dumps({"type": "LineString", "coordinates": [[101.702, Y], [101.702, Y]]})}, "geometry", "地图上的线形")
    body = refused({"width_m": "500"}, "width_m", "路幅宽度（米）")
    assert 'value="新华路"' in body  # what was typed is kept
    handler.post("/roads/segments/new/", {"code": "RDX2", "name": "新华路", "road_class": "branch", "geometry": json.dumps(LINE)})
    assert "已存在" in refused({}, "code", "编号")
    assert RoadSegment.objects.count() == 1


def test_segments_not_drawn_or_imported_by_a_street_chief(district, units, make_user):
    chief = _client(make_user("street_chief", unit="S01", streets=["630109001"]))
    assert chief.get("/roads/segments/new/").status_code == 403
    assert chief.post("/roads/segments/new/", {"code": "R", "name": "x", "road_class": "branch", "geometry": json.dumps(LINE)}).status_code == 403
    assert chief.get("/roads/segments/import/").status_code == 403
    assert "/roads/segments/new/" not in chief.get("/roads/").content.decode()
    assert not RoadSegment.objects.exists()


def _geojson(features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}, ensure_ascii=False).encode()


def test_import_check_then_import(handler):
    data = _geojson([({"code": "RI1", "name": "湟中路", "class": "主干路", "width_m": 40}, LINE),
                     ({"code": "RI2", "name": "互助路", "class": "支路"}, {"type": "LineString", "coordinates": [[101.72, Y], [101.73, Y]]})])
    page = handler.get("/roads/segments/import/")
    assert page.status_code == 200 and english_words(page.content.decode()) == set()
    r = handler.post("/roads/segments/import/", {"mode": "check", "file": SimpleUploadedFile("roads.geojson", data)})
    assert r.status_code == 200 and "校验通过" in r.content.decode() and not RoadSegment.objects.exists()
    token = r.content.decode().split('name="staged" value="', 1)[1].split('"', 1)[0]
    r = handler.post("/roads/segments/import/", {"mode": "import", "staged": token})
    assert r.status_code == 200 and "已导入" in r.content.decode()
    assert set(RoadSegment.objects.values_list("code", flat=True)) == {"RI1", "RI2"}
    assert RoadSegment.objects.get(code="RI1").road_class == "arterial"


def test_import_errors_by_feature_and_field(handler):
    data = _geojson([({"code": "RI1", "name": "湟中路", "class": "大路"}, LINE), ({"code": "RI1", "name": "", "class": "支路"}, LINE)])
    r = handler.post("/roads/segments/import/", {"mode": "import", "file": SimpleUploadedFile("roads.geojson", data)})
    assert r.status_code == 422
    body = r.content.decode()
    assert "<code>class</code>" in body and "未知的道路等级「大路」" in body and "<code>name</code>" in body
    assert not RoadSegment.objects.exists()


def test_import_zipped_shapefile(handler, tmp_path):
    import shapefile

    base = tmp_path / "roads"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYLINE, encoding="utf-8") as w:
        w.field("code", "C", 20)
        w.field("name", "C", 40)
        w.field("class", "C", 20)
        w.line([[list(c) for c in LINE["coordinates"]]])
        w.record("RS1", "柴达木路", "次干路")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for ext in ("shp", "shx", "dbf"):
            z.write(f"{base}.{ext}", f"roads.{ext}")
    r = handler.post("/roads/segments/import/", {"mode": "import", "encoding": "utf-8", "file": SimpleUploadedFile("roads.zip", buf.getvalue())})
    assert r.status_code == 200, r.content.decode()[-1500:]
    seg = RoadSegment.objects.get(code="RS1")
    assert seg.name == "柴达木路" and seg.road_class == "secondary" and 900 < seg.length_m < 920
