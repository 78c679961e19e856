"""Network files uploaded on the import page, read as `chengyun drainage import` reads them.

GeoJSON and CSV are read from memory; Shapefiles come zipped (geo.uploads unpacks them safely,
and a zip may hold both the node and the pipe Shapefile). Several files of one upload are
checked together, so pipes may refer to nodes of another file.
"""
from __future__ import annotations

from pathlib import Path

from chengyun.core.errors import Invalid
from chengyun.geo import uploads as geo_uploads

from .importers import NetFeature, read_network_file, read_network_upload


def read_network_uploads(files: list[tuple[bytes, str]], encoding: str | None = None) -> list[NetFeature]:
    """Features of every uploaded file: .geojson/.json, .csv, or a .zip of Shapefiles."""
    if not files:
        raise Invalid("请选择文件", code="missing_file", detail={"field": "file"})
    features: list[NetFeature] = []
    for data, name in files:
        suffix = Path(name).suffix.lower()
        if suffix not in (".geojson", ".json", ".csv", ".zip"):
            raise Invalid(f"不支持的文件类型：{name}（支持 .geojson、.json、.csv，或 Shapefile 压缩的 .zip）", code="bad_file",
                          detail={"field": "file"})
        if suffix == ".zip":
            with geo_uploads.unpacked_shapefiles(data, name) as shps:
                for shp in shps:
                    features += read_network_file(shp, encoding)
        else:
            features += read_network_upload(data, name)
    return features
