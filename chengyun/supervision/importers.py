"""Import of the district's key-task list (重点任务清单) from Excel: all rows or none.

Columns, by header (order free; * required):
  任务名称*  来源*  类别*  牵头单位*（编码或名称）  完成时限*  开始日期  责任领导  配合单位（、分隔）
  任务内容  节点（每行或“；”分隔一个：名称|计划日期|权重）  编号
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import DomainError, Invalid
from chengyun.core.tables import UnreadableTable, xlsx_rows
from chengyun.geo.models import Unit
from chengyun.people import policy
from chengyun.people.models import Person

from . import services
from .models import KeyTask

COLUMNS = {
    "任务名称": "title", "来源": "source", "类别": "category", "牵头单位": "lead_unit", "完成时限": "deadline",
    "开始日期": "start_date", "责任领导": "leader", "配合单位": "cooperating", "任务内容": "description", "节点": "milestones",
    "编号": "code",
}
REQUIRED = ("title", "source", "category", "lead_unit", "deadline")
LABELS = {v: k for k, v in COLUMNS.items()}


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if not m:
        raise ValueError(text)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _unit(value: str, units_by_code: dict, units_by_name: dict) -> Unit:
    text = str(value).strip()
    unit = units_by_code.get(text) or units_by_name.get(text)
    if unit is None:
        raise ValueError(f"单位“{text}”不存在")
    return unit


def import_tasks(user: Any, data: bytes) -> list[KeyTask]:
    """Create every task of the sheet, or raise Invalid with detail=[{row, column, message}]."""
    policy.require_create(user, KeyTask, message="只有城运中心和区领导可以导入督办任务")
    try:
        rows = xlsx_rows(data)
    except UnreadableTable:
        raise Invalid("无法读取文件，请上传 .xlsx 格式的 Excel 文件", code="bad_file") from None
    header = next(rows, None)
    if header is None:
        raise Invalid("表格为空", code="empty_file")
    index = {}
    for i, h in enumerate(header):
        key = COLUMNS.get(str(h or "").strip().rstrip("*"))
        if key:
            index[key] = i
    missing = [LABELS[k] for k in REQUIRED if k not in index]
    if missing:
        raise Invalid(f"缺少列：{'、'.join(missing)}", code="missing_columns", detail=[{"row": 1, "column": m, "message": "缺少该列"} for m in missing])
    units_by_code = {u.code: u for u in Unit.objects.all()}
    units_by_name = {}
    for u in units_by_code.values():
        units_by_name.setdefault(u.name, u)
        if u.short_name:
            units_by_name.setdefault(u.short_name, u)
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for n, raw in enumerate(rows, start=2):
        cell = {k: raw[i] if i < len(raw) else None for k, i in index.items()}
        if all(v in (None, "") for v in cell.values()):
            continue
        row: dict[str, Any] = {}

        def err(key: str, message: str) -> None:
            errors.append({"row": n, "column": LABELS[key], "message": message})

        for key in REQUIRED:
            if cell.get(key) in (None, ""):
                err(key, "必填")
        row["title"] = str(cell.get("title") or "").strip()
        row["source"] = str(cell.get("source") or "").strip()
        row["category"] = str(cell.get("category") or "").strip()
        row["description"] = str(cell.get("description") or "").strip()
        row["code"] = str(cell.get("code") or "").strip() or None
        if cell.get("lead_unit") not in (None, ""):
            try:
                row["lead_unit"] = _unit(cell["lead_unit"], units_by_code, units_by_name)
            except ValueError as exc:
                err("lead_unit", str(exc))
        for key in ("deadline", "start_date"):
            if cell.get(key) not in (None, ""):
                try:
                    row[key] = _date(cell[key])
                except ValueError:
                    err(key, f"日期“{cell[key]}”无法识别，应为 YYYY-MM-DD")
        row["cooperating"] = []
        for name in re.split(r"[、,，;；\s]+", str(cell.get("cooperating") or "").strip()):
            if name:
                try:
                    row["cooperating"].append(_unit(name, units_by_code, units_by_name))
                except ValueError as exc:
                    err("cooperating", str(exc))
        row["leader"] = None
        if cell.get("leader"):
            name = str(cell["leader"]).strip()
            people = list(Person.objects.filter(name=name, active=True)[:2])
            if len(people) != 1:
                err("leader", f"责任领导“{name}”{'不存在' if not people else '重名，请改用系统中唯一的姓名'}")
            else:
                row["leader"] = people[0]
        row["milestones"] = []
        for part in re.split(r"[\n；;]+", str(cell.get("milestones") or "").strip()):
            if not part.strip():
                continue
            bits = [b.strip() for b in re.split(r"[|｜]", part)]
            try:
                weight = int(bits[2]) if len(bits) > 2 and bits[2] else 1
                row["milestones"].append((bits[0], _date(bits[1]), weight))
            except (IndexError, ValueError):
                err("milestones", f"节点“{part.strip()}”应写作 名称|计划日期|权重")
        parsed.append((n, row))
    if not parsed and not errors:
        raise Invalid("表格中没有任务", code="empty_file")
    created: list[KeyTask] = []
    if not errors:
        try:
            with transaction.atomic():
                for n, row in parsed:
                    try:
                        created.append(services.create_task(
                            user, title=row["title"], source=row["source"], category=row["category"], lead_unit=row["lead_unit"],
                            deadline=row["deadline"], start_date=row.get("start_date"), description=row["description"],
                            responsible_leader=row["leader"], cooperating_units=row["cooperating"], milestones=row["milestones"],
                            code=row["code"]))
                    except DomainError as exc:
                        errors.append({"row": n, "column": "", "message": exc.message})
                if errors:
                    raise _RollBack()
                audit.action(None, "import_tasks", otype="supervision.keytask", object_repr=f"导入 {len(created)} 项任务",
                             after={"codes": [t.code for t in created]})
        except _RollBack:
            created = []
    if errors:
        first = errors[0]
        raise Invalid(f"导入失败，共 {len(errors)} 处错误（第 {first['row']} 行{('“' + first['column'] + '”') if first['column'] else ''}：{first['message']}），未写入任何数据",
                      code="import_failed", detail=errors)
    return created


class _RollBack(Exception):
    pass


def template_workbook() -> bytes:
    from chengyun.reports import xlsx

    wb = xlsx.new_workbook()
    xlsx.add_table(wb, "重点任务清单", list(COLUMNS), [
        ("示例：主干道路塌陷隐患排查整治", "整改要求", "道路塌陷隐患整改", "D02", "2026-06-30", "2026-03-01", "", "D05、U02",
         "完成全区主次干道地下空洞探测和隐患整治", "排查|2026-04-15|30\n整治|2026-06-15|60\n验收|2026-06-30|10", ""),
    ])
    return xlsx.to_bytes(wb)
