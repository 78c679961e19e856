"""The spreadsheet tables keep their look (borders, wrapping, 红/黄/绿 fills) with shared named styles."""
import io

from openpyxl import load_workbook

from chengyun.reports import xlsx


def test_body_cells_keep_border_wrap_and_status_fill_across_tables():
    wb = xlsx.new_workbook()
    xlsx.add_table(wb, "问题", ["名称", "状态"], [["短", "红"], ["超过二十个字的一段较长的问题描述文字，需要自动换行显示", "绿"]], status_column=1)
    xlsx.add_table(wb, "项目", ["编号"], [["P-1"]])  # the second table reuses the registered styles
    book = load_workbook(io.BytesIO(xlsx.to_bytes(wb)))
    ws = book["问题"]
    assert ws["A2"].border.left.style == "thin" and ws["A2"].alignment.vertical == "top"
    assert not ws["A2"].alignment.wrap_text and ws["A3"].alignment.wrap_text
    assert ws["B2"].fill.fgColor.rgb.endswith("F8C9C6") and ws["B3"].fill.fgColor.rgb.endswith("C8E6C9")
    assert ws["B2"].border.left.style == "thin"
    assert book["项目"]["A2"].border.bottom.style == "thin"
    assert ws["A1"].font.bold and ws.freeze_panes == "A2"
