"""Reading boundary files (GeoJSON, Shapefile) into plain features in WGS84.

Only reading happens here; checking and writing are in services.import_boundaries, so the
CLI, the upload page and the API share one set of rules.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyproj import CRS, Transformer
from shapely.geometry import mapping, shape
from shapely.ops import transform

from chengyun.core.errors import Invalid

_WGS84_LIKE = {4326, 4490, 4479, 4480}  # WGS84 and CGCS2000 geographic: the same to ~1 m


@dataclass
class RawFeature:
    index: int  # 1-based position in the file
    properties: dict[str, Any]
    geometry: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        code = self.properties.get("code")
        return f"第 {self.index} 个要素" + (f"（code={code}）" if code else "")


def _transformer_for(crs: CRS | None) -> Transformer | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    if epsg in _WGS84_LIKE or (crs.is_geographic and crs.datum and "WGS" in crs.datum.name.upper()):
        return None
    return Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)


def _reproject(geometry: dict | None, transformer: Transformer | None) -> dict | None:
    if geometry is None or transformer is None:
        return geometry
    return mapping(transform(transformer.transform, shape(geometry)))


_ALIASES = {"code": ("code", "CODE", "编码", "网格编码", "Code"), "name": ("name", "NAME", "名称", "网格名称", "Name")}


def _normalise(props: dict[str, Any]) -> dict[str, Any]:
    out = dict(props)
    for key, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in props and props[alias] not in (None, ""):
                out[key] = str(props[alias]).strip()
                break
    return out


def read_geojson(data: bytes | str) -> list[RawFeature]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"文件不是有效的 GeoJSON：{exc}", code="bad_file") from None
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise Invalid("GeoJSON 顶层必须是 FeatureCollection 或 Feature", code="bad_file")
    crs = None
    if isinstance(doc.get("crs"), dict):  # legacy (pre-RFC 7946) named CRS
        props = doc["crs"].get("properties")
        name = props.get("name", "") if isinstance(props, dict) else ""
        name = name if isinstance(name, str) else ""
        try:
            crs = CRS.from_user_input(name.replace("urn:ogc:def:crs:", "").replace("::", ":")) if name and "CRS84" not in name else None
        except Exception:
            raise Invalid(f"无法识别的坐标参考系：{name}", code="bad_crs") from None
    transformer = _transformer_for(crs)
    raw = doc.get("features") if doc["type"] == "FeatureCollection" else [doc]
    if not isinstance(raw, list):
        raise Invalid("features 必须是数组", code="bad_file")
    features = []
    for i, f in enumerate(raw, start=1):
        props = f.get("properties") if isinstance(f, dict) else None
        geom = f.get("geometry") if isinstance(f, dict) else None
        feature = RawFeature(i, _normalise(props if isinstance(props, dict) else {}), geom if isinstance(geom, dict) else None)
        if not isinstance(f, dict) or f.get("type") != "Feature":
            feature.errors.append("type: 不是 Feature")
        try:
            feature.geometry = _reproject(feature.geometry, transformer)
        except Exception as exc:  # a geometry too broken to reproject is reported, not raised
            feature.errors.append(f"geometry: 无法转换坐标（{exc}）")
        features.append(feature)
    return features


def read_shapefile(path: str | Path, encoding: str | None = None) -> list[RawFeature]:
    import shapefile  # pyshp

    path = Path(path)
    base = path.with_suffix("")
    if not base.with_suffix(".shp").exists():
        raise Invalid(f"找不到 Shapefile：{base.with_suffix('.shp')}", code="bad_file")
    cpg = base.with_suffix(".cpg")
    if encoding is None:
        encoding = cpg.read_text().strip() if cpg.exists() else "utf-8"
    prj = base.with_suffix(".prj")
    try:
        crs = CRS.from_wkt(prj.read_text(errors="replace")) if prj.exists() else None
    except Exception:  # a .prj that is not WKT is the file's fault, not a crash
        raise Invalid(f"无法识别 {prj.name} 中的坐标参考系", code="bad_crs") from None
    transformer = _transformer_for(crs)
    try:
        reader = shapefile.Reader(str(base), encoding=encoding)
    except Exception as exc:
        raise Invalid(f"无法读取 Shapefile：{exc}", code="bad_file") from None
    features = []
    with reader:
        i = 0
        try:
            for i, sr in enumerate(reader.iterShapeRecords(), start=1):
                props = _normalise(sr.record.as_dict())
                geom = sr.shape.__geo_interface__ if sr.shape.shapeType != shapefile.NULL else None
                feature = RawFeature(i, props, geom)
                try:
                    feature.geometry = _reproject(geom, transformer)
                except Exception as exc:
                    feature.errors.append(f"geometry: 无法转换坐标（{exc}）")
                features.append(feature)
        except Exception as exc:  # pyshp raises KeyError, struct.error, … on damaged .shp/.dbf bytes
            raise Invalid(f"Shapefile 已损坏，第 {i + 1} 个要素无法读取：{exc!r}", code="bad_file") from None
    return features


def read_file(path: str | Path, encoding: str | None = None) -> list[RawFeature]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return read_geojson(path.read_bytes())
    if suffix in (".shp", ".dbf", ".shx"):
        return read_shapefile(path, encoding)
    raise Invalid(f"不支持的文件类型：{suffix}（支持 .geojson/.json/.shp）", code="bad_file")
