"""Uploaded boundary and network files: GeoJSON as is, Shapefiles as a .zip.

A Shapefile is several files (.shp geometry, .shx index, .dbf attributes, .prj coordinate
system, .cpg encoding), so the web pages take them zipped. The zip is unpacked into a
temporary directory after checking every member: no absolute paths or ``..`` (a member
must not land outside that directory), and a bound on the unpacked size (a zip bomb must not
fill the disk). Reading itself is geo.importers', the same as the CLI's.
"""
from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Iterator

from django.conf import settings

from chengyun.core.errors import Invalid

from .importers import RawFeature, read_geojson, read_shapefile

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
GEOJSON_SUFFIXES = (".geojson", ".json")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    """The largest upload (and the largest unpacked zip) accepted; settings.GEO_UPLOAD_MAX_BYTES."""
    return int(getattr(settings, "GEO_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def read_upload_bytes(upload) -> bytes:
    """The uploaded file's content, refused above the size limit before it is read."""
    limit = max_upload_bytes()
    if upload is None:
        raise Invalid("请选择文件", code="missing_file", detail={"field": "file"})
    if upload.size > limit:
        raise Invalid(f"文件过大：{upload.name} 为 {upload.size / 1024 / 1024:.1f} MB，上限 {_mb(limit)}", code="file_too_large",
                      detail={"field": "file", "limit": limit})
    return upload.read()


def _safe_member(name: str) -> PurePosixPath:
    """A member's path inside the archive, refused when it would leave the unpack directory."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise Invalid(f"压缩包内的路径不安全：{name}", code="unsafe_zip", detail={"field": "file", "member": name})
    return path


@contextmanager
def unpacked_shapefiles(data: bytes, name: str) -> Iterator[list[Path]]:
    """Unpack a zipped Shapefile (or several) and yield the paths of its .shp files."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise Invalid(f"{name} 不是有效的 zip 压缩包", code="bad_zip", detail={"field": "file"}) from None
    limit = max_upload_bytes()
    with archive, tempfile.TemporaryDirectory(prefix="chengyun-upload-") as tmp:
        members = []
        for info in archive.infolist():
            path = _safe_member(info.filename)
            if info.is_dir() or path.parts[:1] == ("__MACOSX",) or path.suffix.lower() not in SHAPEFILE_PARTS:
                continue  # folders, macOS resource forks, .shp.xml metadata, .sbn indexes: not needed
            members.append((info, path))
        if sum(info.file_size for info, _ in members) > limit:
            raise Invalid(f"压缩包解压后超过 {_mb(limit)}", code="file_too_large", detail={"field": "file", "limit": limit})
        shps = []
        root = Path(tmp)
        for info, path in members:
            # Lower-case suffixes so that pyshp finds X.dbf next to X.SHP.
            target = root.joinpath(*path.parent.parts, path.stem + path.suffix.lower())
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src:
                content = src.read(limit + 1)
            if len(content) > limit:  # the header's size can lie; the bytes cannot
                raise Invalid(f"压缩包解压后超过 {_mb(limit)}", code="file_too_large", detail={"field": "file", "limit": limit})
            target.write_bytes(content)
            if target.suffix == ".shp":
                shps.append(target)
        if not shps:
            raise Invalid(f"{name} 中没有 .shp 文件（Shapefile 应将 .shp、.shx、.dbf、.prj 一起压缩上传）", code="no_shapefile",
                          detail={"field": "file"})
        for shp in shps:
            if not shp.with_suffix(".dbf").exists():
                raise Invalid(f"{name} 中的 {shp.relative_to(root).as_posix()} 缺少同名 .dbf 属性表", code="no_shapefile",
                              detail={"field": "file"})
        yield sorted(shps)


def read_boundary_upload(data: bytes, name: str, encoding: str | None = None) -> list[RawFeature]:
    """Features of an uploaded GeoJSON or zipped Shapefile, read as `chengyun geo import` reads files."""
    suffix = Path(name).suffix.lower()
    if suffix in GEOJSON_SUFFIXES:
        return read_geojson(data)
    if suffix == ".zip":
        with unpacked_shapefiles(data, name) as shps:
            if len(shps) > 1:
                raise Invalid(f"{name} 中有 {len(shps)} 个 .shp 文件，一次只能导入一个层级的一个文件", code="several_shapefiles",
                              detail={"field": "file"})
            return read_shapefile(shps[0], encoding)
    raise Invalid(f"不支持的文件类型：{suffix or name}（支持 .geojson、.json 或 Shapefile 压缩的 .zip）", code="bad_file",
                  detail={"field": "file"})


_PROBLEM = re.compile(r"^(?P<where>.+?)：(?P<field>[A-Za-z_][\w/.]*): (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class Problem:
    """One line of an import report split for a table: which feature or row, which field, what."""

    where: str
    field: str
    message: str


def problems(lines: list[str]) -> list[Problem]:
    """Split the import services' report lines ("第 3 个要素（code=…）：name: 缺少名称") for the upload pages."""
    out = []
    for line in lines:
        m = _PROBLEM.match(line)
        out.append(Problem(m["where"], m["field"], m["message"]) if m else Problem("", "", line))
    return out


# ---------------------------------------------------------------- checked files kept for the import
# After a clean 校验 the page offers to import the very files it checked, without choosing them
# again: they wait in DATA_DIR/upload-staging under a random token that only the session that
# uploaded them knows, for at most STAGED_SECONDS.

STAGED_SECONDS = 3600
_SESSION_KEY = "staged_uploads"


def _staging_dir() -> Path:
    return Path(settings.DATA_DIR) / "upload-staging"


def _drop_stale(now: float) -> None:
    root = _staging_dir()
    if not root.exists():
        return
    for folder in root.iterdir():
        try:
            if now - folder.stat().st_mtime > STAGED_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:  # another process removed it first
            continue


def stage(request, files: list[tuple[bytes, str]]) -> str:
    """Keep checked files for this session's import; returns the token the import form sends back."""
    now = time.time()
    _drop_stale(now)
    token = secrets.token_urlsafe(18)
    folder = _staging_dir() / token
    folder.mkdir(parents=True)
    for i, (data, _name) in enumerate(files):
        (folder / str(i)).write_bytes(data)
    staged = dict(request.session.get(_SESSION_KEY, {}))
    staged[token] = {"names": [name for _, name in files], "at": now}
    request.session[_SESSION_KEY] = {k: v for k, v in staged.items() if now - v["at"] <= STAGED_SECONDS}
    return token


def take_staged(request, token: str) -> list[tuple[bytes, str]]:
    """The files checked under `token` by this session, removed from staging (an import uses them once)."""
    staged = dict(request.session.get(_SESSION_KEY, {}))
    entry = staged.pop(token, None)
    folder = _staging_dir() / token
    if entry is None or time.time() - entry["at"] > STAGED_SECONDS or not folder.is_dir():
        raise Invalid("校验过的文件已过期，请重新选择文件", code="staged_expired", detail={"field": "file"})
    files = [((folder / str(i)).read_bytes(), name) for i, name in enumerate(entry["names"])]
    shutil.rmtree(folder, ignore_errors=True)
    request.session[_SESSION_KEY] = staged
    return files
