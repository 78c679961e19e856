"""The network import page: GeoJSON, CSV or zipped Shapefiles, 校验 then 导入, errors by file, row and field."""
from __future__ import annotations

from drainage_net import small_network

from chengyun.drainage.models import Node, Pipe

def _zipped_network(tmp_path) -> bytes:
    """The small network as two Shapefiles (nodes, pipes) zipped together, as a surveyor delivers it."""
    import io
    import zipfile

    import shapefile

    feats = small_network()
    with shapefile.Writer(str(tmp_path / "nodes"), shapeType=shapefile.POINT, encoding="utf-8") as w:
        for k in ("code", "kind", "ground_m"):
            w.field(k, "C", 20)
        for f in feats:
            if not f.is_pipe:
                w.point(*f.geometry["coordinates"])
                w.record(f.properties["code"], f.properties["kind"], str(f.properties["ground_m"]))
    keys = ("code", "type", "diameter_mm", "material", "install_year", "from_node", "to_node", "up_invert_m", "down_invert_m")
    with shapefile.Writer(str(tmp_path / "pipes"), shapeType=shapefile.POLYLINE, encoding="utf-8") as w:
        for k in keys:
            w.field(k[:10], "C", 30)
        for f in feats:
            if f.is_pipe:
                code = "Z" + f.properties["code"]  # new pipes between the stored nodes
                w.line([f.geometry["coordinates"]])
                w.record(code, *[str(f.properties[k]) for k in keys[1:]])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for base in ("nodes", "pipes"):
            for suffix in (".shp", ".shx", ".dbf"):
                z.write(tmp_path / f"{base}{suffix}", f"net/{base}{suffix}")
    return buf.getvalue()


def test_import_page_takes_zipped_shapefiles_checks_then_imports(network, make_user, client, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chengyun.core.models import AuditEntry

    settings.DATA_DIR = tmp_path
    client.force_login(make_user("sysadmin"))
    data = _zipped_network(tmp_path)
    before = Pipe.objects.count()
    r = client.post("/drainage/import/", {"kind": "network", "mode": "check", "owner": "D02", "file": SimpleUploadedFile("net.zip", data)})
    assert r.status_code == 200 and "校验通过（未写入）" in r.content.decode()
    assert Pipe.objects.count() == before
    assert "导入刚校验的 net.zip" in r.content.decode()
    r = client.post("/drainage/import/", {"kind": "network", "mode": "import", "owner": "D02", "file": SimpleUploadedFile("net.zip", data)})
    assert r.status_code == 200 and "已导入" in r.content.decode()
    assert Pipe.objects.count() == before + 6 and Pipe.objects.get(code="ZP1").owner.code == "D02"
    entry = AuditEntry.objects.filter(verb="import_network").latest("id")
    assert entry.object_repr == "管网导入：新增节点 0、管段 6" and entry.source == "web"


def test_import_page_lists_errors_by_file_row_and_field_and_writes_nothing(network, make_user, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user("sysadmin"))
    nodes = b"code,kind,lng,lat,ground_m\nN1,manhole,101.706,36.506,2230\nN2,manhole,abc,36.506,2230\n"
    pipes = b"code,type,diameter_mm,from_node,to_node\nQ1,rain,300,N1,R1\nQ2,rain,-5,N1,NOWHERE\n"
    r = client.post("/drainage/import/", {"kind": "network", "mode": "import",
                                           "file": [SimpleUploadedFile("nodes.csv", nodes), SimpleUploadedFile("pipes.csv", pipes)]})
    page = r.content.decode()
    assert r.status_code == 422 and "有错误，未写入任何数据" in page
    assert "<td>节点 nodes.csv 第 3 行（code=N2）</td><td><code>lng/lat</code></td>" in page
    assert "<td>管段 pipes.csv 第 3 行（code=Q2）</td><td><code>to_node</code></td><td>节点 NOWHERE 不存在" in page
    assert not Node.objects.filter(code="N1").exists() and not Pipe.objects.filter(code="Q1").exists()


def test_import_page_refuses_others_and_unreadable_files(network, make_user, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user("community_grid_worker", grids=["630109001001001"]))
    assert client.get("/drainage/import/").status_code == 403
    client.force_login(make_user("dept_handler", unit="D02"))
    assert client.get("/drainage/import/").status_code == 200
    r = client.post("/drainage/import/", {"kind": "network", "mode": "check", "file": SimpleUploadedFile("net.shp", b"x")})
    assert r.status_code == 422 and "不支持的文件类型：net.shp" in r.content.decode()
    r = client.post("/drainage/import/", {"kind": "network", "mode": "check", "file": SimpleUploadedFile("net.zip", b"PK-not")})
    assert r.status_code == 422 and "不是有效的 zip 压缩包" in r.content.decode()


def test_checked_files_are_imported_from_staging(network, make_user, client, settings, tmp_path):
    import re

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_DIR = tmp_path
    client.force_login(make_user("dept_handler", unit="D02"))
    nodes = b"code,kind,lng,lat,ground_m\nN1,manhole,101.706,36.506,2230\n"
    pipes = b"code,type,diameter_mm,from_node,to_node\nQ1,rain,300,N1,R1\n"
    r = client.post("/drainage/import/", {"kind": "network", "mode": "check",
                                           "file": [SimpleUploadedFile("nodes.csv", nodes), SimpleUploadedFile("pipes.csv", pipes)]})
    page = r.content.decode()
    assert "导入刚校验的 nodes.csv、pipes.csv" in page and not Pipe.objects.filter(code="Q1").exists()
    token = re.search(r'name="staged" value="([^"]+)"', page).group(1)
    r = client.post("/drainage/import/", {"kind": "network", "mode": "import", "staged": token, "owner": "", "encoding": ""})
    assert r.status_code == 200 and "已导入" in r.content.decode()
    assert Pipe.objects.get(code="Q1").from_node.code == "N1"


def test_the_submenu_offers_import_only_to_those_the_page_lets_in(network, make_user, client):
    client.force_login(make_user("ops_dispatcher"))
    page = client.get("/drainage/pipes/").content.decode()
    assert "/drainage/plans/" in page and "/drainage/import/" not in page
    client.force_login(make_user("dept_handler", unit="D02"))
    assert "/drainage/import/" in client.get("/drainage/pipes/").content.decode()
