import datetime as dt
import io

import pytest
from cases_helpers import run_to

from chengyun.cases import evaluation, services
from chengyun.cases import workflow as W
from chengyun.core.errors import Invalid

pytestmark = pytest.mark.django_db


def test_grades_and_score():
    assert [evaluation.grade(s) for s in (95, 90, 89.9, 75, 60, 40, 39.9)] == ["A", "A", "B", "B", "C", "D", "E"]
    w = evaluation.DEFAULT_WEIGHTS
    assert evaluation.unit_score(assigned=10, handled=10, on_time=10, reworked=0, postponed=0, w=w) == 100.0
    # 8/10 on time, all handled, 1 of 10 reworked, 2 of 10 postponed.
    expected = 100 * (0.5 * 0.8 + 0.2 * 1.0 + 0.15 * 0.9 + 0.15 * 0.8)
    assert evaluation.unit_score(assigned=10, handled=10, on_time=8, reworked=1, postponed=2, w=w) == pytest.approx(expected)
    assert evaluation.unit_score(assigned=0, handled=0, on_time=0, reworked=0, postponed=0, w=w) is None


def test_periods():
    d = dt.date(2026, 11, 25)  # a Wednesday
    assert evaluation.period_bounds("day", d) == evaluation.Period("day", d, d)
    assert evaluation.period_bounds("week", d).start == dt.date(2026, 11, 23)
    assert evaluation.period_bounds("month", d).end == dt.date(2026, 11, 30)
    assert evaluation.period_bounds("custom", dt.date(2026, 1, 1), dt.date(2026, 3, 31)).end == dt.date(2026, 3, 31)
    with pytest.raises(Invalid):
        evaluation.period_bounds("custom", d)
    with pytest.raises(Invalid):
        evaluation.period_bounds("year", d)


def test_weights_configurable(settings):
    settings.CASES_EVALUATION_WEIGHTS = {"on_time_rate": 1, "handled_rate": 1, "rework_free_rate": 0, "postpone_free_rate": 0}
    assert evaluation.weights() == {"on_time_rate": 0.5, "handled_rate": 0.5, "rework_free_rate": 0.0, "postpone_free_rate": 0.0}


def test_evaluation_counts_units_workers_and_areas(crew, file_case, photo):
    a = run_to(file_case(), W.CLOSED, crew, photo)
    b = run_to(file_case(offset=(0.003, 0.0)), W.CHECKING, crew, photo)
    services.transition(crew["grid"], b, "rework", reason="未修好")
    c = run_to(file_case(offset=(0.0, 0.003)), W.HANDLING, crew, photo)
    services.transition(crew["handler"], c, "request_postpone", amount=1, time_unit="work_day", reason="r")
    services.transition(crew["shift"], c, "approve_postpone")
    rejected = file_case(offset=(0.003, 0.003))
    services.transition(crew["acceptor"], rejected, "reject", reason="不属实")
    today = dt.datetime.now(evaluation.SH).date()
    ev = evaluation.evaluate(evaluation.period_bounds("custom", today - dt.timedelta(days=1), today + dt.timedelta(days=1)))
    d01 = next(r for r in ev.units if r.code == "D01")
    assert (d01.assigned, d01.handled, d01.on_time) == (3, 2, 2)
    assert d01.rework_rate == 0.5 and d01.postpone_rate == pytest.approx(0.3333, abs=1e-3) and d01.overdue == 0
    assert d01.score == evaluation.unit_score(assigned=3, handled=2, on_time=2, reworked=1, postponed=1, w=evaluation.weights())
    assert d01.grade == evaluation.grade(d01.score)
    worker = next(r for r in ev.workers if r.name == crew["grid"].person.name)
    assert worker.reported == 4 and worker.valid == 3 and worker.valid_rate == 0.75
    assert worker.checked == 2 and worker.checked_on_time_rate == 1.0
    street = next(r for r in ev.areas if r.level == "street" and r.code == "630109001")
    assert street.cases == 3 and street.closed == 1 and street.density == pytest.approx(3 / street.area_km2, rel=1e-2)
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(evaluation.to_xlsx(ev)))
    assert wb.sheetnames == ["网格员", "责任单位", "街道与社区"]
    rows = list(wb["责任单位"].iter_rows(values_only=True))
    assert rows[1][:4] == ("排名", "编码", "单位", "应处置数") and rows[2][1] == "D01"


def test_evaluation_page_and_api(client, api_client, crew):
    client.force_login(crew["leader"])
    r = client.get("/cases/evaluation/?period=month")
    assert r.status_code == 200 and "综合评价" in r.content.decode()
    r = client.get("/cases/evaluation/?period=week&format=xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert api_client.as_user(crew["leader"]).get("cases/evaluation", {"period": "day"}).status_code == 200
    assert api_client.as_user(crew["handler"]).get("cases/evaluation").status_code == 403
