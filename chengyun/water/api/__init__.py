"""The water API under /api/v1/water/: one router (``common.router``, mounted by WaterConfig)
whose routes the modules add by what they serve — ``classify`` (GB 3838 of given values),
``sites`` (sections and outfalls, maps, aggregates, device links), ``alerts``, ``rain`` (rain
days, dry-weather flow), ``patrols``, ``cameras`` (and snapshots) and ``registry`` (water
bodies, river chiefs, reaches). Every write goes through ``services``."""
# Imported for their routes, in the order the OpenAPI document lists them.
from . import classify, sites, alerts, rain, patrols, cameras, registry  # noqa: F401
from .common import router

__all__ = ["router"]
