"""The boundary upload page: GeoJSON or a zipped Shapefile, 校验 then 导入, the CLI's report."""
import io
import json
import zipfile

import pytest
import shapefile
from django.core.files.uploadedfile import SimpleUploadedFile
from shapely.geometry import box, mapping

from chengyun.core.models import AuditEntry
from chengyun.geo.models import Grid
from chengyun.people import roles as R
from support import D, DIVISION, X0, Y0

pytestmark = pytest.mark.django_db
URL = "/geo/boundaries/import/"
G1, G2 = f"{DIVISION}001001001", f"{DIVISION}001001002"


def fc(*features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geom)} for props, geom in features]}).encode()


def cell(col, row, w=1.0):
    return box(X0 + col * D, Y0 + row * D, X0 + (col + w) * D, Y0 + (row + 1) * D)


def zipped_shapefile(tmp_path, records, *, extra=None, folder="grids/"):
    """A Shapefile of grid polygons zipped as a user would (inside a folder, GBK attributes)."""
    base = tmp_path / "grids"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding="gbk") as w:
        w.field("CODE", "C", 20)
        w.field("名称", "C", 50)
        for code, name, geom in records:
            w.poly([list(geom.exterior.coords)])
            w.record(code, name)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for suffix in (".shp", ".shx", ".dbf"):
            z.write(base.with_suffix(suffix), folder + "grids" + suffix)
        z.writestr(folder + "grids.cpg", "GBK")
        for name, content in (extra or {}).items():
            z.writestr(name, content)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def staging_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(R.SYSADMIN))
    return client


def post(client, data, name, level="grid", mode="check", **extra):
    return client.post(URL, {"level": level, "mode": mode, "file": SimpleUploadedFile(name, data), **extra})


def test_only_administrators_reach_the_page(client, make_user):
    assert client.get(URL).status_code == 302  # to the login page
    client.force_login(make_user(R.OPS_DISPATCHER))
    assert client.get(URL).status_code == 403
    r = post(client, fc(({"code": G1, "name": "改名"}, cell(0, 0))), "g.geojson", mode="import")
    assert r.status_code == 403 and Grid.objects.get(code=G1).name != "改名"


def test_zipped_shapefile_checked_then_imported_and_audited(admin_client, tmp_path):
    data = zipped_shapefile(tmp_path, [(G1, "一号网格", cell(0, 0)), (G2, "二号网格", cell(1, 0))],
                            extra={"grids/grids.shp.xml": "<metadata/>", "__MACOSX/grids/._grids.shp": "x"})
    r = post(admin_client, data, "grids.zip")
    assert r.status_code == 200
    page = r.content.decode()
    assert "校验通过（未写入）" in page and "共 2 个要素，新增 0，更新 2，未变 0" in page and G1 in page
    assert Grid.objects.get(code=G1).name != "一号网格"  # a check writes nothing

    r = post(admin_client, data, "grids.zip", mode="import")
    assert r.status_code == 200 and "已导入" in r.content.decode()
    assert Grid.objects.get(code=G1).name == "一号网格" and Grid.objects.get(code=G2).name == "二号网格"
    entries = AuditEntry.objects.filter(object_type="geo.grid", verb="import_boundaries")
    assert entries.count() == 2 and all(e.source == "web" for e in entries)


def test_a_bad_feature_is_listed_by_feature_and_field_and_nothing_is_written(admin_client):
    data = fc(({"code": G1, "name": "好的"}, cell(0, 0)),
              ({"code": G2, "name": ""}, cell(1, 0)),
              ({"code": f"{DIVISION}001009001", "name": "无上级"}, cell(0, 1)))
    r = post(admin_client, data, "grids.geojson", mode="import")
    assert r.status_code == 422
    page = r.content.decode()
    assert "有错误，未写入任何数据" in page
    assert f"<td>第 2 个要素（code={G2}）</td><td><code>name</code></td><td>缺少名称</td>" in page
    assert f"第 3 个要素（code={DIVISION}001009001）</td><td><code>code</code></td><td>上级社区 {DIVISION}001009 不存在，请先导入" in page
    assert Grid.objects.get(code=G1).name != "好的"
    assert not AuditEntry.objects.filter(verb="import_boundaries").exists()


def test_overlaps_are_warned_with_their_area(admin_client):
    r = post(admin_client, fc(({"code": G1, "name": "扩大"}, cell(0, 0, w=1.5))), "g.json")
    page = r.content.decode()
    assert r.status_code == 200 and "警告 1 条" in page
    assert f"单元网格 {G1} 与 {G2} 重叠" in page and "平方米" in page


@pytest.mark.parametrize("members, message", [
    ({"../evil.shp": b"x", "evil.dbf": b"x"}, "压缩包内的路径不安全：../evil.shp"),
    ({"/etc/grids.shp": b"x"}, "压缩包内的路径不安全：/etc/grids.shp"),
    ({"readme.txt": b"hello", "grids.dbf": b"x"}, "中没有 .shp 文件"),
    ({"grids.shp": b"x", "grids.shx": b"x"}, "缺少同名 .dbf 属性表"),
])
def test_unsafe_or_incomplete_zips_are_refused(admin_client, members, message):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    r = post(admin_client, buf.getvalue(), "grids.zip", mode="import")
    assert r.status_code == 422 and message in r.content.decode()
    assert not AuditEntry.objects.filter(verb="import_boundaries").exists()


def test_other_files_and_oversized_uploads_are_refused(admin_client, settings):
    r = post(admin_client, b"not a zip", "grids.zip")
    assert r.status_code == 422 and "不是有效的 zip 压缩包" in r.content.decode()
    r = post(admin_client, b"a,b", "grids.csv")
    assert r.status_code == 422 and "不支持的文件类型：.csv" in r.content.decode()
    settings.GEO_UPLOAD_MAX_BYTES = 100
    r = post(admin_client, fc(({"code": G1, "name": "改名"}, cell(0, 0))), "g.geojson", mode="import")
    assert r.status_code == 422 and "文件过大" in r.content.decode()
    assert Grid.objects.get(code=G1).name != "改名"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(admin_client, settings, tmp_path):
    settings.GEO_UPLOAD_MAX_BYTES = 4000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("grids.shp", b"\0" * 100_000)
        z.writestr("grids.dbf", b"x")
    assert len(buf.getvalue()) < 4000
    r = post(admin_client, buf.getvalue(), "grids.zip")
    assert r.status_code == 422 and "解压后超过" in r.content.decode()


def test_the_checked_file_is_imported_without_choosing_it_again(admin_client, client, make_user, settings, tmp_path):
    import re

    settings.DATA_DIR = tmp_path
    data = fc(({"code": G1, "name": "校验后导入"}, cell(0, 0)))
    page = post(admin_client, data, "g.geojson").content.decode()
    token = re.search(r'name="staged" value="([^"]+)"', page).group(1)
    assert "导入刚校验的 g.geojson" in page and Grid.objects.get(code=G1).name != "校验后导入"
    # Another administrator's session does not know the token.
    from django.test import Client

    other = Client()
    other.force_login(make_user(R.SYSADMIN))
    r = other.post(URL, {"level": "grid", "mode": "import", "staged": token})
    assert r.status_code == 422 and "校验过的文件已过期" in r.content.decode() and Grid.objects.get(code=G1).name != "校验后导入"
    r = admin_client.post(URL, {"level": "grid", "mode": "import", "staged": token})
    assert r.status_code == 200 and "已导入" in r.content.decode() and Grid.objects.get(code=G1).name == "校验后导入"
    assert not any((tmp_path / "upload-staging").iterdir())  # used once, then removed
    r = admin_client.post(URL, {"level": "grid", "mode": "import", "staged": token})
    assert r.status_code == 422 and "校验过的文件已过期" in r.content.decode()


def test_a_failed_check_keeps_nothing(admin_client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    page = post(admin_client, fc(({"code": G1, "name": ""}, cell(0, 0))), "g.geojson").content.decode()
    assert 'name="staged"' not in page and not (tmp_path / "upload-staging").exists()
