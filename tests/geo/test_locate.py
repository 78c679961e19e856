"""Locate: point → street, community, grid, for every coordinate system, on edges and outside."""
import numpy as np
import pytest
from shapely.geometry import box, mapping

from chengyun.geo import index, services
from chengyun.geo.models import Grid
from chengyun.standards import coords
from support import DIVISION, X0, Y0, D, grid_center

pytestmark = pytest.mark.django_db

G = lambda s, c, q: f"{DIVISION}{s:03d}{c:03d}{q:03d}"  # noqa: E731


def test_centre_of_every_grid_resolves_to_that_grid(district):
    for g in Grid.objects.select_related("community", "street"):
        loc = services.locate(*grid_center(g.code))
        assert (loc.grid.code, loc.grid.community_code, loc.grid.street_code) == (g.code, g.community.code, g.street.code)
        assert loc.to_dict()["street"] == {"code": g.street.code, "name": g.street.name}


def test_point_on_shared_edge_takes_the_lowest_code(district):
    # The vertical edge between grid 1 and grid 2 of street 1, community 1.
    loc = services.locate(X0 + D, Y0 + D / 2)
    assert loc.grid.code == G(1, 1, 1)
    # The edge between two streets: street 1's grid 2 and street 2's grid 1.
    loc = services.locate(X0 + 2 * D, Y0 + D / 2)
    assert loc.grid.code == G(1, 1, 2)


def test_vertex_shared_by_four_grids_is_deterministic(district):
    assert services.locate(X0 + D, Y0 + D).grid.code == G(1, 1, 1)


def test_outer_boundary_is_inside_and_just_beyond_is_outside(district):
    assert services.locate(X0, Y0 + D / 2).grid.code == G(1, 1, 1)
    with pytest.raises(services.OutsideDistrict) as exc:
        services.locate(X0 - 1e-7, Y0 + D / 2)
    assert exc.value.status == 422 and "不在本区" in exc.value.message


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_every_coordinate_system(district, crs):
    lng, lat = grid_center(G(2, 2, 3))
    if crs == "gcj02":
        lng, lat = coords.wgs84_to_gcj02(lng, lat)
    elif crs == "bd09":
        lng, lat = coords.wgs84_to_bd09(lng, lat)
    loc = services.locate(lng, lat, crs)
    assert loc.grid.code == G(2, 2, 3)
    assert abs(loc.lng - grid_center(G(2, 2, 3))[0]) < 1e-6


def test_phone_offset_matters(district):
    # A GCJ-02 reading taken as WGS84 lands several hundred metres away: the conversion is real.
    lng, lat = coords.wgs84_to_gcj02(*grid_center(G(1, 1, 1)))
    assert services.locate(lng, lat, "gcj02").grid.code == G(1, 1, 1)
    assert (lng, lat) != pytest.approx(grid_center(G(1, 1, 1)), abs=1e-4)


def test_bad_crs_and_coordinates_are_422(district):
    with pytest.raises(services.Invalid):
        services.locate(101.7, 36.5, "epsg3857")
    with pytest.raises(services.Invalid):
        services.locate(float("nan"), 36.5)


def test_vectorised_matches_scalar(district):
    rng = np.random.default_rng(1)
    lng = rng.uniform(X0 - 0.005, X0 + 4 * D + 0.005, 500)
    lat = rng.uniform(Y0 - 0.005, Y0 + 4 * D + 0.005, 500)
    hits, idx = services.locate_many(lng, lat)
    for x, y, h in zip(lng, lat, hits):
        try:
            expected = services.locate(x, y).grid.code
        except services.OutsideDistrict:
            expected = None
        assert (idx.grids[h].code if h >= 0 else None) == expected


def test_index_follows_boundary_changes(district):
    assert services.locate(*grid_center(G(1, 1, 1))).grid.code == G(1, 1, 1)
    g = Grid.objects.get(code=G(1, 1, 1))
    # Shrink grid 1 to its left half: the right half is then outside every grid.
    g.geometry = __import__("json").dumps(mapping(box(X0, Y0, X0 + D / 2, Y0 + D)))
    g.save()
    index.bump()
    with pytest.raises(services.OutsideDistrict):
        services.locate(X0 + 0.75 * D, Y0 + D / 2)


def test_locate_api(district, make_user, api_client):
    api_client.as_user(make_user("community_grid_worker", unit="S01", grids=[G(1, 1, 1)]))
    lng, lat = coords.wgs84_to_bd09(*grid_center(G(2, 1, 4)))
    r = api_client.get("geo/locate", {"lng": lng, "lat": lat, "crs": "bd09"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["grid"]["code"] == G(2, 1, 4)
    assert body["community"]["code"] == G(2, 1, 4)[:12]
    assert body["street"] == {"code": G(2, 1, 4)[:9], "name": "第2街道"}
    r = api_client.get("geo/locate", {"lng": 120, "lat": 30})
    assert r.status_code == 422
    assert r.json()["code"] == "outside_district" and r.json()["message"]
    r = api_client.get("geo/locate", {"lng": 101.7, "lat": 36.5, "crs": "mars"})
    assert r.status_code == 422 and r.json()["code"] == "invalid"


def test_grids_feature_collection(district, make_user, api_client):
    api_client.as_user(make_user("ops_dispatcher"))
    r = api_client.get("geo/grids")
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 16
    props = fc["features"][0]["properties"]
    assert {"code", "name", "community", "street"} <= set(props)
    assert fc["features"][0]["geometry"]["type"] == "Polygon"
    assert len(api_client.get("geo/grids", {"street": f"{DIVISION}002"}).json()["features"]) == 8


def test_grid_detail_lists_assigned_people(district, make_user, api_client):
    worker = make_user("community_grid_worker", unit="S01", grids=[G(1, 1, 1)])
    api_client.as_user(make_user("ops_dispatcher"))
    body = api_client.get(f"geo/grids/{G(1, 1, 1)}").json()
    assert body["community"]["code"] == G(1, 1, 1)[:12]
    assert [p["name"] for p in body["people"]] == [worker.person.name]


def test_raster_shortcut_gives_the_exact_answer(district):
    """The raster answers most points without a geometry test; it must agree with the exact test,
    also on grid edges and vertices, which lie on raster-cell boundaries here."""
    idx = index.get_index()
    assert idx.raster is not None and (idx.raster >= 0).any()
    rng = np.random.default_rng(7)
    lng = np.concatenate([rng.uniform(X0 - 0.002, X0 + 4 * D + 0.002, 20_000), X0 + D * rng.integers(0, 5, 2000)])
    lat = np.concatenate([rng.uniform(Y0 - 0.002, Y0 + 4 * D + 0.002, 20_000), Y0 + D * rng.uniform(0, 4, 2000)])
    assert (idx.locate_many(lng, lat) == idx._exact(lng, lat)).all()
