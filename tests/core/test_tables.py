"""Reading office tables (core.tables): the encodings offices write, and Excel's first sheet."""
import io

import openpyxl
import pytest

from chengyun.core.tables import UnreadableTable, decode_text, xlsx_rows


def test_decode_text_reads_utf8_with_or_without_bom_and_gbk():
    assert decode_text("\ufeff工单编号,地址".encode("utf-8")) == "工单编号,地址"
    assert decode_text("工单编号,地址".encode("utf-8")) == "工单编号,地址"
    assert decode_text("工单编号,地址".encode("gbk")) == "工单编号,地址"


def test_decode_text_refuses_bytes_in_no_known_encoding():
    with pytest.raises(UnreadableTable, match="文件编码无法识别"):
        decode_text(b"\x80\xff")


def test_xlsx_rows_reads_the_first_sheet():
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "名称"])
    wb.active.append(["P1", None])
    wb.create_sheet("其他").append(["x"])
    buf = io.BytesIO()
    wb.save(buf)
    assert list(xlsx_rows(buf.getvalue())) == [("编号", "名称"), ("P1", None)]


def test_xlsx_rows_refuses_what_is_not_a_workbook():
    with pytest.raises(UnreadableTable):
        xlsx_rows(b"code,name\nP1,x\n")
