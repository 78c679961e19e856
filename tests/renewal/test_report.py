"""The 城市体检报告: chapters by dimension, problem list, advice and the project chapter hook."""
from __future__ import annotations

import io

import docx
import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from chengyun.reports.docx import heading_texts
from chengyun.reports.models import ReportRun
from chengyun.renewal import reporting
from chengyun.renewal.services import indicators, ledger, measurements
from support import DIVISION

C11 = f"{DIVISION}001001"


@pytest.fixture
def checked_2025(office, units):
    s = indicators.load_national_set(office, 2025)
    ind = s.indicators.get(code="IND-HOUSE-003")
    measurements.record(office, ind, unit_kind="community", unit_code=C11, value=3)
    measurements.record(office, ind, unit_kind="district", unit_code=DIVISION, value=3)
    ledger.generate_from_measurements(office, 2025)
    return s


def _texts(data: bytes) -> tuple[list[str], list[str]]:
    d = docx.Document(io.BytesIO(data))
    return heading_texts(d), [p.text for p in d.paragraphs]


def test_report_chapters_and_empty_project_library(checked_2025):
    headings, texts = _texts(reporting.build_docx(2025))
    chapters = [h for h in headings if not h.startswith("（")]
    assert chapters == ["一、指标分析评价", "二、问题清单", "三、治理建议", "四、城市更新项目库"]
    assert headings[1:5] == ["（一）城区(城市)维度共 21 项指标。", "（二）街区维度共 9 项指标。", "（三）小区(社区)维度共 12 项指标。",
                             "（四）住房维度共 10 项指标。"]
    advice = headings[headings.index("三、治理建议") + 1]
    assert advice == "（一）住房维度"
    assert any(t.startswith("1.存在楼道安全隐患的住宅数量。现状 3栋") and "第1街道第1社区" in t and "区住房和城乡建设局" in t for t in texts)
    assert "本年度尚未建立对应体检问题的城市更新项目。" in texts


def test_project_chapter_lists_what_the_portfolio_registers(checked_2025, monkeypatch):
    monkeypatch.setattr(reporting, "_project_sources", [])
    reporting.register_projects(lambda year: [{"code": "GX-1", "name": "幸福小区改造", "type": "老旧小区改造", "state": "施工",
                                               "responsible_unit": "住建局", "linked_problems": 2}] if year == 2025 else [])
    d = docx.Document(io.BytesIO(reporting.build_docx(2025)))
    table = d.tables[-1]
    assert [c.text for c in table.rows[1].cells] == ["GX-1", "幸福小区改造", "老旧小区改造", "施工", "住建局", "2"]


def test_cli_writes_and_archives(checked_2025, tmp_path):
    out = tmp_path / "体检报告.docx"
    call_command("report", "health-check", "--year", "2025", "--output", str(out), "--xlsx", str(tmp_path / "体检.xlsx"))
    assert heading_texts(docx.Document(str(out)))[0] == "一、指标分析评价"
    assert load_workbook(str(tmp_path / "体检.xlsx")).sheetnames == ["指标统计", "问题清单"]
    assert ReportRun.objects.filter(kind="health-check", period="2025").count() == 1


def test_cli_refuses_a_year_without_indicators(units):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2031 年尚未建立体检指标体系"):
        call_command("report", "health-check", "--year", "2031")
