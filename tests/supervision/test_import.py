import io

import pytest
from openpyxl import Workbook

from chengyun.core.errors import Forbidden, Invalid
from chengyun.supervision import importers
from chengyun.supervision.models import KeyTask

HEADER = ["任务名称", "来源", "类别", "牵头单位", "完成时限", "开始日期", "配合单位", "节点"]


def sheet(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD = [
    ["主干道塌陷隐患整治", "整改要求", "道路塌陷隐患整改", "D01", "2026-06-30", "2026-03-01", "D02、S01", "排查|2026-04-15|30\n整治|2026-06-15|70"],
    ["雨污混接改造", "领导批示", "sewage_overflow", "区住房和城乡建设局", "2026/09/30", "2026年3月1日", "", ""],
]


def test_import_creates_every_row(ops, units, fixed_today):
    created = importers.import_tasks(ops, sheet(GOOD))
    assert [t.title for t in created] == ["主干道塌陷隐患整治", "雨污混接改造"]
    first = created[0]
    assert [m.name for m in first.milestones.all()] == ["排查", "整治"]
    assert sorted(u.code for u in first.cooperating_units.all()) == ["D02", "S01"]
    assert created[1].lead_unit.code == "D02" and str(created[1].deadline) == "2026-09-30"


def test_import_is_all_or_nothing_with_row_errors(ops, units, fixed_today):
    rows = GOOD + [
        ["", "整改要求", "道路塌陷隐患整改", "D01", "2026-06-30", "", "", ""],
        ["井盖更换", "整改要求", "道路塌陷隐患整改", "X99", "明年", "", "", "坏节点"],
        ["节点越界", "整改要求", "道路塌陷隐患整改", "D01", "2026-06-30", "2026-03-01", "", "验收|2026-07-30|10"],
    ]
    with pytest.raises(Invalid) as exc:
        importers.import_tasks(ops, sheet(rows))
    errors = {(e["row"], e["column"]) for e in exc.value.detail}
    assert (4, "任务名称") in errors
    assert (5, "牵头单位") in errors and (5, "完成时限") in errors and (5, "节点") in errors
    assert exc.value.code == "import_failed" and "未写入任何数据" in exc.value.message
    assert not KeyTask.objects.exists()
    # Rows valid on their own but refused by the service (milestone after the deadline) also roll everything back.
    with pytest.raises(Invalid) as exc:
        importers.import_tasks(ops, sheet(GOOD + [rows[-1]]))
    assert exc.value.detail == [{"row": 4, "column": "", "message": exc.value.detail[0]["message"]}]
    assert "节点“验收”" in exc.value.detail[0]["message"]
    assert not KeyTask.objects.exists()


def test_import_refuses_bad_files_and_units(ops, handler_d01, fixed_today):
    with pytest.raises(Invalid) as exc:
        importers.import_tasks(ops, b"not an excel file")
    assert exc.value.code == "bad_file"
    with pytest.raises(Invalid) as exc:
        importers.import_tasks(ops, sheet([], header=["任务名称", "类别"]))
    assert exc.value.code == "missing_columns" and "来源" in exc.value.message
    with pytest.raises(Forbidden):
        importers.import_tasks(handler_d01, sheet(GOOD))


def test_import_through_api(client, ops, units, fixed_today):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(ops)
    r = client.post("/api/v1/supervision/tasks/import", {"file": SimpleUploadedFile("tasks.xlsx", sheet(GOOD))})
    assert r.status_code == 201 and r.json()["created"] == 2
    r = client.post("/api/v1/supervision/tasks/import", {"file": SimpleUploadedFile("tasks.xlsx", sheet([["x", "?", "?", "?", "?"]]))})
    assert r.status_code == 422 and r.json()["detail"][0]["row"] == 2
