"""Road segments, survey coverage (the supervision metric) and collapse-risk ranking."""
from __future__ import annotations

import datetime as dt
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "drainage"))
from drainage_net import STEP, X0, Y0, numbered, node, pipe  # noqa: E402

from chengyun.core.errors import Conflict, Invalid  # noqa: E402
from chengyun.geo.importers import RawFeature  # noqa: E402
from chengyun.roads import services  # noqa: E402
from chengyun.roads.models import RoadSegment  # noqa: E402


def road(n, code, name, y, x0, x1, cls="arterial", traffic="heavy", width=20):
    return RawFeature(n, {"code": code, "name": name, "class": cls, "traffic": traffic, "width_m": width},
                      {"type": "LineString", "coordinates": [[X0 + x0 * STEP, Y0 + y * STEP], [X0 + x1 * STEP, Y0 + y * STEP]]})


@pytest.fixture
def roads(district, units):
    feats = [road(1, "RA", "昆仑路", 2, -0.5, 3.5), road(2, "RB", "祁连路", 6, -0.5, 3.5, "branch", "light", 12),
             road(3, "RC", "黄河路", 10, -0.5, 3.5, "secondary", "medium", 16),
             # In street 2 (x ≥ 0.02°): for the coverage by street.
             RawFeature(4, {"code": "RD", "name": "长江路", "class": "branch", "traffic": "light"},
                        {"type": "LineString", "coordinates": [[101.725, 36.505], [101.728, 36.505]]})]
    report = services.import_segments(feats, owner_code="D01")
    assert report.ok, report.errors
    return {s.code: s for s in RoadSegment.objects.all()}


@pytest.fixture
def pipes_beneath(roads):
    """Two rain pipes under 昆仑路 (y = 2), one badly leaking; one pipe under 黄河路 (y = 10)."""
    from chengyun.drainage import services as drainage
    from chengyun.drainage.importers import InspectionRow

    feats = numbered([node("A", at=(0, 2)), node("B", at=(1, 2)), node("C", at=(2, 2)), node("O", "outfall", (3, 2)),
                      node("E", at=(0, 10)), node("F", "outfall", (1, 10)),
                      pipe("PA", "A", "B", ((0, 2), (1, 2))), pipe("PB", "B", "C", ((1, 2), (2, 2))), pipe("PC", "C", "O", ((2, 2), (3, 2))),
                      pipe("PE", "E", "F", ((0, 10), (1, 10)))])
    assert drainage.import_network(feats).ok
    rows = [InspectionRow(2, {"pipe": "PB", "date": "2026-04-01", "method": "CCTV", "code": "PL", "grade": 4, "position_m": 10}),
            InspectionRow(3, {"pipe": "PB", "date": "2026-04-01", "method": "CCTV", "code": "SL", "grade": 3, "position_m": 20}),
            InspectionRow(4, {"pipe": "PE", "date": "2026-04-01", "method": "CCTV", "code": "CJ", "grade": 2, "position_m": 5})]
    assert drainage.import_inspections(rows).ok


def test_segments_import_with_street_and_length(roads):
    ra = roads["RA"]
    assert ra.street.code == "630109001" and roads["RD"].street.code == "630109002"
    assert 170 < ra.length_m < 185 and ra.road_class == "arterial" and ra.traffic == "heavy"
    bad = services.import_segments([road(1, "RX", "", 1, 0, 1, cls="高速")])
    assert not bad.ok and bad.errors == ["第 1 个要素（code=RX）：name: 缺少道路名称", "第 1 个要素（code=RX）：class: 未知的道路等级「高速」"]


def test_pipes_beneath_a_road(roads, pipes_beneath):
    segs = [roads["RA"], roads["RB"], roads["RC"]]
    beneath, codes, _ = services.pipes_beneath(segs)
    assert sorted(codes[i] for i in beneath[0]) == ["PA", "PB", "PC"]
    assert beneath[1] == [] and [codes[i] for i in beneath[2]] == ["PE"]


def test_collapse_risk_ranking(roads, pipes_beneath):
    survey = services.create_survey(None, code="GPR-T", name="测试排查", started_on=dt.date(2026, 3, 1), deadline=dt.date(2026, 12, 31))
    # A shallow 2 m cavity under 昆仑路; deep loosening under 祁连路.
    services.add_finding(None, survey, segment_code="RA", kind="cavity", depth_m=0.4, length_m=2.0, width_m=1.5, height_m=0.5,
                         lng=X0 + STEP, lat=Y0 + 2 * STEP, found_on=dt.date(2026, 4, 2))
    services.add_finding(None, survey, segment_code="RB", kind="loose", depth_m=2.5, length_m=1.0, width_m=1.0,
                         lng=X0 + STEP, lat=Y0 + 6 * STEP, found_on=dt.date(2026, 4, 2))
    run = services.recompute_risk()
    ranked = list(services.ranked())
    # 黄河路 has a pipe beneath, but only with a slight functional defect: no collapse risk from it.
    assert [s.code for s in ranked] == ["RA", "RB", "RC", "RD"] and ranked[2].risk_score == 0
    ra = ranked[0]
    f = ra.risk_factors
    assert f["cavity"] == pytest.approx(1.0 * 1.0 * 1.0 / 1.5, abs=1e-3)  # cavity × full span × shallow roof, over 1.5
    assert f["pipes"] == pytest.approx(1 / 3, abs=1e-3) and f["defective_pipes"] == 1 and f["worst_pipes"] == ["PB"]
    assert f["leakage"] == pytest.approx((0.8 * 4 / 4 + 1.0 * 3 / 4) / 3, abs=1e-3) and f["leak_defects"] == 2
    w = services.risk_weights()
    expected = 100 * min(1, 1.2 * (w["cavity"] * f["cavity"] + w["pipes"] * f["pipes"] + w["leakage"] * f["leakage"]) / sum(w.values()))
    assert ra.risk_score == pytest.approx(round(expected, 1)) and ra.risk_level == services.level_of(ra.risk_score)
    rb = RoadSegment.objects.get(code="RB")
    assert 0 < rb.risk_score < ra.risk_score and RoadSegment.objects.get(code="RD").risk_score == 0
    assert run.high == sum(1 for s in ranked if s.risk_level == "高")
    # Treating the cavity lowers the risk, and the ranking notices on its own.
    services.treat_finding(None, ra.findings.get(), note="注浆")
    services.ensure_risk()
    assert RoadSegment.objects.get(code="RA").risk_score < ra.risk_score
    with pytest.raises(Conflict):
        services.treat_finding(None, ra.findings.get())


def test_road_risk_feeds_the_renovation_plan(roads, pipes_beneath):
    from chengyun.drainage import services as drainage

    services.add_finding(None, None, segment_code="RA", kind="cavity", depth_m=0.4, length_m=2.0, width_m=1.5,
                         lng=X0 + STEP, lat=Y0 + 2 * STEP, found_on=dt.date(2026, 4, 2))
    services.recompute_risk()
    risk = services.pipe_road_risk()
    assert risk["PB"] == pytest.approx(RoadSegment.objects.get(code="RA").risk_score / 100)
    scores = {s.code: s for s in drainage.priority_scores(year=2026)}
    assert scores["PB"].factors["road_risk"] == pytest.approx(risk["PB"], abs=1e-3) and scores["PE"].factors["road_risk"] == 0


def test_survey_coverage_by_street_and_metric(roads):
    survey = services.create_survey(None, code="GPR-T", name="测试排查", started_on=dt.date(2026, 3, 1), deadline=dt.date(2026, 6, 30))
    services.record_surveyed(None, survey, ["RA", "RD"], surveyed_on=dt.date(2026, 3, 5))
    services.record_surveyed(None, survey, ["RB"], surveyed_on=dt.date(2026, 4, 5))
    lengths = {s.code: s.length_m for s in RoadSegment.objects.all()}
    cov = services.survey_coverage(dt.date(2026, 3, 31))
    assert cov["630109001"] == (round(lengths["RA"], 1), round(lengths["RA"] + lengths["RB"] + lengths["RC"], 1))
    assert cov["630109002"] == (round(lengths["RD"], 1), round(lengths["RD"], 1))
    assert cov[""][0] == pytest.approx(lengths["RA"] + lengths["RD"], abs=0.2)
    later = services.survey_coverage(dt.date(2026, 4, 30))
    assert later["630109001"][0] == pytest.approx(lengths["RA"] + lengths["RB"], abs=0.2)
    from chengyun.supervision import metrics

    metric = metrics.get("roads.hazard_survey_coverage")
    assert metric.label == "道路隐患排查覆盖率" and metric.fn(dt.date(2026, 4, 30)) == later
    with pytest.raises(Invalid):
        services.record_surveyed(None, survey, ["NOPE"], surveyed_on=dt.date(2026, 4, 5))
    assert services.record_surveyed(None, survey, ["RA"], surveyed_on=dt.date(2026, 4, 6)) == 0


def test_roads_api_and_pages(roads, pipes_beneath, make_user, api_client, client):
    user = make_user("district_leader")
    api = api_client.as_user(user)
    risk = api.get("roads/risk", {"limit": 2}).json()
    assert risk["count"] == 4 and risk["results"][0]["code"] == "RA"
    handler = make_user("dept_handler", unit="D01")
    resp = api_client.as_user(handler).post("roads/findings", {"segment": "RC", "kind": "void", "depth_m": 0.8, "length_m": 1.2,
                                                                "width_m": 1.0, "lng": X0, "lat": Y0 + 10 * STEP, "found_on": "2026-05-01"})
    assert resp.status_code == 201 and resp.json()["code"] == "RC-H01"
    bad = api_client.post("roads/findings", {"segment": "RC", "kind": "void", "depth_m": -1, "length_m": 1, "width_m": 1,
                                             "lng": X0, "lat": Y0, "found_on": "2026-05-01"})
    assert bad.status_code == 422 and bad.json()["detail"] == {"field": "depth_m"}
    # A survey the body names that does not exist used to be a 404, as if the endpoint were missing.
    bad = api_client.post("roads/findings", {"survey": "GPR-NOPE", "segment": "RC", "kind": "void", "depth_m": 0.8, "length_m": 1.2,
                                             "width_m": 1.0, "lng": X0, "lat": Y0, "found_on": "2026-05-01"})
    assert bad.status_code == 422 and (bad.json()["code"], bad.json()["detail"]) == ("unknown_survey", {"field": "survey"})
    assert bad.json()["message"] == "隐患排查 GPR-NOPE 不存在"
    bad = api_client.post("roads/findings", {"segment": "NOPE", "kind": "void", "depth_m": 0.8, "length_m": 1.2, "width_m": 1.0,
                                             "lng": X0, "lat": Y0, "found_on": "2026-05-01"})
    assert bad.status_code == 422 and (bad.json()["code"], bad.json()["detail"]) == ("unknown_segment", {"field": "segment"})
    geo = api_client.get("roads/segments.geojson").json()
    assert len(geo["features"]) == 4
    client.force_login(user)
    for url in ("/roads/", "/roads/surveys/", "/roads/segments/RA/"):
        assert client.get(url).status_code == 200, url


def test_list_endpoints_narrow_by_each_parameter_given(roads, make_user, api_client):
    api = api_client.as_user(make_user("district_leader"))

    def codes(path, **params):
        return sorted(r["code"] for r in api.get(path, params).json()["results"])

    assert codes("roads/segments") == ["RA", "RB", "RC", "RD"]
    assert codes("roads/segments", street="630109002") == ["RD"]
    assert codes("roads/segments", road_class="branch") == ["RB", "RD"]
    assert codes("roads/segments", road_class="branch", q="祁连") == ["RB"]
    assert codes("roads/segments", street="", q="") == ["RA", "RB", "RC", "RD"]
    assert codes("roads/risk", street="630109001") == ["RA", "RB", "RC"]
    services.add_finding(None, None, segment_code="RA", kind="cavity", depth_m=0.4, length_m=2.0, width_m=1.5, height_m=0.5,
                         lng=X0 + STEP, lat=Y0 + 2 * STEP, found_on=dt.date(2026, 4, 2))
    services.add_finding(None, None, segment_code="RB", kind="loose", depth_m=2.5, length_m=1.0, width_m=1.0,
                         lng=X0 + STEP, lat=Y0 + 6 * STEP, found_on=dt.date(2026, 4, 2))
    services.recompute_risk()
    levels = dict(RoadSegment.objects.values_list("code", "risk_level"))
    assert levels["RA"] and levels["RA"] != levels["RD"]
    assert "RA" in codes("roads/risk", level=levels["RA"]) and "RD" not in codes("roads/risk", level=levels["RA"])
    assert codes("roads/risk", level=levels["RA"], street="630109002") == []
    assert codes("roads/findings") == ["RA-H01", "RB-H01"]
    assert codes("roads/findings", segment="RB") == ["RB-H01"] and codes("roads/findings", kind="cavity", status="open") == ["RA-H01"]
    assert codes("roads/findings", kind="void") == []
