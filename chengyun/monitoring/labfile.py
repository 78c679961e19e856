"""Reading laboratory (手工监测) result files: CSV (UTF-8 or GB 18030, as Excel saves it) or JSON."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from chengyun.core.errors import Invalid

# Column headings accepted besides the field names themselves.
HEADINGS = {
    "设备编码": "mn", "MN": "mn", "站点类型": "site_kind", "站点编码": "site_code", "断面编码": "site_code",
    "因子": "factor", "监测因子": "factor", "因子编码": "factor", "时间": "data_time", "采样时间": "data_time",
    "监测时间": "data_time", "数值": "value", "值": "value", "监测值": "value", "标记": "flag", "数据标记": "flag",
    "单位": "unit", "备注": "note",
}
SITE_KINDS = {"断面": "section", "监测断面": "section", "排污口": "outfall", "入河排污口": "outfall"}

TEMPLATE_CSV = "site_kind,site_code,factor,data_time,value,flag\nsection,S001,COD,2026-11-20 10:00,18.2,N\n"


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("文件编码无法识别（请用 UTF-8 或 GBK/GB18030）", code="bad_encoding")


def _normalise(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if key is None:  # more cells than headings
            out["__extra__"] = value
            continue
        name = HEADINGS.get(str(key).strip(), str(key).strip())
        if isinstance(value, str):
            value = value.strip()
        out[name] = value
    if out.get("site_kind") in SITE_KINDS:
        out["site_kind"] = SITE_KINDS[out["site_kind"]]
    return out


def read(data: bytes, filename: str = "") -> tuple[list[dict[str, Any]], int]:
    """Rows as dicts, and the number the first row has in the file (CSV: 2, after the heading)."""
    text = _decode(data)
    stripped = text.lstrip()
    if filename.lower().endswith(".json") or stripped.startswith(("[", "{")):
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Invalid(f"JSON 格式有误：第 {exc.lineno} 行第 {exc.colno} 列", code="bad_json") from None
        rows = payload.get("rows") if isinstance(payload, dict) else payload
        if not isinstance(rows, list):
            raise Invalid("JSON 应为结果数组，或 {\"rows\": [...]}", code="bad_json")
        # Each result is one object; anything else (a bare value, a nested array) is refused
        # naming its position rather than reaching the import as a row it cannot read.
        not_objects = [i + 1 for i, r in enumerate(rows) if not isinstance(r, dict)]
        if not_objects:
            raise Invalid(f"第 {not_objects[0]} 条结果不是对象（应为 {{\"mn\": …, \"factor\": …}}）", code="bad_json",
                          detail={"rows": not_objects[:20]})
        return [_normalise(r) for r in rows], 1
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames:
            raise Invalid("CSV 文件为空", code="bad_csv")
        return [_normalise(r) for r in reader], 2
    except csv.Error as exc:  # e.g. an unterminated quote, a field past the size limit
        raise Invalid(f"CSV 格式有误：{exc}", code="bad_csv") from None
