"""Reading the rows of an uploaded .xlsx: one sheet, a header row, then data rows.

Headers are matched by Chinese label or field key, so an exported sheet imports back unchanged.
Errors name the row (as Excel numbers it) and the field.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import openpyxl
from django.utils import translation

from chengyun.core.errors import Invalid


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 {self.field}：{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int, field_label: str, message: str) -> None:
        self.errors.append(RowError(row, field_label, message))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "total": self.total, "created": self.created, "updated": self.updated, "written": self.written,
                "errors": [e.as_dict() for e in self.errors]}

    def raise_if_errors(self) -> None:
        if self.errors:
            first = "；".join(str(e) for e in self.errors[:5])
            raise Invalid(f"导入失败，共 {len(self.errors)} 处错误，未写入任何数据：{first}", code="import_errors",
                          detail={"errors": [e.as_dict() for e in self.errors]})


def read_rows(data: bytes, columns: Sequence[tuple[str, str]], required: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """(excel row number, {key: value}) for each non-empty data row; `columns` are (key, label)."""
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise Invalid("文件不是有效的 Excel（.xlsx）文件", code="bad_file") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise Invalid("表格为空", code="bad_file")
    by_name = {}
    for key, label in columns:
        by_name[key] = key
        by_name[label] = key
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        key = by_name.get(str(h).strip()) if h is not None else None
        if key and key not in index:
            index[key] = i
    missing = [label for key, label in columns if key in required and key not in index]
    if missing:
        raise Invalid(f"表头缺少列：{'、'.join(missing)}", code="missing_columns", detail={"missing": missing})
    out = []
    for n, row in enumerate(rows, start=2):
        values = {k: (row[i] if i < len(row) else None) for k, i in index.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        out.append((n, {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}))
    wb.close()
    return out


def choice_map(choices) -> dict[str, str]:
    """Accept a choice's key, its Chinese label or its English label."""
    out = {}
    for code, label in choices:
        out[str(code)] = code
        with translation.override("zh-hans"):
            out[str(label)] = code
        with translation.override("en"):
            out[str(label)] = code
    return out


def number(value: Any) -> float | None:
    """A finite number, or None for blank; ValueError for anything else (e.g. "约10")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    text = str(value).strip().rstrip("%").replace(",", "")
    result = float(text)
    if not math.isfinite(result):
        raise ValueError(value)
    return result
