"""GB/T 9704-style document helpers, charts and spreadsheets."""
import io

import docx
import pytest
from openpyxl import load_workbook

from chengyun.reports import charts, xlsx
from chengyun.reports.docx import OfficialDocument, chinese_number, heading_texts


@pytest.mark.parametrize("n,text", [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (35, "三十五")])
def test_chinese_numbers(n, text):
    assert chinese_number(n) == text


def test_official_document_layout():
    import datetime as dt

    doc = OfficialDocument(title="关于测试的通报", addressee="各街道办事处", issuer="城运中心", date=dt.date(2026, 5, 31))
    assert doc.heading("总体情况") == "一、总体情况"
    assert doc.subheading("道路") == "（一）道路"
    doc.paragraph("正文。")
    assert doc.subheading("排水") == "（二）排水"
    assert doc.heading("下步安排") == "二、下步安排"
    assert doc.subheading("重点") == "（一）重点"  # restarts under each 一级标题
    doc.table(["单位", "任务数"], [("城管局", 3), ("住建局", 4)], caption="统计")
    doc.chart(charts.bar_chart(["城管局", "住建局"], {"任务数": [3, 4]}), caption="图")
    doc.signature()
    d = docx.Document(io.BytesIO(doc.to_bytes()))
    section = d.sections[0]
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)] == [37, 35, 28, 26]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    texts = [p.text for p in d.paragraphs if p.text]
    assert texts[0] == "关于测试的通报"
    assert texts[1] == "各街道办事处："
    assert "表1  统计" in texts and "图1  图" in texts
    assert texts[-2:] == ["城运中心", "2026年5月31日"]
    assert heading_texts(d) == ["一、总体情况", "（一）道路", "（二）排水", "二、下步安排", "（一）重点"]
    # Fonts: the title in 小标宋, headings in 黑体, body in 仿宋 — with Noto as the alternative.
    title_run = d.paragraphs[0].runs[0]._element
    assert "方正小标宋简体" in title_run.xml
    font_table = [p for p in d.part.package.iter_parts() if p.partname.endswith("fontTable.xml")][0].blob.decode()
    assert "仿宋_GB2312" in font_table and "Noto Serif CJK SC" in font_table
    # Page numbers "— n —" on odd (right) and even (left) pages.
    assert d.settings.odd_and_even_pages_header_footer
    assert "PAGE" in section.footer._element.xml and "PAGE" in section.even_page_footer._element.xml
    assert [c.text for c in d.tables[0].rows[1].cells] == ["城管局", "3"]
    assert len(d.inline_shapes) == 1


def test_charts_render_chinese_with_the_cjk_font():
    assert charts.font_family().startswith("Noto Sans CJK")
    png = charts.pie_chart(["绿", "黄", "红"], [3, 2, 1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.line_chart(["1日", "2日"], {"报送率": [90, 95]})[:4] == b"\x89PNG"


def test_xlsx_table():
    wb = xlsx.new_workbook()
    xlsx.add_table(wb, "任务", ["编号", "状态"], [("DB-1", "红"), ("DB-2", "绿")], status_column=1, caption="清单")
    ws = load_workbook(io.BytesIO(xlsx.to_bytes(wb)))["任务"]
    assert ws["A1"].value == "清单" and ws["A2"].value == "编号" and ws["B3"].value == "红"
    assert ws["B3"].fill.fgColor.rgb.endswith("F8C9C6")
    assert ws.freeze_panes == "A3"


def test_imprint_has_rules_and_the_printing_date():
    import datetime as dt

    doc = OfficialDocument(title="通报")
    doc.imprint(copy_to="区委办公室", printer="城运中心", printed_on=dt.date(2026, 6, 1))
    d = docx.Document(io.BytesIO(doc.to_bytes()))
    copy_to, printer = [p for p in d.paragraphs if p.text][-2:]
    assert copy_to.text == "抄送：区委办公室。" and printer.text == "城运中心\t2026年6月1日印发"
    assert 'w:top w:val="single" w:sz="12"' in copy_to._p.xml and 'w:bottom w:val="single"' in printer._p.xml
