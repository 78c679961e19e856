"""Reading network and inspection files into plain rows; checking and writing is in services.

Network: GeoJSON (nodes as Points, pipes as LineStrings, in one file or several), Shapefile
(one geometry type per file, so nodes and pipes come as two files) and CSV (a node table with
lng/lat, or a pipe table with from_node/to_node and an optional WKT column).
Inspections: the usual inspection-report table (CSV or Excel), one row per defect.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chengyun.core.errors import Invalid
from chengyun.core.tables import UnreadableTable, decode_text, xlsx_rows
from chengyun.geo.importers import read_geojson, read_shapefile


@dataclass
class NetFeature:
    source: str  # file name
    index: int  # 1-based feature (or data row) number in that file
    properties: dict[str, Any]
    geometry: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)
    row_word: str = "个要素"

    @property
    def label(self) -> str:
        code = self.properties.get("code")
        return f"{self.source} 第 {self.index} {self.row_word}" + (f"（code={code}）" if code else "")

    @property
    def is_pipe(self) -> bool:
        gtype = (self.geometry or {}).get("type")
        if gtype in ("LineString", "MultiLineString"):
            return True
        if gtype == "Point":
            return False
        return bool(self.properties.get("from_node") or self.properties.get("to_node"))


# DBF field names stop at 10 characters (diameter_mm arrives as diameter_m), and survey
# deliverables often use Chinese column names; both map onto the property names.
PROPERTY_ALIASES: dict[str, str] = {
    "diameter_m": "diameter_mm", "管径": "diameter_mm", "install_ye": "install_year", "建设年代": "install_year",
    "建设年份": "install_year", "up_invert_": "up_invert_m", "起点管底": "up_invert_m", "down_inver": "down_invert_m",
    "down_inv_m": "down_invert_m", "终点管底": "down_invert_m", "from_node": "from_node", "起点": "from_node",
    "起点编号": "from_node", "to_node": "to_node", "终点": "to_node", "终点编号": "to_node", "材质": "material",
    "管道类别": "type", "类别": "type", "节点类型": "kind", "地面高程": "ground_m", "权属单位": "owner", "所在道路": "road",
    "area_class": "area_class", "area_clas": "area_class",
}


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in props.items():
        key = str(k).strip()
        key = PROPERTY_ALIASES.get(key, PROPERTY_ALIASES.get(key.lower(), key))
        if key in out and out[key] not in (None, ""):
            continue
        out[key] = v.strip() if isinstance(v, str) else v
    return out


def read_csv_network(data: bytes, name: str) -> list[NetFeature]:
    text = _decode(data, name)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        fieldnames = reader.fieldnames
        rows = list(reader)
    except csv.Error as exc:  # e.g. an unterminated quote, a field past the size limit
        raise Invalid(f"{name}：CSV 格式有误（{exc}）", code="bad_file") from None
    if not fieldnames or "code" not in [f.strip() for f in fieldnames]:
        raise Invalid(f"{name}：CSV 第一行应为列名，且包含 code 列", code="bad_file")
    features = []
    for i, row in enumerate(rows, start=1):
        props = _clean({k: v for k, v in row.items() if k is not None})
        geom = None
        errors = []
        if props.get("wkt"):
            try:
                from shapely import wkt
                from shapely.geometry import mapping

                geom = mapping(wkt.loads(props["wkt"]))
            except Exception as exc:
                errors.append(f"wkt: 无法解析（{exc}）")
        elif props.get("lng") not in (None, "") or props.get("lat") not in (None, ""):
            try:
                geom = {"type": "Point", "coordinates": [float(props["lng"]), float(props["lat"])]}
            except (TypeError, ValueError, KeyError):
                errors.append("lng/lat: 应为数字")
        features.append(NetFeature(name, i + 1, props, geom, errors, row_word="行"))
    return features


def _decode(data: bytes, name: str) -> str:
    try:
        return decode_text(data)
    except UnreadableTable:
        raise Invalid(f"{name}：无法识别文件编码（应为 UTF-8 或 GBK）", code="bad_file") from None


def read_network_file(path: str | Path, encoding: str | None = None) -> list[NetFeature]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        raw = read_geojson(path.read_bytes())
    elif suffix in (".shp", ".dbf", ".shx"):
        raw = read_shapefile(path, encoding)
    elif suffix == ".csv":
        return read_csv_network(path.read_bytes(), path.name)
    else:
        raise Invalid(f"不支持的文件类型：{suffix}（支持 .geojson/.json/.shp/.csv）", code="bad_file")
    return [NetFeature(path.name, f.index, _clean(f.properties), f.geometry, list(f.errors)) for f in raw]


def read_network_upload(data: bytes, name: str) -> list[NetFeature]:
    suffix = Path(name).suffix.lower()
    if suffix in (".geojson", ".json"):
        return [NetFeature(name, f.index, _clean(f.properties), f.geometry, list(f.errors)) for f in read_geojson(data)]
    if suffix == ".csv":
        return read_csv_network(data, name)
    raise Invalid(f"不支持上传的文件类型：{suffix}（网页和接口支持 GeoJSON、CSV；Shapefile 请用命令行导入）", code="bad_file")


# ---------------------------------------------------------------- inspection reports

# Column headers seen in inspection reports (检测成果表), mapped to field names.
INSPECTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "pipe": ("pipe", "pipe_code", "管段编号", "管段编码", "管段", "管道编号"),
    "date": ("date", "inspected_on", "检测日期", "日期"),
    "method": ("method", "检测方法", "检测方式"),
    "operator": ("operator", "检测人员", "检测员", "操作员"),
    "report_no": ("report_no", "报告编号"),
    "code": ("defect_code", "code", "缺陷代码", "代码"),
    "grade": ("grade", "缺陷等级", "等级"),
    "position_m": ("position_m", "position", "缺陷位置", "缺陷位置(m)", "缺陷位置（m）", "距离", "距离(m)", "距离（m）"),
    "length_m": ("length_m", "length", "缺陷长度", "缺陷长度(m)", "缺陷长度（m）", "长度(m)", "长度（m）"),
    "clock": ("clock", "clock_position", "环向位置", "时钟表示"),
    "photo": ("photo", "照片", "照片编号", "图片"),
}
REQUIRED_INSPECTION_COLUMNS = ("pipe", "date", "method")


@dataclass
class InspectionRow:
    row: int  # spreadsheet row number (header is row 1)
    values: dict[str, Any]


def _map_header(header: list[Any]) -> dict[int, str]:
    lookup = {alias.lower(): name for name, aliases in INSPECTION_COLUMNS.items() for alias in aliases}
    mapping = {}
    for i, h in enumerate(header):
        key = str(h or "").strip().lower()
        if key in lookup:
            mapping[i] = lookup[key]
    return mapping


def read_inspection_table(data: bytes, name: str) -> list[InspectionRow]:
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            rows = [list(r) for r in xlsx_rows(data)]
        except UnreadableTable as exc:
            raise Invalid(f"{name}：无法读取 Excel 文件（{exc}）", code="bad_file") from None
    elif suffix == ".csv":
        try:
            rows = list(csv.reader(io.StringIO(_decode(data, name), newline="")))
        except csv.Error as exc:
            raise Invalid(f"{name}：CSV 格式有误（{exc}）", code="bad_file") from None
    else:
        raise Invalid(f"不支持的文件类型：{suffix}（支持 .csv、.xlsx）", code="bad_file")
    if not rows:
        raise Invalid(f"{name}：文件为空", code="bad_file")
    mapping = _map_header(rows[0])
    missing = [c for c in REQUIRED_INSPECTION_COLUMNS if c not in mapping.values()]
    if missing:
        names = "、".join(INSPECTION_COLUMNS[c][2] if len(INSPECTION_COLUMNS[c]) > 2 else c for c in missing)
        raise Invalid(f"{name}：缺少必需的列：{names}", code="bad_header", detail={"missing": missing})
    out = []
    for n, r in enumerate(rows[1:], start=2):
        if all(v in (None, "") for v in r):
            continue
        values = {}
        for i, field_name in mapping.items():
            v = r[i] if i < len(r) else None
            values[field_name] = v.strip() if isinstance(v, str) else v
        out.append(InspectionRow(n, values))
    return out


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    return dt.date.fromisoformat(text)
