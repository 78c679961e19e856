"""Priority scores, plan selection within a budget, the Excel export, separation projects."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from chengyun.core.errors import Invalid
from chengyun.drainage import services
from chengyun.drainage.models import OverflowRecord, Pipe
from chengyun.drainage.services import PipePriority, select_within_budget


def cand(code, score, cost, method="lining"):
    # cost = unit cost × length: with DN300 lining at 2200 元/m, length = cost / 2200
    return PipePriority(code, score, {}, method, cost / 2200.0, 300)


def test_greedy_by_score_per_yuan_with_documented_ties():
    cs = [cand("A", 80, 220_000), cand("B", 40, 44_000), cand("C", 40, 44_000), cand("D", 90, 440_000), cand("E", 10, 11_000)]
    # score/cost: A 3.6e-4, B/C 9.1e-4 (tie -> same score -> code), D 2.0e-4, E 9.1e-4 (tie with B/C -> higher score first)
    chosen = select_within_budget(cs, 320_000)
    assert [c.code for c in chosen] == ["B", "C", "E", "A"]
    assert sum(c.cost for c in chosen) <= 320_000
    # What no longer fits is skipped; a cheaper one further down is still taken.
    assert [c.code for c in select_within_budget(cs, 100_000)] == ["B", "C", "E"]
    assert select_within_budget([cand("Z", 50, 1_000, method=None)], 10_000) == []


def test_choose_method():
    assert services.choose_method(4, 1, 0.2, False) == "replace"
    assert services.choose_method(3, 1, 1.2, False) == "replace"
    assert services.choose_method(3, 1, 0.5, False) == "lining"
    assert services.choose_method(1, 1, 0.5, True) == "reconnect"
    assert services.choose_method(1, 3, 0.5, False) == "dredge"
    assert services.choose_method(None, None, 1.1, False) == "inspect"
    assert services.choose_method(1, 1, 0.5, False) is None
    assert services.unit_cost("lining", 300) == 2200 and services.unit_cost("lining", 1000) == 6000 and services.unit_cost("replace", 3000) == 14000


@pytest.fixture
def graded(network):
    from chengyun.drainage.importers import InspectionRow

    report = services.import_inspections([InspectionRow(i + 2, r) for i, r in enumerate([
        {"pipe": "P2", "date": "2026-01-10", "method": "CCTV", "code": "PL", "grade": 4, "position_m": 3},
        {"pipe": "P1", "date": "2026-01-10", "method": "CCTV", "code": "CK", "grade": 3, "position_m": 3},
        {"pipe": "S1", "date": "2026-01-10", "method": "CCTV", "code": "CJ", "grade": 4, "position_m": 3},
        {"pipe": "P3", "date": "2026-01-10", "method": "CCTV"},
    ])])
    assert report.ok, report.as_text()
    return network


def test_scores_are_transparent_and_weighted(graded):
    scores = {s.code: s for s in services.priority_scores(year=2026)}
    p2 = scores["P2"]
    assert p2.factors["structural"] == 1.0 and p2.method == "replace"
    w = services.weights()
    expected = 100 * sum(w[k] * v for k, v in p2.factors.items()) / sum(w.values())
    assert p2.score == pytest.approx(expected, abs=0.01)
    # P2 serves P1 and P3 upstream: its upstream factor is the largest of the rain pipes but P4's.
    assert scores["P4"].factors["upstream"] == 1.0 and scores["P2"].factors["upstream"] > scores["P1"].factors["upstream"]
    assert scores["P1"].factors["age"] == pytest.approx(min((2026 - 1995) / 50, 1), abs=1e-3)
    only_structure = {s.code: s.score for s in services.priority_scores(weights_override={k: 0 for k in w} | {"structural": 1}, year=2026)}
    assert only_structure["P2"] == 100.0 and only_structure["P1"] == pytest.approx(66.67, abs=0.01) and only_structure["P3"] == 0
    with pytest.raises(Invalid):
        services.priority_scores(weights_override={"beauty": 3})


def test_overflow_raises_the_score(graded):
    before = {s.code: s.score for s in services.priority_scores(year=2026)}
    services.record_overflow(None, "W2", occurred_at=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc), source="巡查")
    after = {s.code: s for s in services.priority_scores(year=2026)}
    assert after["S1"].factors["overflow"] == pytest.approx(1 / 3, abs=1e-3) and after["S1"].score > before["S1"]
    assert OverflowRecord.objects.count() == 1


def test_plan_within_budget_and_excel(graded, make_user):
    handler = make_user("dept_handler", unit="D02")
    plan = services.make_plan(handler, year=2027, budget_yuan=400_000)
    items = list(plan.items.select_related("pipe"))
    assert items and float(plan.total_cost_yuan) <= 400_000
    assert plan.unit.code == "D02" and plan.candidates >= 3
    assert sum(i.cost_yuan for i in items) == pytest.approx(float(plan.total_cost_yuan), abs=1)
    ratios = [i.score / i.cost_yuan for i in items]
    assert ratios == sorted(ratios, reverse=True)
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(services.plan_xlsx(plan)))
    ws = wb["改造计划"]
    assert ws["A3"].value == "序号" and ws["B4"].value == items[0].pipe.code
    assert "评分与选取规则" in wb.sheetnames
    with pytest.raises(Invalid):
        services.make_plan(handler, year=2027, budget_yuan=0)
    from chengyun.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.make_plan(make_user("community_grid_worker", grids=["630109001001001"]), year=2027, budget_yuan=1e6)


def test_plan_api_and_pages(graded, make_user, api_client, client):
    handler = make_user("dept_handler", unit="D02")
    api = api_client.as_user(handler)
    resp = api.post("drainage/plans", {"year": 2027, "budget_yuan": 5_000_000, "weights": {"structural": 60}})
    assert resp.status_code == 201 and resp.json()["weights"]["structural"] == 60
    pk = resp.json()["id"]
    xlsx = api.get(f"drainage/plans/{pk}/xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert api.get("drainage/priority", {"limit": 2}).json()["results"][0]["code"] in {"P2", "S1", "P1"}
    client.force_login(handler)
    for url in ("/drainage/plans/", f"/drainage/plans/{pk}/", "/drainage/", "/drainage/pipes/?grade_min=3", "/drainage/pipes/P2/"):
        assert client.get(url).status_code == 200, url


def test_separation_project_progress_by_length(network, units):
    project = services.create_project(None, code="YWFL-T1", name="测试分流", pipe_codes=["P1", "P2", "S1"], unit=units["D02"])
    lengths = dict(Pipe.objects.values_list("code", "length_m"))
    total = lengths["P1"] + lengths["P2"] + lengths["S1"]
    progress = services.record_progress(None, project, ["P1"], done_on=dt.date(2026, 5, 1))
    assert progress["done_m"] == pytest.approx(round(lengths["P1"], 1), abs=0.1)
    assert progress["ratio"] == pytest.approx(lengths["P1"] / total, abs=1e-3)
    with pytest.raises(Invalid):
        services.record_progress(None, project, ["P4"], done_on=dt.date(2026, 5, 1))
    services.record_progress(None, project, ["P2", "S1"], done_on=dt.date(2026, 6, 1))
    project.refresh_from_db()
    assert project.status == "done"


def test_an_unknown_street_of_a_new_project_is_a_422_naming_the_field(network, units, make_user, api_client):
    from support import DIVISION

    from chengyun.drainage.models import SeparationProject

    api = api_client.as_user(make_user("dept_handler", unit="D02"))
    # An unknown street used to be dropped and the project stored with no street.
    r = api.post("drainage/projects", {"code": "YWFL-T2", "name": "测试分流", "pipes": ["P1"], "street": "999999999"})
    assert r.status_code == 422 and (r.json()["code"], r.json()["detail"]) == ("unknown_street", {"field": "street"}), r.content
    assert r.json()["message"] == "街道 999999999 不存在" and not SeparationProject.objects.exists()
    r = api.post("drainage/projects", {"code": "YWFL-T2", "name": "测试分流", "pipes": ["P1"], "street": f"{DIVISION}001"})
    assert r.status_code == 201 and SeparationProject.objects.get().street.code == f"{DIVISION}001"


def test_an_overflow_at_an_unknown_node_is_a_422_naming_the_field(network):
    with pytest.raises(Invalid) as e:
        services.record_overflow(None, "NOPE", occurred_at=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    assert (e.value.code, e.value.detail, e.value.message) == ("unknown_node", {"field": "node_code"}, "节点 NOPE 不存在")
    assert not OverflowRecord.objects.exists()
