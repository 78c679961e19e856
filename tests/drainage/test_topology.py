"""Network import: all-or-nothing on errors, warnings reported and written, per feature and field."""
from __future__ import annotations

import json

import pytest
from drainage_net import POS, node, numbered, pipe, small_network

from chengyun.drainage import services
from chengyun.drainage.importers import read_csv_network, read_network_file
from chengyun.drainage.models import Node, Pipe


def test_clean_network_imports_with_areas_and_lengths(district, units):
    report = services.import_network(small_network(), default_owner="D02")
    assert report.ok and report.written and not report.warnings, report.as_text()
    assert (Node.objects.count(), Pipe.objects.count()) == (8, 6)
    p1 = Pipe.objects.get(code="P1")
    assert p1.from_node.code == "R1" and p1.to_node.code == "R2" and p1.owner.code == "D02"
    assert 40 < p1.length_m < 50  # geodesic, ~0.0005° of longitude at 36.5°N
    assert p1.street.code == "630109001" and p1.grid.code == "630109001001001"


def test_reimport_same_file_changes_nothing(network):
    again = services.import_network(small_network(), default_owner="D02")
    assert again.ok and again.created == {"nodes": 0, "pipes": 0} and again.updated == {"nodes": 0, "pipes": 0}


@pytest.mark.parametrize("extra, message", [
    ([pipe("X1", "R1", "NOPE", ((0, 2), (5, 5)))], "to_node: 节点 NOPE 不存在"),
    ([pipe("X1", "R1", "R1", ((0, 2), (0, 2)))], "起点与终点是同一节点"),
    ([pipe("P1", "R4", "R3", (POS["R4"], POS["R3"]))], "code: 与test.geojson 第 9 个要素（code=P1）重复"),
    ([node("R1", "manhole", (4, 4))], "（code=R1）：code: 与test.geojson 第 1 个要素（code=R1）重复"),
    ([pipe("X1", "R1", "R2", ((0, 2), (1, 2)), type="stormwater")], "type: 未知的管道类别"),
    ([pipe("X1", "R1", "R2", ((0, 2), (1, 2)), diameter_mm="大")], "diameter_mm: 应为数字"),
    ([node("N9", "tank", (4, 4))], "kind: 未知的节点类型"),
    ([pipe("X1", "R3", "R1", (POS["R3"], POS["R1"]))], "存在环路"),
])
def test_errors_block_the_whole_file(district, units, extra, message):
    report = services.import_network(small_network(extra), default_owner="D02")
    assert not report.ok and not report.written
    assert any(message in e for e in report.errors), report.errors
    assert Node.objects.count() == 0 and Pipe.objects.count() == 0


def test_error_names_feature_and_field(district, units):
    bad = pipe("X1", "R1", "R2", ((0, 2), (1, 2)), install_year=1800)
    report = services.import_network(small_network([bad]))
    assert report.errors == ["管段 test.geojson 第 15 个要素（code=X1）：install_year: 1800 超出合理范围（1900～%d）" % __import__("datetime").date.today().year]


def test_warnings_do_not_block(district, units):
    extra = [
        node("D1", "manhole", (3, 3)), node("D2", "manhole", (4, 3)),
        pipe("X1", "D1", "D2", ((3, 3), (4, 3))),                       # dangling end at D2, and a part with no outfall
        pipe("X2", "R4", "R2", (POS["R4"], POS["R2"])),                  # duplicate of P3 (same pair of nodes)
        pipe("X3", "W1", "R2", (POS["W1"], POS["R2"]), type="sewage"),   # sewage into a rain pipe
        pipe("X4", "R1", "W2", (POS["R1"], POS["W2"]), type="rain"),     # rain into the sewer
        pipe("X5", "R3", "OF-T1", (POS["R3"], POS["OF-T1"]), up=2220.0, down=2221.0),  # reverse slope (and parallel to P4)
        node("ISO", "manhole", (5, 5)),
    ]
    report = services.import_network(small_network(extra))
    assert report.ok and report.written
    text = "\n".join(report.warnings)
    assert "节点 D2：kind: 末端悬空" in text
    assert "管网不连通：2 个节点（D1、D2）" in text
    assert "管段 X2：from_node/to_node: 与管段 P3 连接同一对节点" in text
    assert "管段 X3：type: 雨污类别冲突——污水管排入雨水管（节点 R2）" in text
    assert "管段 X4：type: 雨污类别冲突——雨水管排入污水系统（节点 W2）" in text
    assert "管段 X5：up_invert_m/down_invert_m: 逆坡" in text
    assert "节点 ISO：孤立节点" in text
    assert Pipe.objects.count() == 11


def test_geometry_end_far_from_node_is_a_warning(district, units):
    off = pipe("X1", "R4", "R3", ((1, 3), (2.5, 2)))
    report = services.import_network(small_network([off]))
    assert report.ok and any("X1：geometry: 线端点与节点相距" in w for w in report.warnings)


def test_sewage_straight_to_outfall_is_a_conflict(district, units):
    report = services.import_network(small_network([pipe("X1", "W1", "OF-T1", (POS["W1"], POS["OF-T1"]), type="sewage")]))
    assert any("污水管直接排向排放口" in w for w in report.warnings)


def test_dry_run_writes_nothing(district, units):
    report = services.import_network(small_network(), dry_run=True)
    assert report.ok and not report.written and report.created == {"nodes": 8, "pipes": 6}
    assert not Pipe.objects.exists()


def test_file_can_build_on_the_stored_network(network):
    more = numbered([node("R5", "manhole", (0, 3)), pipe("P9", "R5", "R4", ((0, 3), POS["R4"]))])
    report = services.import_network(more)
    assert report.ok and report.created == {"nodes": 1, "pipes": 1}


def test_geojson_and_csv_readers(tmp_path, district, units):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": f.properties, "geometry": f.geometry} for f in small_network()]}
    path = tmp_path / "net.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False))
    features = read_network_file(path)
    assert len(features) == 14 and sum(f.is_pipe for f in features) == 6
    assert services.import_network(features).ok
    csv_text = "code,type,diameter_mm,material,install_year,from_node,to_node,up_invert_m,down_invert_m\nC1,污水,300,HDPE,2015,W2,PLANT,2227.5,2227.0\nC2,rain,abc,HDPE,2015,R1,R2,,\n"
    rows = read_csv_network(csv_text.encode("utf-8"), "pipes.csv")
    report = services.import_network(rows)
    assert report.errors == ["管段 pipes.csv 第 3 行（code=C2）：diameter_mm: 应为数字，实际为「abc」"]
    ok = services.import_network(read_csv_network(csv_text.splitlines()[0].encode() + b"\n" + csv_text.splitlines()[1].encode(), "p.csv"))
    assert ok.ok and Pipe.objects.get(code="C1").type == "sewage"


def test_shapefile_reader(tmp_path, district, units):
    import shapefile

    with shapefile.Writer(str(tmp_path / "nodes"), shapeType=shapefile.POINT, encoding="utf-8") as w:
        w.field("code", "C", 20)
        w.field("kind", "C", 10)
        for f in small_network():
            if not f.is_pipe:
                w.point(*f.geometry["coordinates"])
                w.record(f.properties["code"], f.properties["kind"])
    with shapefile.Writer(str(tmp_path / "pipes"), shapeType=shapefile.POLYLINE, encoding="utf-8") as w:
        for name, t in (("code", "C"), ("type", "C"), ("diameter_m", "N"), ("from_node", "C"), ("to_node", "C")):
            w.field(name, t, 20)
        for f in small_network():
            if f.is_pipe:
                w.line([f.geometry["coordinates"]])
                w.record(f.properties["code"], f.properties["type"], f.properties["diameter_mm"], f.properties["from_node"], f.properties["to_node"])
    features = read_network_file(tmp_path / "nodes.shp") + read_network_file(tmp_path / "pipes.shp")
    report = services.import_network(features)
    assert report.ok, report.as_text()
    assert Pipe.objects.count() == 6


def test_import_command_refuses_bad_file(tmp_path, district, units):
    from django.core.management import CommandError, call_command

    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": f.properties, "geometry": f.geometry}
                                                    for f in small_network([pipe("X1", "R1", "GONE", ((0, 2), (1, 1)))])]}
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(fc))
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("drainage", "import", str(path))
    assert not Pipe.objects.exists()


def test_import_requires_role(network, make_user):
    grid_worker = make_user("community_grid_worker", grids=["630109001001001"])
    from chengyun.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.import_network(small_network(), user=grid_worker)


def test_import_api(network, make_user, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user("sysadmin"))
    bad = b"code,type,diameter_mm,from_node,to_node\nC9,rain,300,R1,MISSING\n"
    resp = client.post("/api/v1/drainage/import", {"file": SimpleUploadedFile("p.csv", bad)})
    assert resp.status_code == 422
    assert resp.json()["errors"] == ["管段 p.csv 第 2 行（code=C9）：to_node: 节点 MISSING 不存在（文件和已有管网中都没有）"]
    good = b"code,type,diameter_mm,from_node,to_node\nC9,rain,300,R1,R3\n"
    resp = client.post("/api/v1/drainage/import", {"file": SimpleUploadedFile("p.csv", good)})
    assert resp.status_code == 200 and resp.json()["created"]["pipes"] == 1
    assert Pipe.objects.get(code="C9").to_node.code == "R3"


def test_import_page_reports_and_writes(network, make_user, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user("sysadmin"))
    assert client.get("/drainage/import/").status_code == 200
    bad = client.post("/drainage/import/", {"kind": "network", "file": SimpleUploadedFile("p.csv", b"code,type,diameter_mm,from_node,to_node\nC7,rain,300,R1,NOWHERE\n")})
    assert bad.status_code == 422 and "节点 NOWHERE 不存在" in bad.content.decode()
    report = "管段编号,检测日期,检测方法,缺陷代码,缺陷等级,缺陷位置(m)\nP1,2026-02-01,CCTV,PL,4,3\n".encode()
    ok = client.post("/drainage/import/", {"kind": "inspections", "file": SimpleUploadedFile("r.csv", report)})
    assert ok.status_code == 200 and Pipe.objects.get(code="P1").structural_grade == 4

