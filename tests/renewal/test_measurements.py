"""Measurements: entered by the responsible department, imported from Excel, computed by providers; verdicts."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from chengyun.core.errors import Forbidden, Invalid
from chengyun.core.models import AuditEntry
from chengyun.geo import compounds
from chengyun.people import roles as R
from chengyun.renewal.models import Measurement
from chengyun.renewal.services import indicators, measurements, verdicts
from support import DIVISION

C11, C12, C21 = f"{DIVISION}001001", f"{DIVISION}001002", f"{DIVISION}002001"
S1, S2 = f"{DIVISION}001", f"{DIVISION}002"


@pytest.fixture
def national(office, units):
    return indicators.load_national_set(office, 2025)


def _xlsx(rows):
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_responsible_department_enters_values_others_are_refused(national, make_user):
    ind = national.indicators.get(code="IND-HOUSE-003")  # 住建
    housing = make_user(R.DEPT_HANDLER, unit="D02")
    m = measurements.record(housing, ind, unit_kind="community", unit_code=C11, value=3)
    assert (m.year, m.community.code, m.street.code, m.origin) == (2025, C11, S1, "entered")
    measurements.record(housing, ind, unit_kind="community", unit_code=C11, value=2, note="复核更正")
    m.refresh_from_db()
    assert m.value == 2
    assert list(AuditEntry.objects.filter(object_type="renewal.measurement").order_by("id").values_list("action", flat=True)) == ["create", "update"]
    other = make_user(R.DEPT_HANDLER, unit="D01")
    with pytest.raises(Forbidden):
        measurements.record(other, ind, unit_kind="community", unit_code=C12, value=1)
    with pytest.raises(Invalid) as e:
        measurements.record(housing, ind, unit_kind="community", unit_code=C12, value=1.5)
    assert e.value.detail == {"field": "value"}
    rate = national.indicators.get(code="IND-COMM-012")
    with pytest.raises(Invalid):
        measurements.record(housing, rate, unit_kind="community", unit_code=C12, value=120)
    with pytest.raises(Invalid) as e:
        measurements.record(housing, ind, unit_kind="community", unit_code="630109009009", value=1)
    assert e.value.code == "unknown_unit"
    computed = national.indicators.get(code="IND-COMM-010")
    with pytest.raises(Invalid) as e:
        measurements.record(housing, computed, unit_kind="community", unit_code=C11, value=1)
    assert e.value.code == "computed_indicator"
    assert Measurement.objects.count() == 1


def test_excel_import_is_all_or_nothing_with_rows_named(national, office):
    header = ("指标编码", "单元类型", "单元编码", "数值", "说明")
    bad = _xlsx([header, ("IND-HOUSE-003", "社区", C11, 3, ""), ("IND-HOUSE-003", "社区", C12, "三", ""),
                 ("IND-NOPE", "社区", C12, 1, ""), ("IND-HOUSE-001", "乡镇", C12, 1, ""), ("IND-HOUSE-003", "社区", C11, 4, "")])
    report = measurements.import_xlsx(office, national, bad)
    assert {(e.row, e.field) for e in report.errors} == {(3, "数值"), (4, "指标编码"), (5, "单元类型"), (6, "单元编码")}
    assert not Measurement.objects.exists()
    good = _xlsx([header, ("IND-HOUSE-003", "社区", C11, 3, ""), ("IND-HOUSE-003", "community", C12, 0, ""), ("IND-HOUSE-001", "街道(街区)", S1, 2, "")])
    report = measurements.import_xlsx(office, national, good)
    assert report.ok and report.created == 3
    assert Measurement.objects.get(unit_code=S1).street.code == S1


def test_compute_counts_unmanaged_compounds_and_severe_waterlogging(national, office, make_user):
    from chengyun.drainage.models import Node, OverflowRecord
    from chengyun.geo.models import Grid

    admin = make_user(R.SYSADMIN)
    for i, (comm, mode) in enumerate([(C11, "none"), (C11, "none"), (C11, "professional"), (C21, "none"), (C12, "community_quasi")]):
        compounds.create_compound(admin, code=f"XQ{i}", name=f"小区{i}", community=comm, management_mode=mode)
    g = Grid.objects.get(code=f"{C21}001")
    node = Node.objects.create(code="YS-1", lng=101.721, lat=36.501, grid=g, street=g.street)
    once = Node.objects.create(code="YS-2", lng=101.722, lat=36.502, grid=g, street=g.street)
    tz = dt.timezone(dt.timedelta(hours=8))
    for day in (3, 9):
        OverflowRecord.objects.create(node=node, occurred_at=dt.datetime(2025, 7, day, 14, tzinfo=tz))
    OverflowRecord.objects.create(node=once, occurred_at=dt.datetime(2025, 7, 3, 14, tzinfo=tz))
    OverflowRecord.objects.create(node=once, occurred_at=dt.datetime(2024, 7, 3, 14, tzinfo=tz))
    done = measurements.compute(office, 2025)
    assert done["IND-COMM-010"] == 4 + 2 + 1
    values = {(m.indicator.code, m.unit_kind, m.unit_code): m.value for m in Measurement.objects.select_related("indicator")}
    assert values[("IND-COMM-010", "community", C11)] == 2
    assert values[("IND-COMM-010", "community", C21)] == 1
    assert values[("IND-COMM-010", "community", C12)] == 0
    assert values[("IND-COMM-010", "street", S1)] == 2
    assert values[("IND-COMM-010", "district", DIVISION)] == 3
    assert values[("IND-CITY-011", "community", C21)] == 1  # YS-2 overflowed once in 2025: not severe
    assert values[("IND-CITY-011", "district", DIVISION)] == 1
    assert all(m.origin == "computed" for m in Measurement.objects.all())
    # A second run updates in place.
    measurements.compute(office, 2025)
    assert Measurement.objects.filter(indicator__code="IND-COMM-010").count() == 7


def test_verdict_and_year_on_year(office, units):
    s24 = indicators.load_national_set(office, 2024)
    s25 = indicators.load_national_set(office, 2025)
    for s, v in ((s24, 4), (s25, 2)):
        measurements.record(office, s.indicators.get(code="IND-HOUSE-003"), unit_kind="community", unit_code=C11, value=v)
    rate24, rate25 = (s.indicators.get(code="IND-COMM-012") for s in (s24, s25))
    indicators.update_indicator(office, rate25, target_value=80)
    measurements.record(office, rate24, unit_kind="community", unit_code=C11, value=70)
    measurements.record(office, rate25, unit_kind="community", unit_code=C11, value=65)
    rows = {r.indicator.code: r for r in verdicts.evaluate(2025)}
    house = rows["IND-HOUSE-003"]
    assert (house.previous, house.verdict.status, house.verdict.trend) == (4, "unmet", "improved")
    assert house.verdict.status_label == "不达标" and house.verdict.trend_label == "较上年改善"
    green = rows["IND-COMM-012"]
    assert (green.verdict.status, green.verdict.trend) == ("unmet", "worsened")
    assert verdicts.judge("higher", 80, 80).status == "met"
    assert verdicts.judge("lower", 0, 0, 0).trend == "same"
    assert verdicts.judge("higher", None, 50).status == "no_target"


def test_measurement_api_lists_with_verdicts_and_computes(office, units, api_client):
    s = indicators.load_national_set(office, 2025)
    ind = s.indicators.get(code="IND-HOUSE-003")
    r = api_client.as_user(office).post("renewal/measurements", {"indicator_id": ind.id, "unit_kind": "community", "unit_code": C11, "value": "5"})
    assert r.status_code == 201 and r.json()["status"] == "unmet"
    r = api_client.post("renewal/measurements", {"indicator_id": ind.id, "unit_kind": "community", "unit_code": C11, "value": "五"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "value"
    r = api_client.get("renewal/measurements", {"year": 2025, "indicator": "IND-HOUSE-003"})
    assert r.json()["count"] == 1 and r.json()["results"][0]["value"] == 5
    r = api_client.post("renewal/measurements/compute", {"year": 2025})
    assert r.status_code == 200 and "IND-COMM-010" in r.json()["values"]
