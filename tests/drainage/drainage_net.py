"""Small crafted networks for the drainage tests, built as import features."""
from __future__ import annotations

from chengyun.drainage.importers import NetFeature

X0, Y0, STEP = 101.705, 36.505, 0.0005  # ~45 m apart, inside the test district's first grid


def node(code, kind="manhole", at=(0, 0), **props):
    x, y = at
    return NetFeature("test.geojson", 0, {"code": code, "kind": kind, "ground_m": props.pop("ground_m", 2230.0), **props},
                      {"type": "Point", "coordinates": [X0 + x * STEP, Y0 + y * STEP]})


def pipe(code, a, b, coords, type="rain", up=None, down=None, **props):
    (xa, ya), (xb, yb) = coords
    p = {"code": code, "type": type, "diameter_mm": props.pop("diameter_mm", 400), "material": props.pop("material", "钢筋混凝土"),
         "install_year": props.pop("install_year", 1995), "from_node": a, "to_node": b,
         "up_invert_m": 2228.0 if up is None else up, "down_invert_m": 2227.8 if down is None else down, **props}
    return NetFeature("test.geojson", 0, p, {"type": "LineString", "coordinates": [[X0 + xa * STEP, Y0 + ya * STEP], [X0 + xb * STEP, Y0 + yb * STEP]]})


def numbered(features):
    for i, f in enumerate(features, start=1):
        f.index = i
    return features


# A rain system:  R4 ─┐
#            R1 → R2 → R3 → OF-T1 (outfall)
# and a sewage system: W1 → W2 → PLANT
POS = {"R1": (0, 2), "R2": (1, 2), "R3": (2, 2), "R4": (1, 3), "OF-T1": (2, 0), "W1": (0, 1), "W2": (1, 1), "PLANT": (3, 1)}


def small_network(extra=()):
    kinds = {"OF-T1": "outfall", "PLANT": "plant"}
    nodes = [node(c, kinds.get(c, "manhole"), at) for c, at in POS.items()]
    links = [("P1", "R1", "R2", "rain"), ("P2", "R2", "R3", "rain"), ("P3", "R4", "R2", "rain"), ("P4", "R3", "OF-T1", "rain"),
             ("S1", "W1", "W2", "sewage"), ("S2", "W2", "PLANT", "sewage")]
    pipes = [pipe(c, a, b, (POS[a], POS[b]), t) for c, a, b, t in links]
    return numbered(nodes + pipes + list(extra))


