"""Helpers shared by the property tests (imported by name: pytest puts this directory on sys.path)."""
from __future__ import annotations

import json

from shapely.geometry import box, mapping

from support import DIVISION, grid_center

G1 = f"{DIVISION}001001001"  # street 1, community 1, grid 1
G_OTHER = f"{DIVISION}002002004"  # street 2


def valid_code(body: str = "MA0000001") -> str:
    from chengyun.standards import gb32100

    first17 = "91630102" + body
    return first17 + gb32100.check_character(first17)


def make_compound(grid_code: str, code: str, mode: str = "professional"):
    from chengyun.geo import compounds
    from chengyun.geo.models import Grid

    g = Grid.objects.get(code=grid_code)
    lng, lat = grid_center(grid_code)
    poly = box(lng - 0.0004, lat - 0.0003, lng + 0.0004, lat + 0.0003)
    return compounds.create_compound(None, code=code, name=f"小区{code}", community=g.community.code, households=300,
                                     management_mode=mode, geometry=json.dumps(mapping(poly)))
