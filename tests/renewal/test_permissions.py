"""Every write of the health check is refused to those outside the office, the department or the area."""
from __future__ import annotations

import io

import openpyxl
import pytest

from chengyun.core.errors import Forbidden
from chengyun.people import roles as R
from chengyun.renewal import services, workflow
from chengyun.renewal.models import Measurement
from chengyun.renewal.services import indicators, ledger, measurements
from support import DIVISION

C11 = f"{DIVISION}001001"


@pytest.fixture
def national(office, units):
    return indicators.load_national_set(office, 2025)


@pytest.fixture
def city_handler(make_user):
    return make_user(R.DEPT_HANDLER, unit="D01")


@pytest.mark.parametrize("call", [
    lambda user, s: measurements.compute(user, 2025),
    lambda user, s: ledger.generate_from_measurements(user, 2025),
    lambda user, s: ledger.recheck_by_measurements(user, 2026),
    lambda user, s: indicators.import_xlsx(user, s, b"not read"),
    lambda user, s: indicators.create_indicator(user, s, code="X-1", dimension="block", name="特色"),
    lambda user, s: indicators.create_set(user, year=2030, name="另一套"),
], ids=["compute", "generate", "recheck", "import", "feature_indicator", "create_set"])
def test_office_only_actions_refuse_other_departments(national, city_handler, call):
    with pytest.raises(Forbidden):
        call(city_handler, national)


def test_measurement_import_refuses_rows_of_another_department(national, city_handler):
    wb = openpyxl.Workbook()
    wb.active.append(["指标编码", "单元类型", "单元编码", "数值"])
    wb.active.append(["IND-HOUSE-003", "社区", C11, 1])  # 住建's indicator
    buf = io.BytesIO()
    wb.save(buf)
    report = measurements.import_xlsx(city_handler, national, buf.getvalue())
    assert [(e.row, e.field) for e in report.errors] == [(2, "指标编码")] and "责任部门" in report.errors[0].message
    assert not Measurement.objects.exists()


def test_transitions_check_role_and_area(national, office, make_user):
    ind = national.indicators.get(code="IND-HOUSE-003")
    measurements.record(office, ind, unit_kind="community", unit_code=C11, value=2)
    ledger.generate_from_measurements(office, 2025)
    p = ind.problems.get()
    remedy = services.link_remedy(office, p, project_key="renewal.project:9")
    services.accept_remedy(office, remedy)
    p.refresh_from_db()
    # The responsible department's handler may not close its own problem: the inspector re-checks.
    housing_handler = make_user(R.DEPT_HANDLER, unit="S01")
    p.responsible_unit_id = housing_handler.person.unit_id
    p.save()
    with pytest.raises(Forbidden):
        services.transition(housing_handler, p, "close")
    other_inspector = make_user(R.OPS_GRID_WORKER, streets=[f"{DIVISION}002"])
    with pytest.raises(Exception) as e:
        services.transition(other_inspector, p, "close")
    assert getattr(e.value, "status", None) == 404
    p.refresh_from_db()
    assert p.state == workflow.REVIEWING
