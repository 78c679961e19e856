"""Reading and writing a city's case standard table (部件/事件 立案、处置、结案标准), Django-free.

A published city standard is a table with one row per filing condition (立案条件):

    类型, 大类代码, 大类名称, 小类代码, 小类名称, 立案条件, 处置时限, 结案条件[, 责任单位类型][, 查重半径米][, 查重时窗小时]

The handling time limit (处置时限) is written the way the standards write it — ``2紧急工作时``,
``4小时``, ``5天``, ``1紧急工作日``, ``3工作日``, ``7自然日`` — and is parsed into an amount and one of
the calendar's units (chengyun.core.workcalendar.UNITS):

=================  ===============  ==================================================
written            unit             why
=================  ===============  ==================================================
紧急工作时 / 紧急小时  urgent_hour      the standard's continuous clock
紧急工作日          natural_day      an urgent day runs round the clock: 24 continuous hours
小时 / 工作时        work_hour        city standards count plain 小时 inside working hours
天 / 工作日          work_day         city standards count plain 天 as working days
自然日 / 日历天       natural_day
=================  ===============  ==================================================

Text after the unit (``1紧急工作时制止``) is an action the limit applies to; it is kept with the
closing condition rather than dropped.

部件 and 事件 share 4-digit codes (0101 is both 上水井盖 and 私搭乱建), so a minor class is
identified by (kind, code) everywhere.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from chengyun.core.tables import UnreadableTable, decode_text, xlsx_rows

KIND_EVENT = "event"
KIND_COMPONENT = "component"
KIND_NAMES = {KIND_COMPONENT: "部件", KIND_EVENT: "事件"}
KIND_BY_NAME = {"部件": KIND_COMPONENT, "事件": KIND_EVENT, "component": KIND_COMPONENT, "event": KIND_EVENT}

UNIT_NAMES = {"urgent_hour": "紧急工作时", "work_hour": "工作时", "work_day": "工作日", "natural_day": "自然日"}

# Longest spellings first so that 紧急工作日 is not read as 工作日.
_UNIT_WORDS = [
    ("紧急工作时", "urgent_hour"), ("紧急小时", "urgent_hour"), ("紧急工作日", "natural_day"),
    ("工作小时", "work_hour"), ("工作时", "work_hour"), ("小时", "work_hour"),
    ("工作日", "work_day"), ("自然日", "natural_day"), ("日历天", "natural_day"), ("天", "work_day"), ("日", "work_day"),
]
_LIMIT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(.*)$")

COLUMNS = ["类型", "大类代码", "大类名称", "小类代码", "小类名称", "立案条件", "处置时限", "结案条件"]
OPTIONAL_COLUMNS = ["责任单位类型", "查重半径米", "查重时窗小时"]


class TableError(ValueError):
    """A problem with the table as a whole (missing columns, unreadable file)."""


@dataclass
class Condition:
    text: str
    limit_amount: float
    limit_unit: str
    closing: str

    @property
    def limit_text(self) -> str:
        amount = int(self.limit_amount) if float(self.limit_amount).is_integer() else self.limit_amount
        return f"{amount}{UNIT_NAMES[self.limit_unit]}"


@dataclass
class MinorClass:
    kind: str
    major_code: str
    major_name: str
    code: str
    name: str
    responsible_specialty: str = ""
    duplicate_radius_m: float | None = None
    duplicate_window_hours: float | None = None
    conditions: list[Condition] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.code)


@dataclass
class ParseResult:
    classes: list[MinorClass]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_limit(text: str) -> tuple[float, str, str]:
    """'2紧急工作时' -> (2.0, 'urgent_hour', ''); '1紧急工作时制止' -> (1.0, 'urgent_hour', '制止')."""
    m = _LIMIT_RE.match(text or "")
    if not m:
        raise ValueError(f"处置时限“{text}”应以数字开头，如 2紧急工作时、4小时、5天")
    amount = float(m.group(1))
    rest = m.group(2).strip()
    for word, unit in _UNIT_WORDS:
        if rest.startswith(word):
            return amount, unit, rest[len(word):].strip()
    for unit, name in UNIT_NAMES.items():
        if rest.startswith(unit):
            return amount, unit, rest[len(unit):].strip()
    raise ValueError(f"处置时限“{text}”的单位无法识别（可用：紧急工作时、工作时/小时、工作日/天、自然日、紧急工作日）")


def _optional_float(value: str, column: str, problems: list[str]) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        problems.append(f"“{column}”应为数字，实际为“{value}”")
        return None
    if number <= 0:
        problems.append(f"“{column}”应大于 0")
        return None
    return number


def parse_rows(rows: list[dict[str, str]], *, first_row_number: int = 2) -> ParseResult:
    """Group rows into minor classes; every error names the row (as numbered in the file) and column."""
    errors: list[str] = []
    classes: dict[tuple[str, str], MinorClass] = {}
    majors: dict[tuple[str, str], str] = {}
    for offset, raw in enumerate(rows):
        n = first_row_number + offset
        row = {k.strip() if isinstance(k, str) else k: (v or "").strip() if isinstance(v, str) else ("" if v is None else str(v).strip()) for k, v in raw.items()}
        if not any(row.get(c) for c in COLUMNS):
            continue
        problems: list[str] = []
        for column in COLUMNS:
            if not row.get(column):
                problems.append(f"“{column}”不能为空")
        kind = KIND_BY_NAME.get(row.get("类型", ""))
        if row.get("类型") and kind is None:
            problems.append(f"“类型”应为 部件 或 事件，实际为“{row['类型']}”")
        major, minor = row.get("大类代码", ""), row.get("小类代码", "")
        if major and not re.fullmatch(r"\d{2}", major):
            problems.append(f"“大类代码”应为 2 位数字，实际为“{major}”")
        if minor and not re.fullmatch(r"\d{4}", minor):
            problems.append(f"“小类代码”应为 4 位数字，实际为“{minor}”")
        elif minor and major and re.fullmatch(r"\d{2}", major) and not minor.startswith(major):
            problems.append(f"“小类代码”{minor} 应以大类代码 {major} 开头")
        amount = unit = None
        extra = ""
        if row.get("处置时限"):
            try:
                amount, unit, extra = parse_limit(row["处置时限"])
            except ValueError as exc:
                problems.append(f"“处置时限”：{exc}")
            else:
                if amount <= 0:
                    problems.append("“处置时限”应大于 0")
        radius = _optional_float(row.get("查重半径米", ""), "查重半径米", problems)
        window = _optional_float(row.get("查重时窗小时", ""), "查重时窗小时", problems)
        if kind and major and row.get("大类名称"):
            known = majors.setdefault((kind, major), row["大类名称"])
            if known != row["大类名称"]:
                problems.append(f"“大类名称”与前文不一致：大类 {major} 已是“{known}”，此处为“{row['大类名称']}”")
        if kind and minor:
            existing = classes.get((kind, minor))
            if existing and existing.name != row.get("小类名称"):
                problems.append(f"“小类名称”与前文不一致：{KIND_NAMES[kind]}小类 {minor} 已是“{existing.name}”，此处为“{row.get('小类名称')}”")
        if problems:
            errors.extend(f"第 {n} 行：{p}" for p in problems)
            continue
        mc = classes.get((kind, minor))
        if mc is None:
            mc = classes[(kind, minor)] = MinorClass(kind, major, row["大类名称"], minor, row["小类名称"])
        if row.get("责任单位类型"):
            mc.responsible_specialty = row["责任单位类型"]
        if radius is not None:
            mc.duplicate_radius_m = radius
        if window is not None:
            mc.duplicate_window_hours = window
        closing = row["结案条件"] if not extra else f"{extra}；{row['结案条件']}"
        if any(c.text == row["立案条件"] for c in mc.conditions):
            errors.append(f"第 {n} 行：“立案条件”在{KIND_NAMES[kind]}小类 {minor} 中重复")
            continue
        mc.conditions.append(Condition(row["立案条件"], amount, unit, closing))
    return ParseResult(list(classes.values()), errors)


def read_csv(data: bytes | str) -> list[dict[str, str]]:
    if isinstance(data, bytes):
        try:
            text = decode_text(data)
        except UnreadableTable as exc:
            raise TableError(str(exc)) from None
    else:
        text = data
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        _check_header(reader.fieldnames or [])
        return list(reader)
    except csv.Error as exc:  # e.g. an unterminated quote, a field past the size limit
        raise TableError(f"CSV 格式有误：{exc}") from None


def read_xlsx(data: bytes) -> list[dict[str, str]]:
    try:
        rows = xlsx_rows(data)
    except UnreadableTable as exc:
        raise TableError(f"无法读取 Excel 文件：{exc}") from None
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    _check_header(header)
    out = []
    for values in rows:
        out.append({h: ("" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))) for h, v in zip(header, values) if h})
    return out


def _check_header(header: list[str]) -> None:
    missing = [c for c in COLUMNS if c not in [h.strip() for h in header if h]]
    if missing:
        raise TableError(f"缺少列：{'、'.join(missing)}（第 1 行应为表头：{','.join(COLUMNS)}）")


def to_rows(classes: list[MinorClass]) -> list[list[str]]:
    """The table for export, header first; it reads back to the same catalogue."""
    def num(x):
        return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))

    out = [COLUMNS + OPTIONAL_COLUMNS]
    for mc in classes:
        for c in mc.conditions:
            out.append([KIND_NAMES[mc.kind], mc.major_code, mc.major_name, mc.code, mc.name, c.text, c.limit_text, c.closing,
                        mc.responsible_specialty, num(mc.duplicate_radius_m), num(mc.duplicate_window_hours)])
    return out
