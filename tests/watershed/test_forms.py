"""Every write of /api/v1/watersheds/ is also a form on a page, for the role that makes it: indicator
values, treatment measures, boundary import and derivation, sediment and runoff entry and computation,
boundary-section readings, supervision checks. A refusal re-renders the page (4xx) naming the field,
with nothing stored; a role that may not write sees no form and is refused."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client, make_user):
    client.force_login(make_user(R.OPS_DISPATCHER))
    return client


def _page(w):
    return f"/watershed/{w.code}/"


def test_indicator_values_saved_and_out_of_range_names_the_indicator(ops, watershed, sheet):
    from chengyun.watershed.models import IndicatorValue

    r = ops.post(_page(watershed), {"action": "values", "year": "2025", "v_erosion_control": "85", "v_forest_cover": "50"})
    assert r.status_code == 302
    assert IndicatorValue.objects.get(indicator__code="erosion_control", year=2025).value == 85
    r = ops.post(_page(watershed) + "?year=2025", {"action": "values", "year": "2025", "v_erosion_control": "130", "v_forest_cover": "20"})
    assert r.status_code == 422
    html = r.content.decode()
    assert "水土流失治理度" in html and "超出范围" in html and 'name="v_erosion_control" value="130"' in html
    assert 'aria-invalid="true"' in html
    # Nothing of the refused sheet was stored, not even its valid value.
    assert IndicatorValue.objects.get(indicator__code="erosion_control", year=2025).value == 85
    assert IndicatorValue.objects.get(indicator__code="forest_cover", year=2025).value == 50


def test_a_measure_is_registered_and_a_bad_quantity_names_the_field(ops, watershed):
    r = ops.get(_page(watershed))
    assert 'id="ws-measure-form"' in r.content.decode()
    r = ops.post(_page(watershed), {"action": "measure", "kind": "terrace", "name": "北坡梯田", "quantity": "12.5", "unit": "公顷",
                                    "completed_on": "2025-10-01"})
    assert r.status_code == 302
    m = watershed.measures.get()
    assert (m.kind, m.name, m.quantity, m.unit, str(m.completed_on)) == ("terrace", "北坡梯田", 12.5, "公顷", "2025-10-01")
    r = ops.post(_page(watershed), {"action": "measure", "kind": "terrace", "name": "南坡梯田", "quantity": "-3", "unit": "公顷"})
    assert r.status_code == 422
    html = r.content.decode()
    assert "<strong>数量</strong>" in html and 'value="南坡梯田"' in html
    r = ops.post(_page(watershed), {"action": "measure", "kind": "check_dam", "name": "谷坊", "quantity": "2", "completed_on": "2025-13-40"})
    assert r.status_code == 422 and "<strong>完成日期</strong>" in r.content.decode()
    r = ops.post(_page(watershed), {"action": "measure", "kind": "vegetation", "name": "林带", "quantity": "2", "geometry": "{not json"})
    assert r.status_code == 422 and "位置（GeoJSON）" in r.content.decode()
    assert watershed.measures.count() == 1


def test_a_boundary_is_imported_from_geojson_and_from_a_zipped_shapefile(ops, watershed):
    import shapefile

    from chengyun.watershed.models import Watershed

    square = {"type": "Polygon", "coordinates": [[[101.60, 36.40], [101.66, 36.40], [101.66, 36.46], [101.60, 36.46], [101.60, 36.40]]]}
    upload = io.BytesIO(json.dumps({"type": "Feature", "geometry": square, "properties": {}}).encode())
    upload.name = "boundary.geojson"
    r = ops.post(_page(watershed), {"action": "boundary", "file": upload})
    assert r.status_code == 302
    w = Watershed.objects.get(pk=watershed.pk)
    assert json.loads(w.boundary)["coordinates"][0][0] == [101.60, 36.40] and w.origin == "imported" and 20 < w.area_km2 < 45
    # A zipped Shapefile, as GIS departments hand them over.
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as wr:
        wr.field("NAME", "C")
        wr.poly([[[101.70, 36.50], [101.70, 36.53], [101.73, 36.53], [101.73, 36.50], [101.70, 36.50]]])
        wr.record("北川河")
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        for ext, buf in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            zf.writestr(f"ws.{ext}", buf.getvalue())
    z.seek(0)
    z.name = "ws.zip"
    assert ops.post(_page(watershed), {"action": "boundary", "file": z}).status_code == 302
    assert "101.73" in Watershed.objects.get(pk=watershed.pk).boundary
    before = Watershed.objects.get(pk=watershed.pk).boundary
    bad = io.BytesIO(b"not a shapefile")
    bad.name = "ws.txt"
    r = ops.post(_page(watershed), {"action": "boundary", "file": bad})
    assert r.status_code == 422 and "<strong>边界文件</strong>" in r.content.decode()
    r = ops.post(_page(watershed), {"action": "boundary"})
    assert r.status_code == 422 and "<strong>边界文件</strong>" in r.content.decode()
    assert Watershed.objects.get(pk=watershed.pk).boundary == before


def test_deriving_without_an_outlet_names_the_outlet(ops, watershed):
    r = ops.post(_page(watershed), {"action": "derive"})
    assert r.status_code == 422 and "<strong>出口断面</strong>" in r.content.decode() and "请先指定出口断面" in r.content.decode()


def test_sediment_and_runoff_entered_for_a_year_and_refused_naming_the_field(ops, watershed):
    from chengyun.watershed.models import HydroRecord

    r = ops.post(_page(watershed), {"action": "hydro_year", "year": "2024", "sediment_t": "950", "runoff_m3": "820000"})
    assert r.status_code == 302
    rec = HydroRecord.objects.get(watershed=watershed)
    assert (rec.start.year, rec.sediment_t, rec.runoff_m3) == (2024, 950, 820000)
    r = ops.post(_page(watershed), {"action": "hydro_year", "year": "2023", "sediment_t": "-1", "runoff_m3": "1"})
    assert r.status_code == 422 and "<strong>泥沙输出量（吨）</strong>" in r.content.decode()
    r = ops.post(_page(watershed), {"action": "hydro_year", "year": "", "sediment_t": "1", "runoff_m3": "1"})
    assert r.status_code == 422 and "<strong>年度</strong>" in r.content.decode()
    assert HydroRecord.objects.count() == 1


def test_computing_from_monitoring_needs_an_outlet_and_ordered_dates(ops, watershed, outlet):
    from chengyun.watershed.models import Watershed

    # Without an outlet there is no form; a stale post is refused naming the outlet (in the page's message).
    assert 'id="ws-hydro-compute-form"' not in ops.get(_page(watershed)).content.decode()
    r = ops.post(_page(watershed), {"action": "hydro_compute", "start": "2025-01-01", "end": "2025-01-02"})
    assert r.status_code == 422 and "出口断面：该小流域没有出口断面" in r.content.decode()
    Watershed.objects.filter(pk=watershed.pk).update(outlet=outlet)
    assert 'id="ws-hydro-compute-form"' in ops.get(_page(watershed)).content.decode()
    r = ops.post(_page(watershed), {"action": "hydro_compute", "start": "2025-01-02", "end": "2025-01-01"})
    assert r.status_code == 422 and "<strong>结束日期</strong>" in r.content.decode()
    r = ops.post(_page(watershed), {"action": "hydro_compute", "start": "2025-01-01", "end": "2025-01-02"})
    assert r.status_code == 302


def test_a_river_chief_sees_the_sheet_but_no_forms_and_is_refused(client, make_user, watershed, sheet):
    from chengyun.watershed.models import IndicatorValue

    client.force_login(make_user(R.RIVER_CHIEF))
    html = client.get(_page(watershed)).content.decode()
    assert "生态清洁小流域评价表" in html
    for form in ("ws-measure-form", "ws-boundary-form", "ws-hydro-year-form", "ws-derive-form"):
        assert form not in html
    r = client.post(_page(watershed), {"action": "measure", "kind": "terrace", "name": "x", "quantity": "1"})
    assert r.status_code == 403 and not watershed.measures.exists()
    r = client.post(_page(watershed), {"action": "values", "year": "2025", "v_erosion_control": "85"})
    assert r.status_code == 403 and not IndicatorValue.objects.exists()


def test_a_boundary_reading_from_the_board_is_judged_and_sent(ops, neighbour, boundary):
    from chengyun.watershed.models import BoundaryReading, ExchangeMessage, JointIncident

    html = ops.get("/watershed/joint/").content.decode()
    assert 'id="ws-reading-form"' in html and "湟水河入境断面" in html
    r = ops.post("/watershed/joint/", {"action": "reading", "section": "JJ01", "at": "2026-11-20T08:00", "f_COD": "45", "f_NH3N": "0.4"})
    assert r.status_code == 302
    reading = BoundaryReading.objects.get()
    assert reading.water_class == 6 and not reading.compliant and reading.at.isoformat() == "2026-11-20T00:00:00+00:00"
    assert ExchangeMessage.objects.filter(direction="out", kind="reading").count() == 1
    assert JointIncident.objects.count() == 1  # the neighbour is upstream here: we open the incident
    r = ops.post("/watershed/joint/", {"action": "reading", "section": "JJ01", "at": "2026-11-21T08:00"})
    assert r.status_code == 422 and "<strong>数值</strong>" in r.content.decode()
    r = ops.post("/watershed/joint/", {"action": "reading", "section": "JJ01", "at": "", "f_COD": "12"})
    assert r.status_code == 422 and "<strong>监测时间</strong>" in r.content.decode() and 'value="12"' in r.content.decode()
    assert BoundaryReading.objects.count() == 1


def test_a_river_chief_cannot_record_a_boundary_reading(client, make_user, neighbour, boundary):
    from chengyun.watershed.models import BoundaryReading

    client.force_login(make_user(R.RIVER_CHIEF))
    assert 'id="ws-reading-form"' not in client.get("/watershed/joint/").content.decode()
    r = client.post("/watershed/joint/", {"action": "reading", "section": "JJ01", "at": "2026-11-20T08:00", "f_COD": "45"})
    assert r.status_code == 403 and not BoundaryReading.objects.exists()


def test_a_supervision_check_by_the_supervising_department(client, make_user, units, watershed):
    from chengyun.geo.models import Street
    from chengyun.watershed.services import erosion

    p = erosion.create_project(None, code="SB-9", name="北山隧道", developer="区交通运输局", street=Street.objects.order_by("code").first(),
                               supervisor=units["D01"], lng=101.703, lat=36.502, watershed=watershed)
    url = f"/watershed/projects/{p.pk}/"
    client.force_login(make_user(R.DEPT_HANDLER, unit="D01"))
    r = client.post(url, {"action": "check", "checked_on": "2026-11-02", "inspector": "张工", "findings": "", "verdict": "rectify"})
    assert r.status_code == 422 and "<strong>检查发现</strong>" in r.content.decode() and 'value="张工"' in r.content.decode()
    r = client.post(url, {"action": "check", "checked_on": "2026-02-30", "inspector": "张工", "findings": "弃土未苫盖", "verdict": "rectify"})
    assert r.status_code == 422 and "<strong>检查日期</strong>" in r.content.decode()
    assert not p.checks.exists()
    r = client.post(url, {"action": "check", "checked_on": "2026-11-02", "inspector": "张工", "findings": "弃土未苫盖", "verdict": "rectify"})
    assert r.status_code == 302 and p.checks.get().findings == "弃土未苫盖"
    # Another department neither sees the project nor writes to it.
    client.force_login(make_user(R.DEPT_HANDLER, unit="D02"))
    r = client.post(url, {"action": "check", "checked_on": "2026-11-03", "inspector": "李工", "findings": "x", "verdict": "compliant"})
    assert r.status_code in (403, 404) and p.checks.count() == 1
