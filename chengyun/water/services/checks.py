"""Checks every water write shares: who may change the registry, clean codes and texts, and
where a point lies in the district's grids."""
from __future__ import annotations

from typing import Any

from chengyun.core.errors import Invalid
from chengyun.geo import services as geo_services
from chengyun.people import policy
from chengyun.people import roles as R

from .. import geometry
from ..models import Outfall, Section

OPS = R.OPS_CENTER | frozenset({R.SYSADMIN})
REGISTRY_MESSAGE = "只有城运中心可以维护水环境台账"


def require_ops(user: Any, model) -> None:
    if user is not None:
        policy.require_create(user, model, message=REGISTRY_MESSAGE)


def require_registry_admin(user: Any, obj) -> None:
    if user is not None:
        policy.require_write(user, obj, REGISTRY_MESSAGE)
        policy.require_role(user, OPS, REGISTRY_MESSAGE)


def clean_code(code: str, what: str) -> str:
    code = (code or "").strip()
    if not code or len(code) > 32:
        raise Invalid(f"{what}编码不能为空且不超过 32 个字符", code="invalid_code", detail={"field": "code"})
    return code


def clean_text(value: Any, what: str, field: str, max_length: int, *, required: bool = True) -> str:
    value = ("" if value is None else str(value)).strip()
    if (required and not value) or len(value) > max_length:
        need = "不能为空且" if required else ""
        raise Invalid(f"{what}{need}不超过 {max_length} 个字符", code=f"invalid_{field}", detail={"field": field})
    return value


# A site on the bank of a boundary river may lie a little outside the district's outline;
# it belongs to the nearest grid if that is this close.
SNAP_TOLERANCE_M = 300.0


def site_place(lng: float, lat: float) -> dict[str, Any]:
    """The point and the grid and street it lies in (or, just outside the outline, the nearest grid)."""
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise Invalid("经纬度必须是数字", code="invalid_location", detail={"field": "lng/lat"}) from None
    try:
        loc = geo_services.locate(lng, lat)
        return {"lng": lng, "lat": lat, "grid_id": loc.grid.id, "street_id": loc.grid.street_id}
    except geo_services.OutsideDistrict:
        grid = geometry.nearest_grid(lng, lat, SNAP_TOLERANCE_M)
        if grid is None:
            raise
        return {"lng": lng, "lat": lat, "grid_id": grid.id, "street_id": grid.street_id}


def case_point(site: Section | Outfall) -> tuple[float, float]:
    """Where a case about the site is filed: the site itself, or for a bank-side site just
    outside the outline the nearest point inside its grid (cases are located in grids)."""
    return geometry.point_in_grid(site.lng, site.lat, site.grid)
