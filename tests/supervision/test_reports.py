"""The monthly summary and the daily brief, opened with python-docx and openpyxl."""
import datetime as dt
import io

import docx
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from chengyun.reports.docx import heading_texts
from chengyun.reports.models import ReportRun
from chengyun.supervision import reporting, services

D = dt.date


def at(day, hh, mm=0):
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hh, mm))


@pytest.fixture
def march(ops, units, handler_d01, handler_d02, fixed_today):
    """Two tasks in the last nine days of March 2026 (7 working days: 23–27, 30, 31)."""
    fixed_today(D(2026, 4, 10))
    lagging = services.create_task(ops, title="主干道塌陷隐患排查", source="整改要求", category="road_collapse", lead_unit=units["D01"],
                                   start_date=D(2026, 3, 23), deadline=D(2026, 5, 31),
                                   milestones=[("排查", D(2026, 3, 27), 40), ("整治", D(2026, 5, 31), 60)])
    done = services.create_task(ops, title="排水管网溢流点封堵", source="leader", category="sewage_overflow", lead_unit=units["D02"],
                                start_date=D(2026, 3, 23), deadline=D(2026, 4, 30), milestones=[("封堵", D(2026, 3, 27), 1)])
    services.create_task(ops, title="四月新任务", source="leader", category="other", lead_unit=units["D02"],
                         start_date=D(2026, 4, 2), deadline=D(2026, 4, 30))
    m1 = lagging.milestones.first()
    for i, day in enumerate([D(2026, 3, 23), D(2026, 3, 24), D(2026, 3, 25), D(2026, 3, 30), D(2026, 3, 31)]):
        services.submit_daily_entry(handler_d01, lagging, work_done=f"排查第{i + 1}段", milestone_progress={m1.pk: 10 * (i + 1)},
                                    problems="部分路段地下管线权属不清" if i == 4 else "", date=day, now=at(day, 18 if i == 1 else 10))
    for day in [D(2026, 3, 23) + dt.timedelta(days=k) for k in range(5)]:
        services.submit_daily_entry(handler_d02, done, work_done="封堵溢流点", date=day, now=at(day, 11))
    services.complete_milestone(ops, done.milestones.get(), on=D(2026, 3, 27))
    services.transition(ops, done, "complete", on=D(2026, 3, 27))
    return lagging, done


def test_monthly_summary_figures(march):
    lagging, done = march
    s = reporting.monthly_summary(2026, 3)
    assert s.as_of == D(2026, 3, 31)
    assert len(s.rows) == 2 and s.completed_total == 1 and s.completed_in_month == 1
    assert s.status_counts == {"green": 0, "yellow": 0, "red": 1}
    assert (s.entries_due, s.entries_in, s.entries_late) == (12, 10, 1)
    assert [r.task for r in s.lagging] == [lagging]
    assert s.lagging[0].unit_note == "部分路段地下管线权属不清"
    # April (to the 10th): the task closed in March counts only in the cumulative figures.
    april = reporting.monthly_summary(2026, 4)
    assert done not in [r.task for r in april.rows] and april.completed_all == 1 and april.registered_total == 3


def test_monthly_docx_sections_and_numbers(march):
    s = reporting.monthly_summary(2026, 3)
    d = docx.Document(io.BytesIO(reporting.monthly_docx(s)))
    texts = [p.text for p in d.paragraphs if p.text]
    assert texts[0].startswith("关于2026年3月") and texts[0].endswith("重点任务督查督办情况的通报")
    assert texts[1].endswith("：")
    assert heading_texts(d) == ["一、总体情况", "二、各单位完成情况", "三、逾期和滞后任务", "四、重点工作进展",
                                "（一）道路塌陷隐患整改", "（二）污水管网溢流整改", "（三）会商议定事项落实", "五、下月工作安排"]
    overall = next(t for t in texts if t.startswith("截至3月31日"))
    assert "累计列入督办的重点任务2项，累计完成1项；本月在督2项，本月完成1项" in overall
    assert "尚未完成的1项中，绿色0项、黄色0项、红色1项" in overall
    assert "本月应报日调度12条，实报10条，报送率83.3%，逾时报送1条" in overall
    categories, units, lagging = d.tables
    assert [c.text for c in categories.rows[0].cells] == ["类别", "任务数", "绿", "黄", "红", "已完成"]
    rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in categories.rows[1:]}
    assert rows == {"道路塌陷隐患整改": ["1", "0", "0", "1", "0"], "污水管网溢流整改": ["1", "0", "0", "0", "1"]}
    unit_rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in units.rows[1:]}
    assert unit_rows["区城市管理局"] == ["1", "0", "0.0%", "1", "0", "5/7", "57.1%"]
    assert unit_rows["区住房和城乡建设局"] == ["1", "1", "100.0%", "0", "0", "5/5", "100.0%"]
    late = [c.text for c in lagging.rows[1].cells]
    assert late[1] == "主干道塌陷隐患排查" and late[3] == "红" and "排查" in late[4] and late[5] == "部分路段地下管线权属不清"
    assert len(d.inline_shapes) == 2  # the status pie and the unit bars
    # Next month's plan: nothing of March's tasks falls in April, and April's new task did not exist yet.
    assert "下月无到期节点。" in texts
    assert texts[-3] == "2026年3月31日"  # 成文日期, then the 版记
    assert texts[-2].startswith("抄送：") and texts[-1].endswith("2026年3月31日印发")


def test_monthly_xlsx(march):
    s = reporting.monthly_summary(2026, 3)
    wb = load_workbook(io.BytesIO(reporting.monthly_xlsx(s)))
    assert wb.sheetnames == ["任务清单", "分类统计", "单位完成情况", "逾期滞后", "下月节点"]
    tasks = list(wb["任务清单"].iter_rows(min_row=3, values_only=True))
    assert {(r[1], r[7]) for r in tasks} == {("主干道塌陷隐患排查", "红"), ("排水管网溢流点封堵", "已完成")}


def test_report_command_generates_archives_and_regenerates(march, tmp_path):
    out, sheet = tmp_path / "月报.docx", tmp_path / "月报.xlsx"
    call_command("report", "supervision-monthly", "--month", "2026-03", "--output", str(out), "--xlsx", str(sheet))
    assert heading_texts(docx.Document(str(out)))[0] == "一、总体情况"
    assert load_workbook(str(sheet)).sheetnames[0] == "任务清单"
    call_command("report", "supervision-monthly", "--month", "2026-03")
    runs = ReportRun.objects.filter(kind="supervision-monthly", period="2026-03")
    assert runs.count() == 2 and all(r.docx and r.xlsx for r in runs)
    with pytest.raises(CommandError, match="格式有误"):
        call_command("report", "supervision-monthly", "--month", "2026-13")
    with pytest.raises(CommandError, match="尚未开始"):
        call_command("report", "supervision-monthly", "--month", "2026-05")


def test_daily_brief(march):
    brief = reporting.daily_brief(D(2026, 3, 26))
    assert (brief.due, brief.submitted) == (2, 1)
    assert [t.title for t in brief.missing] == ["主干道塌陷隐患排查"]
    d = docx.Document(io.BytesIO(reporting.daily_docx(brief)))
    assert heading_texts(d) == ["一、填报情况", "二、红黄任务", "三、需协调事项", "四、主要进展"]
    assert any("今日应报任务2项，实报1项，报送率50.0%" in p.text for p in d.paragraphs)
