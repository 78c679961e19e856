"""The GPR survey and finding forms: record a survey, the segments covered, its cavities; edit; see the risk."""
from __future__ import annotations

import datetime as dt
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "drainage"))
from drainage_net import STEP, X0, Y0  # noqa: E402
from test_roads import road  # noqa: E402

from chengyun.core.models import AuditEntry  # noqa: E402
from chengyun.roads import services  # noqa: E402
from chengyun.roads.models import HazardFinding, HazardSurvey, RoadSegment  # noqa: E402

pytestmark = pytest.mark.django_db


@pytest.fixture
def roads(district, units):
    assert services.import_segments([road(1, "RA", "昆仑路", 2, -0.5, 3.5), road(2, "RB", "祁连路", 6, -0.5, 3.5, "branch", "light", 12)],
                                    owner_code="D01").ok
    return {s.code: s for s in RoadSegment.objects.all()}


@pytest.fixture
def survey(roads, units):
    return services.create_survey(None, code="GPR-T", name="测试排查", started_on=dt.date(2026, 3, 1), deadline=dt.date(2026, 12, 31),
                                  unit=units["D01"])


@pytest.fixture
def handler(make_user, client):
    client.force_login(make_user("dept_handler", unit="D01"))
    return client


def finding_form(**extra):
    return {"kind": "cavity", "depth_m": "0.4", "length_m": "2", "width_m": "1.5", "height_m": "0.5", "found_on": "2026-04-02",
            "lng": f"{X0 + STEP:.7f}", "lat": f"{Y0 + 2 * STEP + 0.00005:.7f}", "segment": "", "note": "雷达图像双曲线反射", **extra}


def test_a_handler_creates_a_survey_for_their_unit(handler, roads, units):
    html = handler.get("/roads/surveys/new/").content.decode()
    assert 'name="unit"' in html and units["D01"].name in html and units["D02"].name not in html
    r = handler.post("/roads/surveys/new/", {"code": "GPR-2027", "name": "2027 年排查", "method": "GPR", "unit": "D01",
                                             "started_on": "2027-03-01", "deadline": "2027-10-31"})
    assert r.status_code == 302 and r["Location"] == "/roads/surveys/GPR-2027/"
    s = HazardSurvey.objects.get(code="GPR-2027")
    assert s.unit.code == "D01" and s.method == "GPR" and AuditEntry.objects.filter(object_type="roads.hazardsurvey", action="create").exists()
    r = handler.post("/roads/surveys/new/", {"code": "GPR-X", "name": "别人的", "unit": "D02", "started_on": "2027-03-01", "deadline": "2027-10-31"})
    assert r.status_code == 403 and not HazardSurvey.objects.filter(code="GPR-X").exists()
    r = handler.post("/roads/surveys/new/", {"code": "GPR-Y", "name": "倒期", "unit": "D01", "started_on": "2027-03-01", "deadline": "2027-02-01"})
    assert r.status_code == 422 and "完成期限早于开始日期" in r.content.decode() and not HazardSurvey.objects.filter(code="GPR-Y").exists()
    r = handler.post("/roads/surveys/new/", {"code": "GPR-Z", "name": "坏日期", "unit": "D01", "started_on": "2027-02-30", "deadline": "2027-10-31"})
    assert r.status_code == 422 and "开始日期不是有效日期" in r.content.decode()


def test_readers_see_surveys_but_get_403_on_forms(client, make_user, survey):
    client.force_login(make_user("district_leader"))
    assert client.get("/roads/surveys/new/").status_code == 403
    html = client.get("/roads/surveys/GPR-T/").content.decode()
    assert "测试排查" in html and 'id="surveyed-form"' not in html and 'id="add-finding"' not in html
    assert client.get("/roads/surveys/GPR-T/findings/new/").status_code == 403
    assert client.post("/roads/surveys/GPR-T/", {"form": "surveyed", "segments": ["RA"], "surveyed_on": "2026-03-05"}).status_code == 403
    assert client.get("/roads/surveys/NOPE/").status_code == 404
    client.force_login(make_user("dept_handler", unit="D02"))  # another unit's handler
    assert client.post("/roads/surveys/GPR-T/findings/new/", finding_form()).status_code == 403
    assert not survey.surveyed.exists() and not HazardFinding.objects.exists()


def test_record_the_segments_covered(handler, survey):
    html = handler.get("/roads/surveys/GPR-T/").content.decode()
    assert 'value="RA"' in html and 'value="RB"' in html
    r = handler.post("/roads/surveys/GPR-T/", {"form": "surveyed", "segments": ["RA"], "more_segments": "RB，RA",
                                               "surveyed_on": "2026-03-05", "operator": "张工"}, follow=True)
    assert "已填报 2 个路段" in r.content.decode()
    assert sorted(survey.surveyed.values_list("segment__code", flat=True)) == ["RA", "RB"]
    r = handler.post("/roads/surveys/GPR-T/", {"form": "surveyed", "more_segments": "NOPE", "surveyed_on": "2026-03-05"}, follow=True)
    assert "路段不存在：NOPE" in r.content.decode()
    r = handler.post("/roads/surveys/GPR-T/", {"form": "surveyed", "surveyed_on": "2026-03-05"}, follow=True)
    assert "请选择已排查的路段" in r.content.decode()
    assert survey.surveyed.count() == 2


def test_edit_the_survey(handler, survey):
    r = handler.post("/roads/surveys/GPR-T/", {"form": "edit", "name": "测试排查（改）", "method": "GPR+钻孔", "status": "done", "unit": "D01",
                                               "started_on": "2026-03-01", "deadline": "2026-11-30"}, follow=True)
    assert "排查已保存" in r.content.decode()
    survey.refresh_from_db()
    assert (survey.name, survey.method, survey.status, survey.deadline) == ("测试排查（改）", "GPR+钻孔", "done", dt.date(2026, 11, 30))
    entry = AuditEntry.objects.filter(object_type="roads.hazardsurvey", action="update").latest("id")
    assert set(entry.after) == {"name", "method", "status", "deadline"}
    r = handler.post("/roads/surveys/GPR-T/", {"form": "edit", "name": "", "status": "done", "unit": "D01",
                                               "started_on": "2026-03-01", "deadline": "2026-11-30"}, follow=True)
    assert "排查名称不能为空" in r.content.decode()


def test_record_a_cavity_on_the_nearest_segment_and_see_the_risk(handler, survey, roads):
    assert "finding-map" in handler.get("/roads/surveys/GPR-T/findings/new/").content.decode()
    r = handler.post("/roads/surveys/GPR-T/findings/new/", finding_form())
    assert r.status_code == 302 and r["Location"] == "/roads/findings/RA-H01/"
    f = HazardFinding.objects.get(code="RA-H01")
    assert f.segment.code == "RA" and f.survey == survey and f.depth_m == 0.4 and f.note == "雷达图像双曲线反射"
    page = handler.get(r["Location"]).content.decode()
    ra = RoadSegment.objects.get(code="RA")
    assert ra.risk_score > 0 and f'<b class="score">{ra.risk_score}</b>' in page and "本隐患占空洞分项满分的" in page


def test_editing_a_finding_moves_the_risk(handler, survey, roads):
    handler.post("/roads/surveys/GPR-T/findings/new/", finding_form())
    handler.get("/roads/findings/RA-H01/")
    before = RoadSegment.objects.get(code="RA").risk_score
    r = handler.post("/roads/findings/RA-H01/", finding_form(kind="loose", depth_m="2.5", length_m="0.5", width_m="0.5", segment="RA"), follow=True)
    assert "隐患点已保存" in r.content.decode()
    f = HazardFinding.objects.get(code="RA-H01")
    assert (f.kind, f.depth_m, f.length_m) == ("loose", 2.5, 0.5)
    after = RoadSegment.objects.get(code="RA").risk_score
    assert after < before  # a deep, small loosening weighs less than a shallow cavity
    assert AuditEntry.objects.filter(object_type="roads.hazardfinding", action="update").exists()
    r = handler.post("/roads/findings/RA-H01/", {"form": "treat", "note": "已注浆回填"}, follow=True)
    assert "已标记为已处置" in r.content.decode() and HazardFinding.objects.get(code="RA-H01").status == "treated"
    assert RoadSegment.objects.get(code="RA").risk_score == 0


@pytest.mark.parametrize("extra, message", [
    ({"lng": "", "lat": ""}, "请在地图上点选隐患点位置"),
    ({"lng": f"{X0 + STEP}", "lat": f"{Y0 + 4 * STEP}"}, "该位置 60 米内没有道路路段"),
    ({"depth_m": "-1"}, "depth_m 应在 0～30 米之间"),
    ({"length_m": "很大"}, "长应为数字"),
    ({"kind": "hole"}, "未知的隐患类型"),
    ({"segment": "NOPE"}, "路段 NOPE 不存在"),
])
def test_bad_findings_say_why_and_write_nothing(handler, survey, extra, message):
    r = handler.post("/roads/surveys/GPR-T/findings/new/", finding_form(**extra))
    assert r.status_code == 422 and message in r.content.decode()
    assert not HazardFinding.objects.exists()


def test_a_bad_edit_keeps_the_finding(handler, survey):
    handler.post("/roads/surveys/GPR-T/findings/new/", finding_form())
    r = handler.post("/roads/findings/RA-H01/", finding_form(width_m="500", segment="RA"))
    assert r.status_code == 422 and "width_m 应在 0.05～200 米之间" in r.content.decode()
    assert HazardFinding.objects.get(code="RA-H01").width_m == 1.5
