"""The one image validator (chengyun.core.uploads): real decoding, pixel limit against
decompression bombs, size limit, SVG refused — and every photo upload path uses it."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from chengyun.core.errors import Invalid
from chengyun.core.uploads import ImageRejected, check_image, validated_image


def _jpeg(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width × height but holds almost no data: the shape of a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_real_photo_is_accepted_with_its_facts():
    info = check_image(_jpeg(), max_bytes=1 << 20)
    assert (info.content_type, info.extension, info.width, info.height) == ("image/jpeg", "jpg", 40, 30)


@pytest.mark.parametrize("data, code", [
    (b"", "empty_file"),
    (b"\xff\xd8\xff\xe0 only the magic bytes of a JPEG", "not_an_image"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "svg_refused"),
    (b"  <svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>", "svg_refused"),
    (_png_header_only(100_000, 100_000), "image_too_large"),  # Pillow's own guard, reported the same way
    (_png_header_only(8_000, 8_000), "image_too_large"),  # 64 Mpx: under Pillow's guard, over ours (40 Mpx)
])
def test_refused_content(data, code):
    with pytest.raises(ImageRejected) as refused:
        check_image(data, max_bytes=1 << 20)
    assert refused.value.code == code


def test_size_and_pixel_limits_come_from_the_settings(settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(Invalid) as refused:
        validated_image(_jpeg(), field="image")
    assert refused.value.code == "file_too_large" and refused.value.detail == {"field": "image"}
    settings.UPLOAD_MAX_BYTES = 1 << 20
    settings.UPLOAD_MAX_PIXELS = 1000
    with pytest.raises(Invalid) as refused:
        validated_image(_jpeg((40, 30)))
    assert refused.value.code == "image_too_large" and "40×30" in refused.value.message
    settings.UPLOAD_MAX_PIXELS = 40_000_000
    data, info = validated_image(("p.jpg", _jpeg()))
    assert info.width == 40 and data[:2] == b"\xff\xd8"


def test_every_photo_upload_path_uses_the_shared_validator():
    """Cases (pages, API, Open311), water patrol problems and camera snapshots: no path of its own."""
    import inspect

    from chengyun.cases.services import attachments as cases
    from chengyun.water import services as water

    assert "validated_image" in inspect.getsource(cases._check_upload)
    assert "validated_image" in inspect.getsource(water.report_problem)
    assert "validated_image" in inspect.getsource(water.upload_snapshot)
