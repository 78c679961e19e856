"""Helpers shared by the case tests (imported by name: pytest puts this directory on sys.path)."""
from __future__ import annotations

import io

G1 = "630109001001001"  # street 1, community 1, grid 1
G2 = "630109001001002"
G_OTHER = "630109002002004"  # another street


def jpeg_bytes(size=(64, 48), gps: tuple[float, float] | None = None, fmt: str = "JPEG") -> bytes:
    from PIL import Image

    img = Image.new("RGB", size, (180, 90, 40))
    buf = io.BytesIO()
    if gps and fmt == "JPEG":
        exif = Image.Exif()
        lng, lat = gps

        def dms(v):
            d = int(v)
            m = int((v - d) * 60)
            s = round(((v - d) * 60 - m) * 60 * 100)
            return ((d, 1), (m, 1), (s, 100))

        from PIL import TiffImagePlugin

        def rat(t):
            return tuple(TiffImagePlugin.IFDRational(a, b) for a, b in t)

        gps_ifd = {1: "N", 2: rat(dms(lat)), 3: "E", 4: rat(dms(lng))}
        exif[0x8825] = gps_ifd
        img.save(buf, fmt, exif=exif)
    else:
        img.save(buf, fmt)
    return buf.getvalue()


def run_to(case, state, crew, photo):
    """Drive a case along the normal path up to `state` (a workflow state name)."""
    from chengyun.cases import services, workflow as W

    steps = [
        (W.ACCEPTED, lambda c: services.transition(crew["acceptor"], c, "accept")),
        (W.FILED, lambda c: services.transition(crew["acceptor"], c, "file", condition_id=c.category.conditions.first().pk)),
        (W.DISPATCHED, lambda c: services.transition(crew["dispatcher"], c, "dispatch", unit_id=_unit("D01"))),
        (W.HANDLING, lambda c: services.transition(crew["handler"], c, "sign")),
        (W.CHECKING, lambda c: services.transition(crew["handler"], c, "feedback", note="已修复", attachments=[photo])),
        (W.CHECKED, lambda c: services.transition(crew["grid"], c, "check_pass", note="现场确认已修复")),
        (W.CLOSED, lambda c: services.transition(crew["acceptor"], c, "close")),
    ]
    order = [W.REPORTED] + [target for target, _ in steps]
    for target, step in steps:
        if order.index(target) <= order.index(case.status):
            continue  # already past this step
        case = step(case)
        if case.status == state:
            return case
    raise AssertionError(f"never reached {state}")


def _unit(code):
    from chengyun.geo.models import Unit

    return Unit.objects.get(code=code).pk
