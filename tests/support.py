"""Helpers shared by the tests (importable as `support`: pytest's pythonpath includes tests/)."""
from __future__ import annotations

from shapely.geometry import box, mapping

DIVISION = "630109"
# 0.01° cells near 36.6°N, 101.8°E: streets side by side, each 2 communities stacked, each 2×2 grids.
X0, Y0, D = 101.70, 36.50, 0.01


def _grid_box(street: int, community: int, seq: int):
    col = (street - 1) * 2 + (seq - 1) % 2
    row = (community - 1) * 2 + (seq - 1) // 2
    return box(X0 + col * D, Y0 + row * D, X0 + (col + 1) * D, Y0 + (row + 1) * D)


def build_small_district():
    """Write the small district straight to the database (the import service is tested on its own)."""
    import json

    from shapely.ops import unary_union

    from chengyun.geo import index
    from chengyun.geo.models import Community, District, Grid, Street
    from chengyun.geo.services import geodesic_area_m2

    def geo(shape):
        return {"geometry": json.dumps(mapping(shape)), "area_m2": geodesic_area_m2(shape)}

    all_boxes = [_grid_box(s, c, q) for s in (1, 2) for c in (1, 2) for q in (1, 2, 3, 4)]
    district = District.objects.create(code=DIVISION, name="测试区", **geo(unary_union(all_boxes)))
    for s in (1, 2):
        sboxes = [_grid_box(s, c, q) for c in (1, 2) for q in (1, 2, 3, 4)]
        street = Street.objects.create(code=f"{DIVISION}{s:03d}", name=f"第{s}街道", district=district, **geo(unary_union(sboxes)))
        for c in (1, 2):
            cboxes = [_grid_box(s, c, q) for q in (1, 2, 3, 4)]
            community = Community.objects.create(code=f"{street.code}{c:03d}", name=f"第{s}街道第{c}社区", street=street, **geo(unary_union(cboxes)))
            for q in (1, 2, 3, 4):
                Grid.objects.create(code=f"{community.code}{q:03d}", name=f"{community.name}{q}号网格", community=community, street=street, **geo(_grid_box(s, c, q)))
    index.bump()
    return district


def grid_center(code: str) -> tuple[float, float]:
    s, c, q = int(code[6:9]), int(code[9:12]), int(code[12:15])
    p = _grid_box(s, c, q).centroid
    return p.x, p.y


def wait_until(predicate, timeout: float = 20.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; returns its last answer."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
