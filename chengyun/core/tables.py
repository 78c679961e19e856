"""Reading the tables offices send: CSV in whichever encoding the office's software wrote, and
the first sheet of an Excel workbook. Django-free; each importer turns a failure into its own
error (with its own code and wording) and maps the columns itself.
"""
from __future__ import annotations

import io
from typing import Any, Iterator

# Excel "CSV UTF-8" writes a BOM; older Chinese Excel and WPS write GBK, which GB18030 contains.
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


class UnreadableTable(ValueError):
    """The bytes are not text in any of TEXT_ENCODINGS, or not an Excel workbook."""


def decode_text(data: bytes) -> str:
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableTable("文件编码无法识别（请使用 UTF-8 或 GB18030）")


def xlsx_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    """The rows (tuples of cell values, header first) of the workbook's first sheet."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-workbook
        raise UnreadableTable(str(exc)) from None
    return wb.worksheets[0].iter_rows(values_only=True)
