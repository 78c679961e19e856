"""The health-check pages render for their users, and their forms go through the services."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from shapely.geometry import box, mapping

from chengyun.people import roles as R
from chengyun.renewal import workflow
from chengyun.renewal.models import IndicatorSet, Layer, Measurement, Problem
from chengyun.renewal.services import indicators, ledger, measurements
from support import DIVISION

C11 = f"{DIVISION}001001"


@pytest.fixture
def year(office, units):
    s = indicators.load_national_set(office, 2025)
    ind = s.indicators.get(code="IND-HOUSE-003")
    measurements.record(office, ind, unit_kind="community", unit_code=C11, value=2)
    measurements.record(office, ind, unit_kind="district", unit_code=DIVISION, value=2)
    return s


def test_dashboard_shows_dimensions_verdicts_and_the_map(year, office, client):
    client.force_login(office)
    r = client.get("/renewal/", {"year": 2025})
    text = r.content.decode()
    assert r.status_code == 200
    for label in ("住房", "小区(社区)", "街区", "城区(城市)"):
        assert f"<h2>{label}" in text
    assert "不达标" in text and 'id="choropleth"' in text and "renewal/choropleth.js" in text
    assert "<script>" not in text.split("</header>", 1)[1]  # no inline scripts in the page body
    geo = client.get("/api/v1/renewal/choropleth", {"year": 2025, "indicator": "IND-HOUSE-003"}).json()
    by_code = {f["properties"]["code"]: f["properties"] for f in geo["features"]}
    assert by_code[C11]["status"] == "unmet" and by_code[C11]["value"] == 2
    assert len(geo["features"]) == 4


def test_indicator_page_forms(units, office, client, make_user):
    client.force_login(office)
    r = client.post("/renewal/indicators/", {"action": "national", "new_year": "2025"}, follow=True)
    assert "已建立" in r.content.decode() and IndicatorSet.objects.filter(year=2025).exists()
    s = IndicatorSet.objects.get(year=2025)
    ind = s.indicators.get(code="IND-HOUSE-001")
    r = client.post("/renewal/indicators/?year=2025", {"action": "measurement", "set": s.id, "indicator": ind.id,
                                                      "unit_kind": "community", "unit_code": C11, "value": "abc"}, follow=True)
    assert "不是数字" in r.content.decode() and not Measurement.objects.exists()
    wb = openpyxl.Workbook()
    wb.active.append(["指标编码", "单元类型", "单元编码", "数值"])
    wb.active.append(["IND-HOUSE-001", "社区", C11, "多"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/renewal/indicators/?year=2025", {"action": "measurements", "set": s.id, "file": SimpleUploadedFile("v.xlsx", buf.getvalue())}, follow=True)
    assert "第 2 行 数值" in r.content.decode() and not Measurement.objects.exists()
    r = client.get(f"/renewal/indicators/{s.id}/export.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=[f"{DIVISION}001"])
    client.force_login(chief)
    r = client.post("/renewal/indicators/", {"action": "national", "new_year": "2026"}, follow=True)
    assert "只有城市体检办公室" in r.content.decode() and not IndicatorSet.objects.filter(year=2026).exists()


def test_problem_pages_detail_actions_and_finding_form(year, office, client):
    ledger.generate_from_measurements(office, 2025)
    p = Problem.objects.get()
    client.force_login(office)
    assert client.get("/renewal/problems/").status_code == 200
    r = client.get(f"/renewal/problems/{p.id}/")
    assert r.status_code == 200 and "开始整改" in r.content.decode()
    client.post(f"/renewal/problems/{p.id}/", {"action": "link_project", "project_key": "renewal.project:4"})
    remedy = p.remedies.get()
    client.post(f"/renewal/problems/{p.id}/", {"action": "accept", "remedy": remedy.id})
    r = client.post(f"/renewal/problems/{p.id}/", {"action": "return", "note": ""}, follow=True)
    assert "需要填写说明" in r.content.decode()
    client.post(f"/renewal/problems/{p.id}/", {"action": "close", "note": "复核已整改"})
    p.refresh_from_db()
    assert p.state == workflow.CLOSED
    r = client.get("/renewal/problems/new/")
    assert r.status_code == 200 and "飞线充电" in r.content.decode()
    r = client.post("/renewal/problems/new/", {"year": "2025", "problem_type": "楼道堆物", "lng": "101.705", "lat": "36.505", "severity": "minor"}, follow=True)
    assert "已登记问题" in r.content.decode()
    assert Problem.objects.filter(origin="finding").count() == 1


def test_layers_page_uploads_and_shows_coverage(office, client):
    client.force_login(office)
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "P1"},
                                                     "geometry": mapping(box(101.708, 36.505, 101.709, 36.506))}]}
    r = client.post("/renewal/layers/", {"code": "RES", "name": "居住用地", "kind": "residential",
                                         "file": SimpleUploadedFile("res.geojson", json.dumps(fc).encode())}, follow=True)
    assert "图层已导入" in r.content.decode() and Layer.objects.get().feature_count == 1
    assert "当前覆盖率" in r.content.decode()
    r = client.post("/renewal/layers/", {"code": "X", "name": "坏", "kind": "residential",
                                         "file": SimpleUploadedFile("x.txt", b"abc")}, follow=True)
    assert "请上传 GeoJSON" in r.content.decode()
