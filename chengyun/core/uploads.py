"""The one validator for uploaded images, by their content rather than their name.

Only JPEG, PNG and WebP are accepted: Pillow must recognise the bytes as one of them and be
able to decode the whole image (a truncated or disguised file is refused). SVG is refused
outright (it can carry scripts). The pixel count is checked from the header before decoding,
so a decompression bomb (a small file that decodes to gigapixels) is refused cheaply. GPS
coordinates are read from EXIF when the camera recorded them, as decimal WGS84 degrees.

``check_image`` is Django-free; ``validated_image`` applies the installation's limits
(UPLOAD_MAX_BYTES, UPLOAD_MAX_PIXELS) to an uploaded file and raises ``Invalid`` (422).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# Refuse decompression bombs long before Pillow's own (much larger) limit; settings.UPLOAD_MAX_PIXELS
# (CHENGYUN_UPLOAD_MAX_PIXELS) sets it per installation.
MAX_PIXELS = 40_000_000
_GPS_IFD = 0x8825


class ImageRejected(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    extension: str
    width: int
    height: int
    size: int
    sha256: str
    gps: tuple[float, float] | None  # (lng, lat)


def _ratio(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def _dms(values, ref) -> float | None:
    try:
        d, m, s = (_ratio(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60.0 + s / 3600.0
    if str(ref).upper().startswith(("S", "W")):
        deg = -deg
    return deg


def read_gps(img: Image.Image) -> tuple[float, float] | None:
    try:
        gps = img.getexif().get_ifd(_GPS_IFD)
    except Exception:  # damaged EXIF must not refuse an otherwise good photo
        return None
    if not gps or 2 not in gps or 4 not in gps:
        return None
    lat = _dms(gps[2], gps.get(1, "N"))
    lng = _dms(gps[4], gps.get(3, "E"))
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None
    return (lng, lat)


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in data[:4096].lower()


def check_image(data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    if not data:
        raise ImageRejected("照片文件为空", "empty_file")
    if len(data) > max_bytes:
        raise ImageRejected(f"照片过大：{len(data) / 1048576:.1f} MB，上限 {max_bytes / 1048576:.1f} MB", "file_too_large")
    if _looks_like_svg(data):
        # SVG can carry script and external references; it is never accepted as a photo.
        raise ImageRejected("不接受 SVG 矢量图，请上传 JPEG、PNG 或 WebP 照片", "svg_refused")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            if fmt not in FORMATS:
                raise ImageRejected(f"只接受 JPEG、PNG、WebP 照片，此文件为 {fmt or '未知格式'}", "unsupported_image")
            width, height = img.size
            if width * height > max_pixels:
                raise ImageRejected(f"照片像素过多：{width}×{height}，上限 {max_pixels / 1e6:.0f} 百万像素", "image_too_large")
            gps = read_gps(img)
            img.load()  # decode everything: a truncated or forged file fails here
    except ImageRejected:
        raise
    except Image.DecompressionBombError:
        # Pillow's own guard fires at open for headers far beyond any photo (our limit is lower).
        raise ImageRejected(f"照片像素过多，上限 {max_pixels / 1e6:.0f} 百万像素", "image_too_large") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("文件不是可识别的 JPEG、PNG 或 WebP 照片", "not_an_image") from None
    content_type, extension = FORMATS[fmt]
    return ImageInfo(content_type, extension, width, height, len(data), hashlib.sha256(data).hexdigest(), gps)


def validated_image(upload: Any, *, field: str = "photo") -> tuple[bytes, ImageInfo]:
    """Read an uploaded file (Django UploadedFile, bytes, or a (name, bytes) pair) and check it
    with the installation's limits; a refused file is a 422 naming the field."""
    from django.conf import settings

    from .errors import Invalid

    max_bytes = settings.UPLOAD_MAX_BYTES
    if isinstance(upload, (bytes, bytearray)):
        data = bytes(upload)
    elif isinstance(upload, tuple):
        data = bytes(upload[1])
    else:
        if getattr(upload, "size", 0) and upload.size > max_bytes:
            raise Invalid(f"照片过大，上限 {max_bytes / 1048576:.1f} MB", code="file_too_large", detail={"field": field})
        data = upload.read()
        if hasattr(upload, "seek"):
            upload.seek(0)
    try:
        return data, check_image(data, max_bytes=max_bytes, max_pixels=settings.UPLOAD_MAX_PIXELS)
    except ImageRejected as exc:
        raise Invalid(str(exc), code=exc.code, detail={"field": field}) from None
