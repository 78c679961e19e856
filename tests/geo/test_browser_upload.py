"""Browser test: an administrator checks a zipped Shapefile of grids, sees the report, imports it."""
import io
import json
import zipfile

import pytest
from browser_support import login, screenshot
from shapely.geometry import box, mapping

from chengyun.geo.models import Grid
from chengyun.people import roles as R
from support import D, DIVISION, X0, Y0

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
G1, G2 = f"{DIVISION}001001001", f"{DIVISION}001001002"


def cell(col, row, w=1.0):
    return box(X0 + col * D, Y0 + row * D, X0 + (col + w) * D, Y0 + (row + 1) * D)


def zipped(tmp_path, records):
    import shapefile

    base = tmp_path / "grids"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding="utf-8") as w:
        w.field("code", "C", 20)
        w.field("name", "C", 50)
        for code, name, geom in records:
            w.poly([list(geom.exterior.coords)])
            w.record(code, name)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for suffix in (".shp", ".shx", ".dbf"):
            z.write(base.with_suffix(suffix), "grids" + suffix)
    return buf.getvalue()


def test_check_a_bad_file_then_import_a_zipped_shapefile(page, live_server, make_user, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    login(page, live_server, make_user(R.SYSADMIN).username)
    page.click("nav.mainnav >> text=边界导入")
    page.wait_for_url("**/geo/boundaries/import/")
    bad = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": G1, "name": ""}, "geometry": mapping(cell(0, 0))},
        {"type": "Feature", "properties": {"code": G2, "name": "扩大"}, "geometry": mapping(cell(1, 0, w=1.5))}]}).encode()
    page.set_input_files("input[name=file]", files=[{"name": "grids.geojson", "mimeType": "application/geo+json", "buffer": bad}])
    page.click("button[value=import]")
    page.wait_for_selector("#import-report")
    assert "有错误，未写入任何数据" in page.inner_text("#import-report h2")
    assert page.inner_text("table.errors tbody tr td:nth-child(2)") == "name"
    screenshot(page, "geo-boundary-import-errors")

    page.select_option("select[name=level]", "grid")
    page.set_input_files("input[name=file]", files=[{"name": "grids.zip", "mimeType": "application/zip",
                                                     "buffer": zipped(tmp_path, [(G1, "一号网格", cell(0, 0)), (G2, "二号网格", cell(1, 0))])}])
    page.click("button[value=check]")
    page.wait_for_selector("#import-report.ok")
    assert "校验通过（未写入）" in page.inner_text("#import-report") and "更新 2" in page.inner_text("#import-report")
    assert Grid.objects.get(code=G1).name != "一号网格"
    screenshot(page, "geo-boundary-import-checked")
    page.click("#staged-import button")  # the file just checked, not chosen again
    page.wait_for_selector("#import-report.ok h2:has-text('已导入')")
    assert Grid.objects.get(code=G1).name == "一号网格" and Grid.objects.get(code=G2).name == "二号网格"
