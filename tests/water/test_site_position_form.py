"""Moving a section or outfall from its edit form: the map's lng/lat (or typed GCJ-02/BD-09)."""
import pytest
from support import X0, Y0, grid_center

from chengyun.core.models import AuditEntry
from chengyun.standards import coords
from chengyun.water.models import Outfall, Section

pytestmark = pytest.mark.django_db
G_OTHER = "630109002002004"


@pytest.fixture
def ops_client(client, make_user):
    client.force_login(make_user("ops_shift_leader"))
    return client


def section_form(water, **extra):
    return {"name": "北川河桥断面", "target_class": "3", "chief": str(water.chief.pk), "reach": "R01-S1", "active": "1", **extra}


def test_the_edit_form_carries_the_map_and_the_position(water, ops_client):
    s = water.section
    html = ops_client.get("/water/sections/WQ01/").content.decode()
    assert 'class="site-pick-map"' in html and f'name="lng" value="{s.lng:.7f}"' in html and 'name="crs"' in html
    assert "water/site_position.js" in html and "<script>" not in html
    html = ops_client.get("/water/outfalls/PK01/").content.decode()
    assert 'class="site-pick-map"' in html and f'name="lat" value="{water.outfall.lat:.7f}"' in html


def test_saving_a_new_position_moves_the_site_through_the_update_service(water, ops_client):
    lng, lat = grid_center(G_OTHER)
    r = ops_client.post("/water/sections/WQ01/", section_form(water, lng=f"{lng:.7f}", lat=f"{lat:.7f}", crs="wgs84"), follow=True)
    assert "已保存" in r.content.decode()
    s = Section.objects.select_related("grid", "street").get(code="WQ01")
    assert s.grid.code == G_OTHER and s.street.code == G_OTHER[:9] and abs(s.lng - lng) < 1e-7
    entry = AuditEntry.objects.filter(object_type="water.section", object_id=str(s.pk), action="update").latest("id")
    assert set(entry.after) >= {"lng", "lat", "grid_id", "street_id"}


@pytest.mark.parametrize("crs, convert", [("gcj02", coords.wgs84_to_gcj02), ("bd09", coords.wgs84_to_bd09)])
def test_typed_gcj02_and_bd09_are_converted(water, ops_client, crs, convert):
    lng, lat = grid_center(G_OTHER)
    x, y = convert(lng, lat)
    ops_client.post("/water/outfalls/PK01/", {"form": "site", "name": "二号雨水排口", "kind": "rain", "unit": "D02", "reach": "", "active": "1",
                                              "lng": x, "lat": y, "crs": crs})
    o = Outfall.objects.get(code="PK01")
    assert o.grid.code == G_OTHER and abs(o.lng - lng) < 1e-5 and abs(o.lat - lat) < 1e-5


def test_an_unchanged_position_does_not_relocate_and_other_fields_still_save(water, ops_client):
    s = water.section
    ops_client.post("/water/sections/WQ01/", section_form(water, name="改名断面", lng=f"{s.lng:.7f}", lat=f"{s.lat:.7f}", crs="wgs84"))
    entry = AuditEntry.objects.filter(object_type="water.section", object_id=str(s.pk), action="update").latest("id")
    assert set(entry.after) == {"name"}


@pytest.mark.parametrize("form, message", [
    ({"lng": "东经", "lat": "36.5"}, "经度和纬度应为数字"),
    ({"lng": str(X0 - 0.5), "lat": str(Y0), "crs": "wgs84"}, "该位置不在本区范围内"),
    ({"lng": "101.7", "lat": "36.5", "crs": "mercator"}, "未知的坐标系"),
])
def test_bad_positions_are_refused_and_nothing_changes(water, ops_client, form, message):
    before = Section.objects.get(code="WQ01")
    r = ops_client.post("/water/sections/WQ01/", section_form(water, name="不该保存", **form), follow=True)
    assert message in r.content.decode()
    after = Section.objects.get(code="WQ01")
    assert (after.lng, after.lat, after.grid_id, after.name) == (before.lng, before.lat, before.grid_id, before.name)


def test_others_cannot_move_a_site(water, client, make_user):
    lng, lat = grid_center(G_OTHER)
    client.force_login(water.chief_user)
    assert 'class="site-pick-map"' not in client.get("/water/sections/WQ01/").content.decode()
    assert client.post("/water/sections/WQ01/", section_form(water, lng=lng, lat=lat)).status_code == 403
    client.force_login(make_user("community_grid_worker", unit="S02", grids=[G_OTHER]))
    assert client.post("/water/outfalls/PK01/", {"form": "site", "lng": lng, "lat": lat}).status_code in (403, 404)
    assert Section.objects.get(code="WQ01").grid.code != G_OTHER and Outfall.objects.get(code="PK01").grid.code != G_OTHER
