"""The permission matrix's declarations: operation id → what it reads or writes (see matrix.py).

Each app's entries live in spec_<app>.py. An operation served by the API and missing here
fails test_every_operation_is_declared: a new endpoint must say what it touches.
"""
from __future__ import annotations

import spec_cases
import spec_drainage
import spec_registry
import spec_roads
import spec_supervision

SPEC = {**spec_cases.SPEC, **spec_supervision.SPEC, **spec_registry.SPEC, **spec_roads.SPEC, **spec_drainage.SPEC}
FAMILIES = ["cases", "supervision", "health", "calendar", "people", "geo", "reports", "monitoring", "roads", "drainage"]

# Operations not yet declared, an allow-list that must only shrink (like the structure tests'):
# test_every_operation_is_declared fails for an operation in neither SPEC nor this list (a new
# endpoint must be declared), and for one in both (declared: take it off this list).
UNDECLARED = frozenset({
    "chengyun_water_api_classify_classify",
    "chengyun_water_api_sites_sections",
    "chengyun_water_api_sites_create_section",
    "chengyun_water_api_sites_section",
    "chengyun_water_api_sites_patch_section",
    "chengyun_water_api_sites_outfalls",
    "chengyun_water_api_sites_create_outfall",
    "chengyun_water_api_sites_outfall",
    "chengyun_water_api_sites_patch_outfall",
    "chengyun_water_api_sites_map_sections",
    "chengyun_water_api_sites_map_outfalls",
    "chengyun_water_api_sites_map_water_bodies",
    "chengyun_water_api_sites_aggregates",
    "chengyun_water_api_sites_series",
    "chengyun_water_api_sites_link_device",
    "chengyun_water_api_alerts_alerts",
    "chengyun_water_api_alerts_alert",
    "chengyun_water_api_alerts_acknowledge",
    "chengyun_water_api_alerts_dispose",
    "chengyun_water_api_alerts_escalate",
    "chengyun_water_api_rain_dry_weather_flow",
    "chengyun_water_api_rain_rain_days",
    "chengyun_water_api_rain_put_rain_day",
    "chengyun_water_api_patrols_patrols",
    "chengyun_water_api_patrols_start_patrol",
    "chengyun_water_api_patrols_record_patrol",
    "chengyun_water_api_patrols_patrol",
    "chengyun_water_api_patrols_finish_patrol",
    "chengyun_water_api_patrols_report_problem",
    "chengyun_water_api_patrols_compliance",
    "chengyun_water_api_patrols_cancel_patrol",
    "chengyun_water_api_cameras_upload_snapshot",
    "chengyun_water_api_cameras_cameras",
    "chengyun_water_api_cameras_create_camera",
    "chengyun_water_api_cameras_patch_camera",
    "chengyun_water_api_registry_water_bodies",
    "chengyun_water_api_registry_create_water_body",
    "chengyun_water_api_registry_water_body",
    "chengyun_water_api_registry_patch_water_body",
    "chengyun_water_api_registry_chiefs",
    "chengyun_water_api_registry_appoint_chief",
    "chengyun_water_api_registry_chief",
    "chengyun_water_api_registry_patch_chief",
    "chengyun_water_api_registry_reaches",
    "chengyun_water_api_registry_create_reach",
    "chengyun_water_api_registry_reach",
    "chengyun_water_api_registry_patch_reach",
})
