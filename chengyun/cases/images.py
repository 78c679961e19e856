"""Checking uploaded photos by their content, not their name (Django-free).

Only JPEG, PNG and WebP are accepted: Pillow must recognise the bytes as one of them and be
able to decode the whole image (a truncated or disguised file is refused). GPS coordinates are
read from EXIF when the camera recorded them, as decimal WGS84 degrees.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# Refuse decompression bombs long before Pillow's own (much larger) limit.
MAX_PIXELS = 60_000_000
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


def check_image(data: bytes, *, max_bytes: int) -> ImageInfo:
    if not data:
        raise ImageRejected("照片文件为空", "empty_file")
    if len(data) > max_bytes:
        raise ImageRejected(f"照片过大：{len(data) / 1048576:.1f} MB，上限 {max_bytes / 1048576:.1f} MB", "file_too_large")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            if fmt not in FORMATS:
                raise ImageRejected(f"只接受 JPEG、PNG、WebP 照片，此文件为 {fmt or '未知格式'}", "unsupported_image")
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise ImageRejected("照片像素过多", "image_too_large")
            gps = read_gps(img)
            img.load()  # decode everything: a truncated or forged file fails here
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("文件不是可识别的 JPEG、PNG 或 WebP 照片", "not_an_image") from None
    content_type, extension = FORMATS[fmt]
    return ImageInfo(content_type, extension, width, height, len(data), hashlib.sha256(data).hexdigest(), gps)
