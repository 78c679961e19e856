"""Spatial indicators from layers, against hand-computed fixtures (areas by the circle-segment
formulas; distances by the lattice of the fixture)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon, box, mapping

from chengyun.core.errors import Invalid
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


def test_facilities_sharing_a_road_node_walk_the_shorter_way():
    graph = coverage.RoadGraph.from_lines(np.array([LineString([(0, 0), (1000, 0)])], dtype=object))
    # Both schools join the road at (0, 0): the shorter walk (0 m) counts, not 0 + 10 m.
    schools = np.array([Point(0, 0), Point(0, 10)], dtype=object)
    assert coverage.within_network(np.array([Point(500, 0)], dtype=object), schools, 505, graph).tolist() == [True]


def test_park_boundary_points_follow_the_outer_ring_only():
    park = Polygon([(0, 0), (100, 0), (100, 60), (0, 60)], holes=[[(40, 20), (60, 20), (60, 40), (40, 40)]])
    pts = coverage.boundary_points(np.array([park], dtype=object), 25.0)
    xy = {(round(p.x, 6), round(p.y, 6)) for p in pts}
    # 100 m sides in four 25 m steps, 60 m sides in three 20 m steps; the hole gives no way in.
    assert xy == {(x, y) for x in (0, 25, 50, 75, 100) for y in (0, 60)} | {(x, y) for x in (0, 100) for y in (20, 40)}


def test_park_coverage_by_network_distance_per_size_class():
    """Hand-computed (metres). Road A runs along y = 0 from x = −1000 to 2000 (a node every 50 m);
    road B goes north at x = 1000 to y = 300 and road C back west along y = 300 to x = 0.
    Park G (10,000 m², 500 m class) sits on road A at x 0–100; park S (3,000 m², 300 m class)
    10 m north of road A at x −300…−250; park T (400 m²) counts for nothing."""
    roads = np.array([LineString([(-1000, 0), (2000, 0)]), LineString([(1000, 0), (1000, 300)]),
                      LineString([(1000, 300), (0, 300)])], dtype=object)
    graph = coverage.RoadGraph.from_lines(roads)
    parks = np.array([box(0, 0, 100, 100), box(-300, 10, -250, 70), box(-700, 30, -680, 50)], dtype=object)
    radii = coverage.park_radii(np.array([p.area for p in parks]), [(5000, 500), (2000, 300)])
    assert radii.tolist() == [500, 300, 0]
    parcels = np.array([
        box(25, 240, 75, 290),    # north of G across open ground: point (50, 265) on road C
        box(450, 0, 650, 10),     # east of G along road A: point (550, 5)
        box(-520, 0, -500, 20),   # west, near S: point (−510, 10)
        box(-670, 0, -650, 20),   # further west, beside T: point (−660, 10)
    ], dtype=object)
    points = np.array([p.representative_point() for p in parcels], dtype=object)
    assert [(p.x, p.y) for p in points] == [(50, 265), (550, 5), (-510, 10), (-660, 10)]
    straight = coverage.parks_within(points, parks, radii)
    network = coverage.parks_within(points, parks, radii, graph, spacing=25.0)
    # Parcel 1: 165 m from G in a straight line, but the road from G goes east 900, north 300,
    # west 950 and 35 m to the point: 2,185 m. Straight says covered, network says not.
    assert straight[0] and not network[0]
    # Parcel 2: 450 m along road A from G's corner node (100, 0), then 5 m: 455 ≤ 500, so the
    # whole parcel counts by network, while by straight line only x ≤ 600 of it is within 500 m
    # (1,500 of its 2,000 m²) — network covers more than straight-line here.
    assert network[1]
    covered = coverage.area_coverage(parcels, parks[radii > 0], radii[radii > 0])
    assert covered[1] == pytest.approx(1500) and covered[0] == pytest.approx(2500)
    # Parcel 3: from S's corner (−300, 10) 10 m to node (−300, 0), 200 m west, √200 m to the
    # point: 224.1 ≤ 300. From G it would be 500 + √200 > 500: S's own class covers it.
    # Parcel 4: 374.1 from S (> 300, though < 500) and 664.1 from G; T is too small to count.
    assert network.tolist() == [False, True, True, False]
    assert straight.tolist() == [True, True, True, False]
    dist_s = graph.distance_from(coverage.boundary_points(parks[1:2], 25.0))
    node, walk = graph.nearest(points)
    assert (dist_s[node] + walk)[2:] == pytest.approx([10 + 200 + math.sqrt(200), 10 + 350 + math.sqrt(200)])


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


def test_park_coverage_goes_by_the_roads_where_a_road_layer_is_loaded(spatial_layers, office, client):
    # A second big park G3 (~8,900 m²) 344–455 m north of P2 over open ground, fronting a road
    # R3 that joins P2's road R1 only 800 m east: covered in a straight line, not along the roads.
    _load(office, "PARK", "park", [(box(101.705, 36.505, 101.706, 36.506), {"code": "G1"}),
                                   (box(101.7312, 36.505, 101.7313, 36.5059), {"code": "G2", "area_m2": 1000}),
                                   (box(101.7300, 36.5091, 101.7310, 36.5100), {"code": "G3"})])
    parcels = layers.residential_parcels()
    assert layers.point_served("park", parcels, "straight").tolist() == [True, True]
    assert layers.coverage_summary("straight")["values"]["park"] == pytest.approx(100.0, abs=0.05)
    with pytest.raises(Invalid):
        layers.point_served("park", parcels, "network")
    provide = layers.coverage_provider("park")
    assert provide(2025, "community") == {f"{DIVISION}001001": 100.0, f"{DIVISION}002001": 100.0}
    _load(office, "ROAD", "road", [(LineString([(101.700, 36.5055), (101.739, 36.5055)]), {"code": "R1"}),
                                   (LineString([(101.739, 36.5055), (101.739, 36.5090)]), {"code": "R2"}),
                                   (LineString([(101.739, 36.5090), (101.7300, 36.5090)]), {"code": "R3"})])
    # G1 lies on R1 ~200 m from P1: still covered. P2 is now ~1.9 km away along the roads.
    assert layers.point_served("park", parcels, "network").tolist() == [True, False]
    assert layers.coverage_summary("network")["values"]["park"] == pytest.approx(50.0, abs=0.05)
    # The computed indicator (the "compute" path and the demo) now goes by the roads.
    assert provide(2025, "community") == {f"{DIVISION}001001": 100.0, f"{DIVISION}002001": 0.0}
    assert provide(2025, "district") == {DIVISION: pytest.approx(50.0, abs=0.05)}
    client.force_login(office)
    page = client.get("/renewal/layers/").content.decode()
    assert "公园绿化活动场地服务半径覆盖率</td><td>100.0%</td><td>50.0%</td>" in page
