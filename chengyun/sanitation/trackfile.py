"""Reading a vehicle's points from CSV or JSON (file import, API upload, MQTT message).

CSV: a header with ``time,lng,lat`` (also 时间/经度/纬度; an optional ``vehicle``/``车辆`` column
lets one file hold several vehicles). JSON: ``{"points": [{"t"|"time": ISO 8601, "lng", "lat"}, …]}``
or the list itself. A time without offset is China time. A line that cannot be read refuses the
whole file with the line named (nothing stored); points that read but cannot be true (time going
backwards, impossible jumps) are the cleaning's business, reported per point.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from chengyun.geo.tracks import TrackError

CHINA = ZoneInfo("Asia/Shanghai")
MAX_POINTS = 500_000

_ALIASES = {"time": "time", "t": "time", "时间": "time", "定位时间": "time", "lng": "lng", "lon": "lng", "经度": "lng",
            "lat": "lat", "纬度": "lat", "vehicle": "vehicle", "车辆": "vehicle", "终端编号": "vehicle"}


@dataclass(frozen=True)
class RawPoint:
    t: float  # epoch seconds
    lng: float
    lat: float
    vehicle: str = ""


def parse_time(text: object, where: str) -> float:
    if not isinstance(text, str) or not text.strip():
        raise TrackError("缺少时间", where)
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TrackError(f"时间格式无法识别：{text.strip()[:40]}", where) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA)
    return when.timestamp()


def _coord(value: object, name: str, where: str) -> float:
    if isinstance(value, bool):
        raise TrackError(f"{name}不是数字", where)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TrackError(f"{name}不是数字：{str(value)[:20]}", where) from None
    if not math.isfinite(number):
        raise TrackError(f"{name}不是有限数", where)
    return number


def parse_csv(data: bytes) -> list[RawPoint]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise TrackError("文件编码无法识别（应为 UTF-8 或 GB18030）") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise TrackError("文件为空")
    cols = {_ALIASES.get(h.strip().lower(), _ALIASES.get(h.strip(), "")): k for k, h in enumerate(header)}
    missing = [n for n in ("time", "lng", "lat") if n not in cols]
    if missing:
        raise TrackError(f"表头缺少列：{'、'.join(missing)}（应有 time,lng,lat 或 时间,经度,纬度）")
    out = []
    for n, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"第 {n} 行"
        if len(row) <= max(cols.values()):
            raise TrackError("列数不足", where)
        out.append(RawPoint(parse_time(row[cols["time"]], where), _coord(row[cols["lng"]], "经度", where),
                            _coord(row[cols["lat"]], "纬度", where), row[cols["vehicle"]].strip() if "vehicle" in cols else ""))
        if len(out) > MAX_POINTS:
            raise TrackError(f"轨迹点超过 {MAX_POINTS} 个，请分文件导入")
    if not out:
        raise TrackError("文件中没有轨迹点")
    return out


def points_from_objects(items: object) -> list[RawPoint]:
    if isinstance(items, dict):
        items = items.get("points")
    if not isinstance(items, list) or not items:
        raise TrackError("points 应为非空数组")
    if len(items) > MAX_POINTS:
        raise TrackError(f"轨迹点超过 {MAX_POINTS} 个，请分批上传")
    out = []
    for n, item in enumerate(items, start=1):
        where = f"第 {n} 个轨迹点"
        if not isinstance(item, dict):
            raise TrackError("应为对象 {t, lng, lat}", where)
        out.append(RawPoint(parse_time(item.get("t", item.get("time")), where), _coord(item.get("lng"), "经度", where),
                            _coord(item.get("lat"), "纬度", where), str(item.get("vehicle") or "")))
    return out


def parse_json(data: bytes) -> list[RawPoint]:
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrackError(f"不是有效的 JSON：{exc}") from None
    return points_from_objects(obj)


def parse_file(name: str, data: bytes) -> list[RawPoint]:
    lower = (name or "").lower()
    if lower.endswith(".json") or data.lstrip()[:1] in (b"{", b"["):
        return parse_json(data)
    return parse_csv(data)
