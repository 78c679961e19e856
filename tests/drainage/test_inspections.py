"""Inspection reports → CJJ 181 assessment per pipe (the module's own scoring is tested in tests/standards)."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from chengyun.drainage import services
from chengyun.drainage.importers import read_inspection_table
from chengyun.drainage.models import Defect, Inspection, Pipe
from chengyun.standards import cjj181

HEADER = "管段编号,检测日期,检测方法,检测人员,缺陷代码,缺陷等级,缺陷位置(m),缺陷长度(m),环向位置,照片\n"


def rows(text: str):
    return read_inspection_table((HEADER + text).encode("utf-8"), "report.csv")


def test_report_grades_each_pipe_as_the_standard_does(network):
    p1 = Pipe.objects.get(code="P1")
    report = services.import_inspections(rows(
        "P1,2026-03-02,CCTV,张工,PL,3,5.0,0.5,0309,p1.jpg\n"
        "P1,2026-03-02,CCTV,张工,TJ,2,5.8,,12,\n"       # within 1 m of the PL: superposed
        "P1,2026-03-02,CCTV,张工,CJ,2,20,3,,\n"
        "P2,2026-03-03,QV,李工,,,,,,\n"                 # inspected, nothing found
    ))
    assert report.ok and report.written, report.as_text()
    assert report.inspections == 2 and report.defects == 3
    expected = cjj181.assess(p1.length_m, [{"code": "PL", "grade": 3, "position_m": 5.0, "length_m": 0.5},
                                           {"code": "TJ", "grade": 2, "position_m": 5.8, "length_m": 0},
                                           {"code": "CJ", "grade": 2, "position_m": 20, "length_m": 3}], diameter_mm=400)
    p1.refresh_from_db()
    assert (p1.structural_grade, p1.functional_grade) == (expected.structural_grade, expected.functional_grade)
    assert p1.ri == pytest.approx(expected.RI) and p1.mi == pytest.approx(expected.MI)
    assert p1.inspected_on == dt.date(2026, 3, 2)
    ins = Inspection.objects.get(pipe=p1)
    assert ins.assessment["F"] == pytest.approx(expected.F) and ins.method == "CCTV" and ins.operator == "张工"
    assert Defect.objects.get(inspection=ins, code="PL").clock == "0309"
    p2 = Pipe.objects.get(code="P2")
    assert (p2.structural_grade, p2.functional_grade) == (1, 1)


def test_latest_inspection_sets_the_condition(network):
    assert services.import_inspections(rows("P1,2025-01-01,CCTV,,PL,4,3,,,\n")).ok
    assert services.import_inspections(rows("P1,2026-01-01,CCTV,,,,,,,\n")).ok
    assert Pipe.objects.get(code="P1").structural_grade == 1
    assert Inspection.objects.filter(pipe__code="P1").count() == 2


@pytest.mark.parametrize("line, message", [
    ("P404,2026-03-02,CCTV,,PL,3,5,,,", "第 2 行：管段编号: 管段 P404 不存在"),
    ("P1,2026-03-02,CCTV,,XX,3,5,,,", "第 2 行：缺陷代码/缺陷等级: unknown CJJ 181 defect code 'XX'"),
    ("P1,2026-03-02,CCTV,,TL,3,5,,,", "第 2 行：缺陷代码/缺陷等级: defect TL"),
    ("P1,2026-13-02,CCTV,,PL,3,5,,,", "第 2 行：检测日期: 无法识别「2026-13-02」"),
    ("P1,2026-03-02,X光,,PL,3,5,,,", "第 2 行：检测方法: 未知「X光」"),
    ("P1,2026-03-02,CCTV,,PL,3,500,,,", "第 2 行：缺陷位置: 500.0 米超出管段长度"),
    ("P1,2026-03-02,CCTV,,PL,,5,,,", "第 2 行：缺陷等级: 缺少"),
])
def test_row_errors_write_nothing(network, line, message):
    report = services.import_inspections(rows("P2,2026-03-02,CCTV,,CJ,1,2,,,\n" + line.replace("第 2 行", "") + "\n"))
    assert not report.ok and not report.written
    assert any(e.startswith(message.replace("第 2 行", "第 3 行")) for e in report.errors), report.errors
    assert not Inspection.objects.exists() and Pipe.objects.get(code="P2").structural_grade is None


def test_same_inspection_twice_is_refused(network):
    assert services.import_inspections(rows("P1,2026-03-02,CCTV,,PL,3,5,,,\n")).ok
    again = services.import_inspections(rows("P1,2026-03-02,CCTV,,PL,3,5,,,\n"))
    assert not again.ok and "已录入" in again.errors[0]


def test_excel_report_and_missing_columns(network):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(["P3", dt.date(2026, 2, 1), "CCTV", "王工", "SL", 4, 1.5, 0, "0608", ""])
    buf = io.BytesIO()
    wb.save(buf)
    report = services.import_inspections(read_inspection_table(buf.getvalue(), "report.xlsx"))
    assert report.ok and Pipe.objects.get(code="P3").structural_grade == cjj181.assess(
        Pipe.objects.get(code="P3").length_m, [{"code": "SL", "grade": 4, "position_m": 1.5}]).structural_grade
    from chengyun.core.errors import Invalid

    with pytest.raises(Invalid, match="缺少必需的列"):
        read_inspection_table("管段编号,缺陷代码\nP1,PL\n".encode(), "x.csv")


def test_record_inspection_by_hand_and_api(network, make_user, api_client):
    ins = services.record_inspection(None, "P4", inspected_on=dt.date(2026, 1, 5), method="CCTV",
                                     defects=[{"code": "BX", "grade": 2, "position_m": 3.0}])
    assert ins.structural_grade == cjj181.assess(Pipe.objects.get(code="P4").length_m, [{"code": "BX", "grade": 2, "position_m": 3.0}]).structural_grade
    body = api_client.as_user(make_user("ops_dispatcher")).get("drainage/pipes/P4").json()
    assert body["inspections"][0]["defects"][0]["code"] == "BX" and body["structural_grade"] == ins.structural_grade
    geo = api_client.get("drainage/pipes.geojson", {"grade_min": 1}).json()
    assert [f["properties"]["code"] for f in geo["features"]] == ["P4"]


def test_handler_of_another_unit_cannot_import(network, make_user):
    other = make_user("dept_handler", unit="D01")  # the network belongs to D02
    report = services.import_inspections(rows("P1,2026-03-02,CCTV,,PL,3,5,,,\n"), user=other)
    assert not report.ok and "不属于本单位" in report.errors[0]
