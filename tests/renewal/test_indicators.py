"""Indicator sets: the shipped national basic set, Excel round trip, row-level import errors, 特色指标."""
from __future__ import annotations

import io

import openpyxl
import pytest

from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.renewal.models import Indicator, IndicatorSet
from chengyun.renewal.services import indicators


def _xlsx(rows):
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = ("指标编码", "维度", "二级维度", "指标名称", "计量单位", "指标类型", "取值类型", "方向", "指标来源", "责任部门", "数据来源", "目标值", "计算方式")


def test_national_set_ships_four_dimensions_with_departments_and_providers(office, units):
    s = indicators.load_national_set(office, 2025)
    inds = {i.code: i for i in s.indicators.all()}
    assert len(inds) == 52
    dims = {d: sum(1 for i in inds.values() if i.dimension == d) for d in ("housing", "compound", "block", "city")}
    assert dims == {"housing": 10, "compound": 12, "block": 9, "city": 21}
    assert inds["IND-HOUSE-001"].name == "存在结构安全隐患的住宅数量" and inds["IND-HOUSE-001"].unit == "栋"
    assert inds["IND-HOUSE-003"].responsible_unit == units["D02"]  # 住建
    assert inds["IND-COMM-010"].computed_by == "geo.compounds_without_management"
    assert inds["IND-CITY-011"].computed_by == "drainage.severe_waterlogging_points"
    assert all(i.source == Indicator.Source.NATIONAL for i in inds.values())
    with pytest.raises(Conflict):
        indicators.load_national_set(office, 2025)
    assert AuditEntry.objects.filter(object_type="renewal.indicator", action="create").count() == 52


def test_only_the_office_builds_sets(make_user, units):
    other = make_user(R.DEPT_HANDLER, unit="D01")
    with pytest.raises(Forbidden):
        indicators.load_national_set(other, 2025)
    assert not IndicatorSet.objects.exists()


def test_export_imports_back_unchanged(office, units):
    s = indicators.load_national_set(office, 2024)
    data = indicators.export_xlsx(s)
    copy = indicators.create_set(office, year=2026, name="副本")
    report = indicators.import_xlsx(office, copy, data)
    assert report.ok and report.created == 52
    fields = ("code", "dimension", "aspect", "name", "unit", "kind", "value_kind", "direction", "source", "responsible_unit_id",
              "data_source", "target_value", "computed_by")
    a = sorted(s.indicators.values_list(*fields))
    b = sorted(copy.indicators.values_list(*fields))
    assert a == b


def test_import_errors_name_row_and_field_and_write_nothing(office, units):
    s = indicators.create_set(office, year=2025, name="区体检指标")
    data = _xlsx([HEADER,
                  ("T-1", "住房", "安全耐久", "好指标", "栋", "底线", "问题数量", "越低越好", "区特色", "D02", "", 0, ""),
                  ("T-2", "乡村", "", "维度不对", "个", "", "", "", "", "", "", "", ""),
                  ("T-3", "街区", "", "目标不是数", "%", "导向", "比率", "越高越好", "", "", "", "约九成", ""),
                  ("T-1", "城区(城市)", "", "编码重复", "个", "", "", "", "", "", "", "", "")])
    report = indicators.import_xlsx(office, s, data)
    errors = {(e.row, e.field) for e in report.errors}
    assert errors == {(3, "维度"), (4, "目标值"), (5, "指标编码")}
    assert "第 2 行" in [e.message for e in report.errors if e.row == 5][0]
    assert not report.written and not s.indicators.exists()


def test_import_api_answers_422_with_rows(office, units, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    s = indicators.create_set(office, year=2025, name="区体检指标")
    bad = _xlsx([HEADER, ("T-2", "乡村", "", "维度不对", "个", "", "", "", "", "", "", "", "")])
    client.force_login(office)
    r = client.post(f"/api/v1/renewal/indicator-sets/{s.id}/import", {"file": SimpleUploadedFile("x.xlsx", bad)})
    assert r.status_code == 422
    first = r.json()["detail"]["errors"][0]
    assert r.json()["code"] == "import_errors" and (first["row"], first["field"]) == (2, "维度")
    assert not s.indicators.exists()


def test_district_feature_indicator_by_api(office, units, api_client, make_user):
    s = indicators.create_set(office, year=2025, name="区体检指标")
    payload = {"code": "HH-001", "dimension": "block", "name": "背街小巷环境达标率", "unit": "%", "value_kind": "rate",
               "direction": "higher", "target_value": 90, "department": "D01"}
    r = api_client.as_user(office).post(f"renewal/indicator-sets/{s.id}/indicators", payload)
    assert r.status_code == 201, r.content
    assert r.json()["source"] == "district" and r.json()["responsible_unit"] == "D01"
    r = api_client.post(f"renewal/indicator-sets/{s.id}/indicators", payload)
    assert r.status_code == 409
    r = api_client.post(f"renewal/indicator-sets/{s.id}/indicators", {**payload, "code": "HH-002", "dimension": "乡村"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "dimension"
    outsider = make_user(R.STREET_CHIEF, unit="S01", streets=["630109001"])
    r = api_client.as_user(outsider).post(f"renewal/indicator-sets/{s.id}/indicators", {**payload, "code": "HH-003"})
    assert r.status_code == 403
    assert s.indicators.count() == 1


def test_responsible_department_changes_only_its_targets(office, units, make_user):
    s = indicators.load_national_set(office, 2025)
    ind = s.indicators.get(code="IND-HOUSE-003")
    indicators.update_indicator(office, ind, responsible_unit=units["D01"])
    outsider = make_user(R.DEPT_HANDLER, unit="S01")
    with pytest.raises(Forbidden):
        indicators.update_indicator(outsider, ind, target_value=1)
    city = make_user(R.DEPT_HANDLER, unit="D01")
    indicators.update_indicator(city, ind, target_value=2)
    with pytest.raises(Invalid) as e:
        indicators.update_indicator(city, ind, name="改名")
    assert e.value.code == "field_not_allowed"
    ind.refresh_from_db()
    assert (ind.target_value, ind.name) == (2, "存在楼道安全隐患的住宅数量")
    with pytest.raises(Invalid):
        indicators.update_indicator(office, ind, computed_by="no.such.provider")


def test_department_by_specialty_prefers_the_district_department(office, units):
    from chengyun.geo.models import Unit

    Unit.objects.create(code="C03", name="绿源园林养护有限公司", kind=Unit.Kind.CONTRACTOR, specialty="园林")
    garden = Unit.objects.create(code="D06", name="区园林绿化服务中心", kind=Unit.Kind.DEPARTMENT, specialty="园林")
    s = indicators.load_national_set(office, 2025)
    assert s.indicators.get(code="IND-BLOCK-005").responsible_unit == garden
