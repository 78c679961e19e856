"""Hypothesis over every importer: a valid file mutated a few bytes at a time, or random bytes.

Each importer either imports, or refuses with its documented error — a DomainError (Invalid,
422 in the API) or an import report that is not ok — and when it refuses, NOTHING was written:
the row count of every table of its app (and the audit log) is what it was before.
"""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chengyun.core.errors import DomainError
from fuzzing import DERANDOMIZE, files_like, row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

# One database per test function, shared by its examples (each example's writes stay): what an
# example may not do is write and then refuse.
FUZZ = settings(max_examples=60, derandomize=DERANDOMIZE, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def refused_or_done(run, *apps):
    """Run one import; on refusal (DomainError, or a report with ok False) the counts are unchanged."""
    before = row_counts(*apps)
    try:
        report = run()
    except DomainError:
        assert row_counts(*apps) == before, "a refused import wrote rows"
        return None
    if report is not None and getattr(report, "ok", True) is False:
        assert row_counts(*apps) == before, "an import whose report is not ok wrote rows"
    return report


@pytest.fixture
def admin(make_user):
    from chengyun.people import roles as R

    return make_user(R.SYSADMIN, username="fuzz_admin")


# ---------------------------------------------------------------- geo: GeoJSON boundaries


def _grids_geojson() -> bytes:
    from chengyun.geo.models import Grid

    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": g.code, "name": g.name}, "geometry": json.loads(g.geometry)}
        for g in Grid.objects.order_by("code")[:3]]}, ensure_ascii=False).encode()


def test_boundary_import(district, admin):
    from chengyun.geo.importers import read_geojson
    from chengyun.geo.services import import_boundaries

    seed = _grids_geojson()
    assert import_boundaries(read_geojson(seed), "grid", dry_run=True, user=admin).ok

    @FUZZ
    @given(data=files_like(seed), dry_run=st.booleans())
    def run(data, dry_run):
        refused_or_done(lambda: import_boundaries(read_geojson(data), "grid", dry_run=dry_run, user=admin), "geo")

    run()


def test_shapefile_reader_refuses_broken_files(tmp_path):
    """A Shapefile whose .shp/.dbf bytes are damaged is an Invalid naming the file, never a crash."""
    import shapefile

    from chengyun.geo.importers import read_shapefile

    with shapefile.Writer(str(tmp_path / "g"), shapeType=shapefile.POLYGON, encoding="utf-8") as w:
        w.field("code", "C", 20)
        w.poly([[(101.70, 36.50), (101.71, 36.50), (101.71, 36.51), (101.70, 36.50)]])
        w.record("630109001001001")
    shp, dbf = (tmp_path / "g.shp").read_bytes(), (tmp_path / "g.dbf").read_bytes()

    @settings(max_examples=60, derandomize=DERANDOMIZE)
    @given(shp_bytes=files_like(shp), dbf_bytes=files_like(dbf))
    def run(shp_bytes, dbf_bytes):
        (tmp_path / "g.shp").write_bytes(shp_bytes)
        (tmp_path / "g.dbf").write_bytes(dbf_bytes)
        try:
            read_shapefile(tmp_path / "g.shp")
        except DomainError:
            pass

    run()


# ---------------------------------------------------------------- drainage: network and inspections


def test_network_import(district, units, admin):
    from chengyun.drainage import services
    from chengyun.drainage.importers import read_network_upload

    seed = ("code,type,diameter_mm,material,install_year,from_node,to_node,up_invert_m,down_invert_m\n"
            "C1,污水,300,HDPE,2015,W2,PLANT,2227.5,2227.0\n").encode()

    @FUZZ
    @given(data=files_like(seed), name=st.sampled_from(("pipes.csv", "net.geojson")), dry_run=st.booleans())
    def run(data, name, dry_run):
        refused_or_done(lambda: services.import_network(read_network_upload(data, name), user=admin, dry_run=dry_run), "drainage")

    run()


def test_inspection_import(district, units, admin):
    from chengyun.drainage import services
    from chengyun.drainage.importers import read_inspection_table

    seed = ("管段编号,检测日期,检测方法,检测人员,缺陷代码,缺陷等级,缺陷位置(m),缺陷长度(m),环向位置,照片\n"
            "P1,2026-03-02,CCTV,张工,PL,3,5.0,0.5,0309,p1.jpg\n").encode()

    @FUZZ
    @given(data=files_like(seed), name=st.sampled_from(("report.csv", "report.xlsx")))
    def run(data, name):
        refused_or_done(lambda: services.import_inspections(read_inspection_table(data, name), user=admin), "drainage")

    run()


# ---------------------------------------------------------------- cases: catalogue, hotline, drone


def test_catalogue_import(district, admin):
    from chengyun.cases import services

    services.load_seed_catalogue()
    seed = services.export_catalogue("csv")
    assert services.import_catalogue(admin, seed, "standard.csv", dry_run=True).ok

    @FUZZ
    @given(data=files_like(seed), name=st.sampled_from(("standard.csv", "standard.xlsx")), dry_run=st.booleans())
    def run(data, name, dry_run):
        refused_or_done(lambda: services.import_catalogue(admin, data, name, dry_run=dry_run), "cases")

    run()


def test_hotline_import(district, admin):
    from support import grid_center

    from chengyun.cases import services

    services.load_seed_catalogue()
    x, y = grid_center("630109001001001")
    seed = ("工单编号,受理时间,诉求内容,地址,经度,纬度,小类代码,类型,来电人,联系电话\n"
            f"GD001,2026-11-20 09:30,楼下小广告很多,幸福路 3 号,{x},{y},0201,事件,李女士,13800000001\n").encode()
    assert services.import_hotline(admin, seed, "seed.csv").ok

    @FUZZ
    @given(data=files_like(seed), name=st.sampled_from(("12345.csv", "12345.xlsx")))
    def run(data, name):
        refused_or_done(lambda: services.import_hotline(admin, data, name), "cases")

    run()


def test_drone_import(district, admin):
    from support import grid_center

    from chengyun.cases import services

    services.load_seed_catalogue()
    x, y = grid_center("630109001001001")
    seed = json.dumps({"flight_id": "F1", "detections": [{"id": "d1", "lng": x, "lat": y, "category_code": "0201"}]}).encode()
    assert services.import_drone_flight(admin, json.loads(seed.replace(b"F1", b"F0"))).created == 1

    @FUZZ
    @given(data=files_like(seed))
    def run(data):
        try:
            payload = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return  # the API refuses a body that is not JSON before the importer (bad_json)
        refused_or_done(lambda: services.import_drone_flight(admin, payload), "cases")

    run()


# ---------------------------------------------------------------- supervision: task list (Excel)


def test_supervision_task_import(district, units, admin):
    from chengyun.supervision import importers

    seed = importers.template_workbook()

    @settings(max_examples=15, derandomize=DERANDOMIZE, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=files_like(seed))
    def run(data):
        refused_or_done(lambda: importers.import_tasks(admin, data), "supervision")

    run()


# ---------------------------------------------------------------- monitoring: lab results (CSV / JSON)


def test_lab_results_import(district, admin):
    from chengyun.monitoring import labfile, services

    seed = b"mn,factor,value,sampled_at\nMN0001,w01018,21.5,2026-11-25 10:00\n"

    @FUZZ
    @given(data=st.one_of(files_like(seed), files_like(b'[{"mn": "MN0001", "factor": "w01018", "value": 21.5, "sampled_at": "2026-11-25T10:00"}]')),
           name=st.sampled_from(("lab.csv", "lab.json")))
    def run(data, name):
        def go():
            rows, first = labfile.read(data, name)
            return services.import_lab_results(admin, rows, first_row=first)
        refused_or_done(go, "monitoring")

    run()


# ---------------------------------------------------------------- roads: segments (GeoJSON)


def test_road_segment_import(district, units, admin):
    from chengyun.geo.importers import read_geojson
    from chengyun.roads import services

    seed = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "R001", "name": "幸福路", "road_class": "主干路"},
                       "geometry": {"type": "LineString", "coordinates": [[101.701, 36.501], [101.705, 36.501]]}}]}, ensure_ascii=False).encode()
    assert services.import_segments(read_geojson(seed), user=admin, dry_run=True, owner_code="D01").ok

    @FUZZ
    @given(data=files_like(seed), dry_run=st.booleans())
    def run(data, dry_run):
        refused_or_done(lambda: services.import_segments(read_geojson(data), user=admin, dry_run=dry_run, owner_code="D01"), "roads")

    run()


# Inputs hypothesis found that the csv module itself refuses (a bare CR inside an unquoted field;
# a field past csv.field_size_limit): each CSV reader turns them into its documented refusal.
CSV_TRAPS = [b"code,type\nC1,rain\rP2\n", b"code,type\nC1,\"" + b"x" * 140_000 + b"\"\n"]


@pytest.mark.parametrize("trap", CSV_TRAPS, ids=["cr-in-field", "huge-field"])
def test_every_csv_reader_refuses_what_csv_cannot_read(trap, district, admin):
    from chengyun.cases import services as cases
    from chengyun.drainage.importers import read_inspection_table, read_network_upload
    from chengyun.monitoring import labfile

    readers = [lambda: read_network_upload(trap, "pipes.csv"), lambda: read_inspection_table(trap, "r.csv"),
               lambda: cases.import_catalogue(admin, trap, "standard.csv", dry_run=True), lambda: cases.import_hotline(admin, trap, "h.csv"),
               lambda: labfile.read(trap, "lab.csv")]
    outcomes = []
    for read in readers:  # any exception but the documented refusal fails the test here
        try:
            read()
            outcomes.append("read")
        except DomainError:
            outcomes.append("refused")
    assert len(outcomes) == len(readers)
    if trap == CSV_TRAPS[1]:
        assert set(outcomes) == {"refused"}, outcomes


@pytest.mark.parametrize("doc", [
    {"type": "FeatureCollection"},  # no features at all
    {"type": "FeatureCollection", "features": [], "crs": {"properties": ["EPSG:4326"]}},
    {"type": "FeatureCollection", "features": [], "crs": {"properties": {"name": 4326}}},
], ids=["no-features", "crs-properties-not-object", "crs-name-not-text"])
def test_geojson_reader_refuses_malformed_collections(doc):
    """Found by the boundary fuzz test: a FeatureCollection missing its features was a KeyError."""
    from chengyun.geo.importers import read_geojson

    try:
        assert read_geojson(json.dumps(doc)) == []
    except DomainError as exc:
        assert exc.code in ("bad_file", "bad_crs")
