"""Spatial indicators from layers, against hand-computed fixtures (areas by the circle-segment
formulas; distances by the lattice of the fixture)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from shapely.geometry import LineString, Point, box, mapping

from chengyun.core.models import AuditEntry
from chengyun.geo.importers import read_geojson
from chengyun.people import roles as R
from chengyun.renewal import coverage
from chengyun.renewal.models import Feature, Layer
from chengyun.renewal.services import layers
from support import DIVISION


def _clipped_disc(r: float, d: float) -> float:
    """Area of a disc of radius r minus the two segments cut by chords at distance d from its centre."""
    segment = r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)
    return math.pi * r * r - 2 * segment


def test_area_coverage_whole_none_partial_and_union_of_overlaps():
    parcels = np.array([box(0, 0, 100, 100), box(1000, 0, 1100, 100), box(3000, 200, 3100, 300), box(5900, 400, 6300, 500)], dtype=object)
    sources = np.array([Point(50, 50), Point(3000, 250), Point(6050, 450), Point(6150, 450)], dtype=object)
    radii = np.array([500.0, 100.0, 60.0, 60.0])
    got = coverage.area_coverage(parcels, sources, radii)
    half_disc_in_box = 50 * math.sqrt(7500) + 10000 * math.asin(0.5)  # ∫ sqrt(100² − t²) dt over |t| ≤ 50
    lens = 2 * 3600 * math.acos(100 / 120) - 50 * math.sqrt(14400 - 10000)  # two r=60 discs 100 apart
    assert got[0] == pytest.approx(10000)
    assert got[1] == 0
    # The service area is a 64-gon (16 segments per quarter), as a GIS buffer draws it: within 0.2 %.
    assert got[2] == pytest.approx(half_disc_in_box, rel=2e-3)
    assert got[3] == pytest.approx(2 * _clipped_disc(60, 50) - lens, rel=2e-3)


def test_park_radius_tiers():
    radii = coverage.park_radii(np.array([6000.0, 5000.0, 3000.0, 2000.0, 1999.0]), [(5000, 500), (2000, 300)])
    assert radii.tolist() == [500, 500, 300, 300, 0]


def test_network_distance_follows_the_roads():
    lines = np.array([LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1000, 1000)])], dtype=object)
    graph = coverage.RoadGraph.from_lines(lines)
    facility = np.array([Point(0, 10)], dtype=object)  # 10 m off the road's west end
    homes = np.array([Point(1000, 900), Point(500, 0), Point(10, 300)], dtype=object)
    # 10 + 1000 + 900 = 1910; 10 + 500 = 510; the third walks 300 m to the road (nodes every 50 m) then 10 m.
    assert coverage.within_network(homes, facility, 1910.5, graph).tolist() == [True, True, True]
    assert coverage.within_network(homes, facility, 1900, graph).tolist() == [False, True, True]
    assert coverage.within_network(homes, facility, 305, graph).tolist() == [False, False, False]
    assert coverage.within_straight(homes, facility, 305).tolist() == [False, False, True]


def _fc(features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(g), "properties": p} for g, p in features]}).encode()


def _load(user, code, kind, features):
    report = layers.import_layer(user, read_geojson(_fc(features)), code=code, name=code, kind=kind, year=2025)
    assert report.ok, report.errors
    return report


@pytest.fixture
def spatial_layers(office, settings):
    settings.RENEWAL_COVERAGE = {"life_circle_kinds": ["middle_school", "clinic"], "life_circle_radius_m": 1000.0}
    # Two equal parcels, P1 in 第1街道第1社区, P2 in 第2街道第1社区, ~2 km apart.
    _load(office, "RES", "residential", [(box(101.708, 36.505, 101.709, 36.506), {"code": "P1"}),
                                         (box(101.730, 36.505, 101.731, 36.506), {"code": "P2"})])
    # A ~9,900 m² park 180–270 m from P1 (500 m tier): P1 wholly covered. A 1,000 m² park next to P2 counts for nothing.
    _load(office, "PARK", "park", [(box(101.705, 36.505, 101.706, 36.506), {"code": "G1", "name": "河湟公园"}),
                                   (box(101.7312, 36.505, 101.7313, 36.5059), {"code": "G2", "name": "口袋公园", "area_m2": 1000})])
    _load(office, "FAC", "facility", [(Point(101.7085, 36.5055), {"code": "F1", "kind": "消防站"}),
                                      (Point(101.7305, 36.5055), {"code": "M1", "kind": "middle_school"}),
                                      (Point(101.7305, 36.5140), {"code": "K1", "kind": "社区卫生服务站"})])


def test_layer_coverage_by_community_straight_line(spatial_layers):
    parcels = layers.residential_parcels()
    assert layers.coverage_summary("straight")["values"] == pytest.approx(
        {"park": 50.0, "fire_station": 50.0, "middle_school": 50.0, "life_circle": 50.0}, abs=0.05)
    park = layers.by_unit(parcels, layers.parcel_covered_area("park", parcels), "community")
    assert park == {f"{DIVISION}001001": 100.0, f"{DIVISION}002001": 0.0}
    provide = layers.coverage_provider("middle_school")
    assert provide(2025, "street") == {f"{DIVISION}001": 0.0, f"{DIVISION}002": 100.0}
    assert provide(2025, "compound") == {}


def test_life_circle_by_network_distance_where_roads_are_loaded(spatial_layers, office):
    # The clinic K1 is 943 m north of P2 in a straight line, but the road goes round: east 760 m,
    # north 943 m, west 760 m — 2.5 km, beyond the 1,000 m circle.
    _load(office, "ROAD", "road", [(LineString([(101.700, 36.5055), (101.739, 36.5055)]), {"code": "R1"}),
                                   (LineString([(101.739, 36.5055), (101.739, 36.5140)]), {"code": "R2"}),
                                   (LineString([(101.739, 36.5140), (101.7305, 36.5140)]), {"code": "R3"})])
    parcels = layers.residential_parcels()
    straight, used = layers.life_circle_served(parcels, "straight")
    assert used == "straight" and straight.tolist() == [False, True]
    network, used = layers.life_circle_served(parcels, "auto")
    assert used == "network" and network.tolist() == [False, False]
    assert layers.coverage_summary("network")["values"]["middle_school"] == pytest.approx(50.0, abs=0.05)


def test_layer_import_errors_name_the_feature_and_field_and_write_nothing(office, make_user):
    data = _fc([(Point(101.71, 36.51), {"code": "A", "kind": "消防站"}),
                (Point(101.71, 36.51), {"code": "B", "kind": "游泳馆"}),
                (box(101.70, 36.50, 101.71, 36.51), {"code": "A", "kind": "中学"}),
                (LineString([(101.70, 36.50), (101.71, 36.51)]), {"code": "C", "kind": "中学"})])
    report = layers.import_layer(office, read_geojson(data), code="FAC", name="设施", kind="facility")
    assert {(e.row, e.field) for e in report.errors} == {(2, "facility_kind"), (3, "code"), (4, "geometry")}
    assert not Layer.objects.exists() and not Feature.objects.exists()
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=[f"{DIVISION}001"])
    from chengyun.core.errors import Forbidden

    with pytest.raises(Forbidden):
        layers.import_layer(chief, read_geojson(_fc([(Point(101.71, 36.51), {"code": "A", "kind": "消防站"})])), code="F", name="设施", kind="facility")


def test_reimport_replaces_features_audited(office):
    _load(office, "FAC", "facility", [(Point(101.71, 36.51), {"code": "A", "kind": "消防站"})])
    _load(office, "FAC", "facility", [(Point(101.71, 36.51), {"code": "B", "kind": "消防站"}), (Point(101.72, 36.51), {"code": "C", "kind": "中学"})])
    layer = Layer.objects.get(code="FAC")
    assert layer.feature_count == 2 and sorted(layer.features.values_list("code", flat=True)) == ["B", "C"]
    assert AuditEntry.objects.filter(object_type="renewal.layer", verb="replace_features", action="action").exists()


def test_layer_upload_api_reads_geojson_and_zipped_shapefile(office, client, tmp_path):
    import io
    import zipfile

    import shapefile
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(office)
    r = client.post("/api/v1/renewal/layers", {"file": SimpleUploadedFile("parks.geojson", _fc([(box(101.705, 36.505, 101.706, 36.506), {"code": "G1"})])),
                                              "code": "PARK", "name": "公园", "kind": "park"})
    assert r.status_code == 200, r.content
    w = shapefile.Writer(str(tmp_path / "fac"), shapeType=shapefile.POINT)
    w.field("code", "C")
    w.field("kind", "C")
    w.point(101.71, 36.51)
    w.record("S1", "middle_school")
    w.close()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for ext in ("shp", "shx", "dbf"):
            z.write(tmp_path / f"fac.{ext}", f"fac.{ext}")
    r = client.post("/api/v1/renewal/layers", {"file": SimpleUploadedFile("fac.zip", buf.getvalue()), "code": "FAC", "name": "设施", "kind": "facility"})
    assert r.status_code == 200, r.content
    assert Feature.objects.get(code="S1").facility_kind == "middle_school"
    r = client.post("/api/v1/renewal/layers", {"file": SimpleUploadedFile("x.geojson", _fc([(Point(101.71, 36.51), {"code": "X", "kind": "游泳馆"})])),
                                              "code": "FAC2", "name": "设施", "kind": "facility"})
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["field"] == "facility_kind"
    assert client.get("/api/v1/renewal/layers").json()[0]["code"] in ("FAC", "PARK")


def test_coverage_is_computed_once_per_layer_state(spatial_layers, office, monkeypatch):
    calls = []
    real = layers.parcel_covered_area
    monkeypatch.setattr(layers, "parcel_covered_area", lambda *a: calls.append(a[0]) or real(*a))
    layers._computed.clear()
    provide = layers.coverage_provider("park")
    for kind in ("community", "street", "district"):
        provide(2025, kind)
    assert calls == ["park"]
    # A re-upload of the park layer (the small park grows past 2,000 m²) is seen at once.
    _load(office, "PARK", "park", [(box(101.705, 36.505, 101.706, 36.506), {"code": "G1"}),
                                   (box(101.7312, 36.505, 101.7313, 36.5059), {"code": "G2", "area_m2": 2500})])
    assert provide(2025, "community")[f"{DIVISION}002001"] == 100.0
    assert calls == ["park", "park"]
