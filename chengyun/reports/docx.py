"""Documents in the layout of Chinese official documents (GB/T 9704-2012, 党政机关公文格式).

What the standard fixes and this module follows: A4 paper with 37 mm top, 35 mm bottom, 28 mm
left and 26 mm right margins; the title in 2号小标宋, centred; the addressee (主送机关) flush
left under the title, ending in a full-width colon; body text in 3号仿宋 with a two-character
first-line indent at a fixed line pitch; headings numbered 一、 (黑体), （一） (楷体),
1. (仿宋 bold); the issuing body and date (成文日期, Arabic numerals) at the end, right-aligned;
page numbers as "— 1 —" in 4号宋体, on the right of odd pages and the left of even pages.

Fonts: the documents name the fonts a government office has (仿宋_GB2312, 黑体, 楷体_GB2312,
方正小标宋简体) and record Noto CJK as each font's alternative in the font table, so a machine
without them (LibreOffice on a server, a phone viewer) shows Noto rather than boxes.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Iterable, Sequence

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
LATIN = "Times New Roman"
# The alternative each font falls back to where it is not installed.
FALLBACK = {
    FANGSONG: "Noto Serif CJK SC",
    KAITI: "Noto Serif CJK SC",
    XIAOBIAOSONG: "Noto Serif CJK SC",
    SONGTI: "Noto Serif CJK SC",
    HEITI: "Noto Sans CJK SC",
}

# 号 sizes in points.
SIZE_2 = Pt(22)
SIZE_3 = Pt(16)
SIZE_4 = Pt(14)
SIZE_SMALL_4 = Pt(12)
SIZE_5 = Pt(10.5)
LINE_PITCH = Pt(28.95)  # 22 lines in the 225 mm text block

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (numbering of sections up to 99)."""
    if not 0 < n < 100:
        raise ValueError(f"section number out of range: {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def official_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def set_run_font(run, east_asia: str, size=None, bold: bool | None = None) -> None:
    run.font.name = LATIN
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.font.bold = bold


def _register_fallbacks(document) -> None:
    font_table = None
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            font_table = rel.target_part
    if font_table is None:
        return
    from docx.oxml import parse_xml

    root = parse_xml(font_table.blob)
    present = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt in FALLBACK.items():
        if name in present:
            continue
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        alt_el = OxmlElement("w:altName")
        alt_el.set(qn("w:val"), alt)
        font.append(alt_el)
        charset = OxmlElement("w:charset")
        charset.set(qn("w:val"), "86")  # GB2312
        font.append(charset)
        root.append(font)
    from lxml import etree

    font_table._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _rule(paragraph, side: str, *, thick: bool, colour: str = "000000") -> None:
    """A horizontal rule along one side of a paragraph (版记's 分隔线: 0.35 mm thin, 0.5 mm thick)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), "12" if thick else "8")  # eighths of a point
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), colour)
    borders.append(line)


def _page_number_paragraph(paragraph, align) -> None:
    paragraph.alignment = align
    paragraph.paragraph_format.left_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.LEFT else None
    paragraph.paragraph_format.right_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.RIGHT else None

    def text(t: str) -> None:
        set_run_font(paragraph.add_run(t), SONGTI, SIZE_4)

    text("— ")
    for kind, value in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "1"), ("end", None)):
        run = paragraph.add_run()
        set_run_font(run, SONGTI, SIZE_4)
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = value
        elif kind == "text":
            run.text = value
            continue
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._element.append(el)
    text(" —")


class OfficialDocument:
    """Build a document section by section:

        doc = OfficialDocument(title="…", addressee="区委、区政府", issuer="区城运中心", date=d)
        doc.heading("总体情况")       # 一、总体情况
        doc.paragraph("…")
        doc.subheading("道路塌陷隐患整改")  # （一）…
        doc.table(["单位", "任务数"], rows)
        doc.chart(png_bytes, caption="图1 …")
        data = doc.to_bytes()
    """

    def __init__(self, *, title: str, addressee: str = "", issuer: str = "", date: dt.date | None = None,
                 doc_number: str = "", subtitle: str = "", masthead: str = ""):
        self.document = Document()
        self.title, self.addressee, self.issuer, self.date = title, addressee, issuer, date
        self._h1 = 0
        self._h2 = 0
        self._figures = 0
        self._tables = 0
        self._setup()
        if masthead:
            self._masthead(masthead, doc_number)
            doc_number = ""
        if doc_number:
            p = self._para(align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
            set_run_font(p.add_run(doc_number), FANGSONG, SIZE_3)
        p = self._para(align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        p.paragraph_format.space_after = Pt(0)
        p.paragraph_format.line_spacing = Pt(35)
        set_run_font(p.add_run(title), XIAOBIAOSONG, SIZE_2)
        if subtitle:
            p = self._para(align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
            set_run_font(p.add_run(subtitle), KAITI, SIZE_3)
        self._para(indent=False)  # one blank line between the title and the addressee
        if addressee:
            p = self._para(indent=False)
            set_run_font(p.add_run(addressee.rstrip("：:") + "："), FANGSONG, SIZE_3)

    def _masthead(self, masthead: str, doc_number: str) -> None:
        """版头: 发文机关标志 in red 小标宋, centred; 发文字号 under it; the red 分隔线 across the text block."""
        p = self._para(align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        p.paragraph_format.line_spacing = Pt(60)
        run = p.add_run(masthead)
        set_run_font(run, XIAOBIAOSONG, Pt(36))
        run.font.color.rgb = RGBColor(0xE6, 0x00, 0x12)
        self._para(indent=False)
        p = self._para(align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        if doc_number:
            set_run_font(p.add_run(doc_number), FANGSONG, SIZE_3)
        _rule(p, "bottom", thick=True, colour="E60012")
        self._para(indent=False)

    def _setup(self) -> None:
        doc = self.document
        section = doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.footer_distance = Mm(28) - Mm(7)
        doc.settings.odd_and_even_pages_header_footer = True
        _page_number_paragraph(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
        _page_number_paragraph(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
        normal = doc.styles["Normal"]
        normal.font.name = LATIN
        normal.font.size = SIZE_3
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
        _register_fallbacks(doc)
        props = doc.core_properties
        props.title = self.title
        props.author = self.issuer or "城运"

    def _para(self, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True):
        p = self.document.add_paragraph()
        fmt = p.paragraph_format
        p.alignment = align
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH
        fmt.space_before = fmt.space_after = Pt(0)
        if indent:
            fmt.first_line_indent = Pt(32)  # two characters of 3号
        return p

    def heading(self, text: str) -> str:
        """一级标题 一、… in 黑体; restarts the （一） numbering."""
        self._h1 += 1
        self._h2 = 0
        label = f"{chinese_number(self._h1)}、{text}"
        set_run_font(self._para().add_run(label), HEITI, SIZE_3)
        return label

    def subheading(self, text: str, *, lead_in: str = "") -> str:
        """二级标题 （一）… in 楷体; with lead_in the heading runs on into body text on the same line."""
        self._h2 += 1
        label = f"（{chinese_number(self._h2)}）{text}"
        p = self._para()
        set_run_font(p.add_run(label), KAITI, SIZE_3)
        if lead_in:
            set_run_font(p.add_run(lead_in), FANGSONG, SIZE_3)
        return label

    def paragraph(self, text: str, *, lead: str = "", indent: bool = True, align=None) -> None:
        """Body text; `lead` is a bold run-in phrase (三级标题 style, e.g. "1.进度方面。")."""
        p = self._para(indent=indent, align=align or WD_ALIGN_PARAGRAPH.JUSTIFY)
        if lead:
            set_run_font(p.add_run(lead), FANGSONG, SIZE_3, bold=True)
        set_run_font(p.add_run(text), FANGSONG, SIZE_3)

    def numbered(self, items: Iterable[str], *, bold_lead: bool = False) -> None:
        """三级 1. 2. 3. items; with bold_lead the text before the first "。" is bold."""
        for n, item in enumerate(items, start=1):
            if bold_lead and "。" in item:
                head, tail = item.split("。", 1)
                self.paragraph(tail, lead=f"{n}.{head}。")
            else:
                self.paragraph(item, lead=f"{n}.")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str = "",
              widths_cm: Sequence[float] | None = None, font_size=SIZE_SMALL_4) -> object:
        if caption:
            self._tables += 1
            p = self._para(align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
            set_run_font(p.add_run(f"表{self._tables}  {caption}"), HEITI, SIZE_4)
        table = self.document.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, h in zip(table.rows[0].cells, headers):
            self._cell(cell, str(h), HEITI, font_size, center=True)
        # Repeat the header row on every page the table spans.
        tr_pr = table.rows[0]._tr.get_or_add_trPr()
        header = OxmlElement("w:tblHeader")
        header.set(qn("w:val"), "true")
        tr_pr.append(header)
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row):
                text = "" if value is None else str(value)
                self._cell(cell, text, FANGSONG, font_size, center=isinstance(value, (int, float)) or len(text) <= 4)
        if widths_cm:
            for row in table.rows:
                for cell, w in zip(row.cells, widths_cm):
                    cell.width = Cm(w)
        self._para(indent=False).paragraph_format.line_spacing = Pt(12)
        return table

    @staticmethod
    def _cell(cell, text: str, font: str, size, *, center: bool) -> None:
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
        p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
        p.paragraph_format.line_spacing = 1.0
        set_run_font(p.add_run(text), font, size)

    def chart(self, png: bytes, *, caption: str = "", width_cm: float = 15.0) -> None:
        p = self._para(align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        p.paragraph_format.line_spacing = 1.0
        p.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm))
        if caption:
            self._figures += 1
            c = self._para(align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
            set_run_font(c.add_run(f"图{self._figures}  {caption}"), HEITI, SIZE_4)

    def page_break(self) -> None:
        self.document.add_page_break()

    def signature(self) -> None:
        """发文机关署名 and 成文日期, right-aligned with four characters' space on the right."""
        if not (self.issuer or self.date):
            return
        self._para(indent=False)
        self._para(indent=False)
        for text in (self.issuer, official_date(self.date) if self.date else ""):
            if text:
                p = self._para(align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
                p.paragraph_format.right_indent = Pt(64)
                set_run_font(p.add_run(text), FANGSONG, SIZE_3)

    def imprint(self, *, copy_to: str = "", printer: str = "", printed_on: dt.date | None = None) -> None:
        """版记: 抄送 and 印发机关/印发日期 in 4号仿宋 between rules (the first and last rule thicker)."""
        lines = []
        if copy_to:
            p = self._para(indent=False)
            p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(14)
            set_run_font(p.add_run(f"抄送：{copy_to}。"), FANGSONG, SIZE_4)
            lines.append(p)
        if printer:
            p = self._para(indent=False)
            p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(14)
            set_run_font(p.add_run(printer), FANGSONG, SIZE_4)
            if printed_on:
                # The date flush right on the same line, via a right tab stop at the text edge.
                from docx.enum.text import WD_TAB_ALIGNMENT

                p.paragraph_format.tab_stops.add_tab_stop(Mm(210 - 28 - 26) - Pt(28), WD_TAB_ALIGNMENT.RIGHT)
                set_run_font(p.add_run(f"\t{official_date(printed_on)}印发"), FANGSONG, SIZE_4)
            lines.append(p)
        for i, p in enumerate(lines):
            _rule(p, "top", thick=i == 0)
        if lines:
            _rule(lines[-1], "bottom", thick=True)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def heading_texts(document) -> list[str]:
    """The numbered headings (一、… and （一）…) of a saved document, for checks and tests."""
    import re

    pattern = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")
    return [p.text for p in document.paragraphs if pattern.match(p.text)]


__all__ = ["OfficialDocument", "chinese_number", "official_date", "heading_texts", "set_run_font"]
