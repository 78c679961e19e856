"""Boundary import: all-or-nothing, errors naming feature and field, overlaps and gaps with area."""
import json

import pytest
import shapefile
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping, Polygon

from chengyun.core.models import AuditEntry
from chengyun.geo import services
from chengyun.geo.importers import read_file, read_geojson
from chengyun.geo.models import Community, District, Grid, Street
from support import DIVISION, X0, Y0, D

pytestmark = pytest.mark.django_db


def fc(*features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]})


def seed_parents():
    District.objects.create(code=DIVISION, name="测试区", geometry=json.dumps(mapping(box(X0, Y0, X0 + 4 * D, Y0 + 4 * D))))
    services.import_boundaries(read_geojson(fc(({"code": f"{DIVISION}001", "name": "一街道"}, mapping(box(X0, Y0, X0 + 4 * D, Y0 + 4 * D))))), "street")
    services.import_boundaries(read_geojson(fc(({"code": f"{DIVISION}001001", "name": "一社区"}, mapping(box(X0, Y0, X0 + 2 * D, Y0 + 2 * D))))), "community")


def grid(seq, x, y, w=1, h=1, name=None):
    return ({"code": f"{DIVISION}001001{seq:03d}", "name": name or f"{seq}号网格"}, mapping(box(X0 + x * D, Y0 + y * D, X0 + (x + w) * D, Y0 + (y + h) * D)))


def test_dry_run_reports_and_writes_nothing_then_import_writes_all():
    seed_parents()
    data = fc(grid(1, 0, 0), grid(2, 1, 0), grid(3, 0, 1), grid(4, 1, 1))
    report = services.import_boundaries(read_geojson(data), "grid", dry_run=True)
    assert report.ok and not report.written and len(report.created) == 4
    assert Grid.objects.count() == 0
    report = services.import_boundaries(read_geojson(data), "grid")
    assert report.written and Grid.objects.count() == 4
    g = Grid.objects.get(code=f"{DIVISION}001001001")
    assert g.community.code == f"{DIVISION}001001" and g.street.code == f"{DIVISION}001"
    assert 0.8e6 < g.area_m2 < 1.2e6  # 0.01° × 0.01° near 36.5°N ≈ 0.99 km²
    assert services.locate(X0 + 0.5 * D, Y0 + 0.5 * D).grid.code == g.code
    assert AuditEntry.objects.filter(object_type="geo.grid", action="create").count() == 4
    # Importing the same file again changes nothing.
    again = services.import_boundaries(read_geojson(data), "grid")
    assert len(again.unchanged) == 4 and not again.created and not again.updated


def test_one_bad_feature_blocks_the_whole_file_and_is_named():
    seed_parents()
    bowtie = Polygon([(X0, Y0), (X0 + D, Y0 + D), (X0 + D, Y0), (X0, Y0 + D), (X0, Y0)])
    data = fc(
        grid(1, 0, 0),
        ({"code": f"{DIVISION}001001002", "name": "自相交"}, mapping(bowtie)),
        ({"code": "12345", "name": "短编码"}, mapping(box(X0, Y0, X0 + D, Y0 + D))),
        ({"code": f"{DIVISION}001009001", "name": "无上级"}, mapping(box(X0, Y0, X0 + D, Y0 + D))),
        ({"code": f"{DIVISION}001001005"}, mapping(box(X0, Y0, X0 + D, Y0 + D))),
        ({"code": f"{DIVISION}001001006", "name": "越界"}, mapping(box(X0 + 1.5 * D, Y0, X0 + 2.5 * D, Y0 + D))),
        ({"code": f"{DIVISION}001001007", "name": "点"}, {"type": "Point", "coordinates": [X0, Y0]}),
        ({"code": f"{DIVISION}001001008", "name": "投影坐标"}, mapping(box(500000, 4000000, 500100, 4000100))),
        grid(1, 0, 0, name="重复"),
    )
    report = services.import_boundaries(read_geojson(data), "grid")
    assert not report.ok and not report.written
    assert Grid.objects.count() == 0
    text = "\n".join(report.errors)
    assert "第 2 个要素（code=630109001001002）：geometry: 多边形无效" in text
    assert "第 3 个要素（code=12345）：code:" in text
    assert "第 4 个要素（code=630109001009001）：code: 上级社区 630109001009 不存在" in text
    assert "第 5 个要素（code=630109001001005）：name: 缺少名称" in text
    assert "第 6 个要素（code=630109001001006）：geometry: 超出上级社区「一社区」边界" in text
    assert "第 7 个要素（code=630109001001007）：geometry: 几何类型应为 Polygon" in text
    assert "第 8 个要素（code=630109001001008）：geometry: 坐标超出经纬度范围" in text
    assert "第 9 个要素（code=630109001001001）：code: 与第 1 个要素重复" in text
    assert len(report.errors) == 8  # the good first feature has none


def test_overlaps_and_gaps_are_reported_with_area():
    seed_parents()
    data = fc(grid(1, 0, 0, w=1.2), grid(2, 1, 0), grid(3, 0, 1))  # 1 overlaps 2; the top-right cell is uncovered
    report = services.import_boundaries(read_geojson(data), "grid", dry_run=True)
    assert report.ok
    overlap = [w for w in report.warnings if "重叠" in w]
    gap = [w for w in report.warnings if "未被单元网格覆盖" in w]
    assert len(overlap) == 1 and "630109001001001 与 630109001001002" in overlap[0]
    area = float(overlap[0].split("重叠 ")[1].split(" ")[0])
    assert 1.8e5 < area < 2.2e5  # 0.2 of a 0.99 km² cell
    assert len(gap) == 1 and "一社区" in gap[0]


def test_bad_json_is_a_clear_error():
    with pytest.raises(services.Invalid) as exc:
        read_geojson(b"{not json")
    assert "GeoJSON" in exc.value.message


def test_shapefile_import(tmp_path):
    seed_parents()
    base = tmp_path / "grids"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding="gbk") as w:
        w.field("CODE", "C", 20)
        w.field("名称", "C", 50)
        for seq, (x, y) in enumerate([(0, 0), (1, 0)], start=1):
            w.poly([[(X0 + x * D, Y0 + y * D), (X0 + x * D, Y0 + (y + 1) * D), (X0 + (x + 1) * D, Y0 + (y + 1) * D), (X0 + (x + 1) * D, Y0 + y * D), (X0 + x * D, Y0 + y * D)]])
            w.record(f"{DIVISION}001001{seq:03d}", f"{seq}号网格")
    (tmp_path / "grids.cpg").write_text("GBK")
    features = read_file(tmp_path / "grids.shp")
    assert [f.properties["name"] for f in features] == ["1号网格", "2号网格"]
    report = services.import_boundaries(features, "grid")
    assert report.ok and Grid.objects.count() == 2


def test_cli_import_names_the_problem_and_writes_nothing(tmp_path, capsys):
    seed_parents()
    path = tmp_path / "bad.geojson"
    path.write_text(fc(grid(1, 0, 0), ({"code": f"{DIVISION}001001002", "name": ""}, mapping(box(X0, Y0, X0 + D, Y0 + D)))))
    with pytest.raises(CommandError, match="未写入"):
        call_command("geo", "import", str(path), "--level", "grid")
    assert "第 2 个要素（code=630109001001002）：name: 缺少名称" in capsys.readouterr().out
    assert Grid.objects.count() == 0


def test_import_api_is_for_administrators(district, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = fc(grid(1, 0, 0)).encode()
    from django.test import Client

    c = Client()
    c.force_login(make_user("ops_dispatcher"))
    r = c.post("/api/v1/geo/boundaries/import?level=grid&dry_run=true", {"file": SimpleUploadedFile("g.geojson", data)})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    c.force_login(make_user("sysadmin"))
    r = c.post("/api/v1/geo/boundaries/import?level=grid&dry_run=true", {"file": SimpleUploadedFile("g.geojson", data)})
    assert r.status_code == 200 and r.json()["dry_run"] is True and r.json()["updated"] == 1  # same code as the fixture's grid, new name


def test_validate_tiling_of_a_sound_district(district):
    r = services.validate_tiling()
    assert r.ok, r.problems
    assert r.counts == {"district": 1, "street": 2, "community": 4, "grid": 16}
