"""The ecologically clean small watershed verdict at its thresholds; a value outside its range names the field."""
from __future__ import annotations

import pytest

from chengyun.core.errors import Invalid

pytestmark = pytest.mark.django_db


def test_at_the_target_is_met_and_one_step_beyond_is_not(watershed, sheet):
    from chengyun.watershed.services import watersheds as ws

    ws.record_values(None, watershed, 2025, {"erosion_control": 80, "forest_cover": 45, "erosion_modulus": 500})
    v = ws.verdict(watershed, 2025)
    assert v.status == ws.MET and [ln.status for ln in v.lines] == ["met"] * 3
    ws.record_values(None, watershed, 2025, {"erosion_control": 79.9})
    v = ws.verdict(watershed, 2025)
    assert v.status == ws.UNMET and v.lines[0].status == "unmet"
    ws.record_values(None, watershed, 2025, {"erosion_control": 80, "erosion_modulus": 500.1})
    assert ws.verdict(watershed, 2025).status == ws.UNMET


def test_missing_values_leave_the_verdict_open_but_a_failure_decides(watershed, sheet):
    from chengyun.watershed.services import watersheds as ws

    ws.record_values(None, watershed, 2024, {"erosion_control": 85})
    assert ws.verdict(watershed, 2024).status == ws.MISSING
    ws.record_values(None, watershed, 2024, {"forest_cover": 30})
    assert ws.verdict(watershed, 2024).status == ws.UNMET


def test_a_value_outside_its_range_names_the_field_and_stores_nothing(watershed, sheet):
    from chengyun.watershed.models import IndicatorValue
    from chengyun.watershed.services import watersheds as ws

    with pytest.raises(Invalid) as e:
        ws.record_values(None, watershed, 2025, {"erosion_control": 90, "forest_cover": 120})
    assert e.value.code == "value_out_of_range" and e.value.detail["field"] == "values.forest_cover"
    assert "林草覆盖率" in e.value.message
    assert not IndicatorValue.objects.exists()


def test_the_api_refuses_out_of_range_with_422_naming_the_field(watershed, sheet, make_user, api_client):
    from chengyun.people import roles as R

    api_client.as_user(make_user(R.SYSADMIN))
    r = api_client.post(f"watersheds/{watershed.code}/values", {"year": 2025, "values": {"erosion_modulus": -3}})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "values.erosion_modulus"
    r = api_client.post(f"watersheds/{watershed.code}/values", {"year": 2025, "values": {"erosion_control": 81, "forest_cover": 50, "erosion_modulus": 300}})
    assert r.status_code == 200 and r.json()["status"] == "met"
    sheet_ = api_client.get(f"/api/v1/watersheds/{watershed.code}/sheet", {"year": 2025}).json()
    assert sheet_["trend"]["years"] == [2025]


def test_boundary_import_geojson_and_shapefile(watershed, tmp_path):
    import io
    import zipfile

    import shapefile

    from chengyun.watershed.services import watersheds as ws

    base = tmp_path / "b"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON) as w:
        w.field("name", "C")
        w.poly([[[101.70, 36.50], [101.70, 36.53], [101.73, 36.53], [101.73, 36.50], [101.70, 36.50]]])
        w.record("x")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for ext in ("shp", "shx", "dbf"):
            z.write(f"{base}.{ext}", f"b.{ext}")
    geo = ws.read_boundary_file("b.zip", buf.getvalue())
    ws.set_boundary(None, watershed, geo)
    watershed.refresh_from_db()
    assert watershed.origin == "imported" and 8 < watershed.area_km2 < 9  # 0.03° × 0.03° near 36.5°N ≈ 8.9 km²
    with pytest.raises(Invalid) as e:
        ws.set_boundary(None, watershed, {"type": "Point", "coordinates": [1, 2]})
    assert e.value.detail["field"] == "boundary"
