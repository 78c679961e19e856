"""Spreadsheet exports: one sheet per table, a bold frozen header, filters, sensible widths."""
from __future__ import annotations

import io
from typing import Any, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
THIN = Side(style="thin", color="A0A0A0")
STATUS_FILLS = {
    "green": PatternFill("solid", fgColor="C8E6C9"), "绿": PatternFill("solid", fgColor="C8E6C9"),
    "yellow": PatternFill("solid", fgColor="FFF0B3"), "黄": PatternFill("solid", fgColor="FFF0B3"),
    "red": PatternFill("solid", fgColor="F8C9C6"), "红": PatternFill("solid", fgColor="F8C9C6"),
}


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    # CJK characters take two columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _cell_styles(wb: Workbook) -> tuple[str, str]:
    """The body cells' two styles (thin border, top-aligned; one wrapping long text), registered once per workbook."""
    names = ("cy-cell", "cy-cell-wrap")
    if names[0] not in wb.named_styles:
        border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
        for name, wrap in zip(names, (False, True)):
            wb.add_named_style(NamedStyle(name=name, border=border, alignment=Alignment(vertical="top", wrap_text=wrap)))
    return names


def add_table(wb: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
              status_column: int | None = None, caption: str = "") -> Any:
    """A sheet holding one table; `status_column` (0-based) colours 红/黄/绿 cells."""
    ws = wb.create_sheet(title=title[:31])
    start = 1
    if caption:
        ws.cell(row=1, column=1, value=caption).font = Font(bold=True, size=13)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(headers), 1))
        start = 2
    plain, wrapped = _cell_styles(wb)
    border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=start, column=c, value=h)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(rows, start=start + 1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            # A named style per cell, not new Border/Alignment objects: openpyxl hashes every
            # style object it is given, which made a 17,000-cell sheet cost seconds.
            cell.style = wrapped if isinstance(value, str) and len(value) > 20 else plain
            if status_column is not None and c - 1 == status_column and value in STATUS_FILLS:
                cell.fill = STATUS_FILLS[value]
    for c, h in enumerate(headers, start=1):
        widest = max([_display_width(h)] + [_display_width(row[c - 1]) for row in rows if len(row) >= c])
        ws.column_dimensions[get_column_letter(c)].width = min(max(widest + 2, 8), 60)
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    if rows:
        ws.auto_filter.ref = f"A{start}:{get_column_letter(len(headers))}{start + len(rows)}"
    return ws


def to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
