"""Every write of the water domain goes through one function here: policy check, write, audit entry.

The functions live in modules by what they do (``registry``, ``targets`` (a target-class
change re-judged), ``cameras``, ``readings``, ``alerts``, ``overflow`` (combined outfalls),
``rain``, ``patrols``, ``compliance`` (patrol compliance by month or year); shared checks in
``checks``) and are all re-exported here,
so callers write ``from chengyun.water import services; services.create_section(...)``.

Other apps may call ``outfall_by_code`` and ``dry_weather_flow_outfalls`` (see
docs/interfaces) and follow alerts with ``on_alert_change`` (drainage's overflow records);
monitoring's hook is ``on_readings_stored``; the periodic device check calls
``raise_alert`` and ``resolve_device_alerts``. Dependencies run one way:
models ← evaluation ← services ← api / views.
"""
from ..evaluation import EXCLUDED_FLAGS, FLOW, SHANGHAI, is_dry, wet_dates
from .alerts import (DEVICE_ALERT_KINDS, TRANSITIONS, Transition, _begin, _devices_alerted, acknowledge_alert,
                     allowed_transitions, case_category, dispose_alert, escalate_alert, has_open_device_alert,
                     on_alert_change, outfall_trace_url, raise_alert, register_network_nodes, resolve_device_alerts,
                     trace_url)
from .cameras import ALLOWED_IMAGE_TYPES, create_camera, update_camera, upload_snapshot
from .checks import SNAP_TOLERANCE_M, case_point
from .compliance import (DEFAULT_PATROL_RULES, ComplianceRow, Period, YearRow, compliance, month_bounds, parse_period,
                         patrol_rule, rules_in_force, year_compliance)
from .patrols import (PROBLEM_CATEGORY, cancel_patrol, case_source, finish_patrol, record_patrol, report_problem,
                      set_patrol_rule, start_patrol)
from .rain import dry_weather_flow_outfalls, set_rain_day, withdraw_wet_dry_flow_alerts
from .readings import evaluate, is_linked, link_device, on_readings_stored, reevaluate
from .targets import rejudge as rejudge_target
from .registry import (appoint_chief, create_outfall, create_reach, create_section, create_water_body, end_appointment,
                       outfall_by_code, section_by_code, site_by_code, update_chief, update_reach, update_site,
                       update_water_body)

__all__ = [
    # registry
    "create_water_body", "update_water_body", "appoint_chief", "update_chief", "end_appointment", "create_reach",
    "update_reach", "create_section", "create_outfall", "update_site", "section_by_code", "outfall_by_code",
    "site_by_code", "case_point", "SNAP_TOLERANCE_M",
    # cameras and snapshots
    "create_camera", "update_camera", "upload_snapshot", "ALLOWED_IMAGE_TYPES",
    # readings: device links, the monitoring hook, re-judging history
    "link_device", "is_linked", "on_readings_stored", "evaluate", "reevaluate", "rejudge_target",
    # alerts
    "raise_alert", "Transition", "TRANSITIONS", "DEVICE_ALERT_KINDS", "allowed_transitions", "acknowledge_alert",
    "dispose_alert", "escalate_alert", "has_open_device_alert", "resolve_device_alerts", "case_category",
    "register_network_nodes", "outfall_trace_url", "trace_url", "on_alert_change",
    # the tests reach the device-alert cache and the transition check directly
    "_devices_alerted", "_begin",
    # rain days and dry-weather flow
    "set_rain_day", "withdraw_wet_dry_flow_alerts", "wet_dates", "is_dry", "dry_weather_flow_outfalls",
    "SHANGHAI", "FLOW", "EXCLUDED_FLAGS",
    # patrols
    "DEFAULT_PATROL_RULES", "patrol_rule", "set_patrol_rule", "start_patrol", "finish_patrol", "record_patrol",
    "cancel_patrol", "PROBLEM_CATEGORY", "case_source", "report_problem", "ComplianceRow", "month_bounds", "compliance",
    # compliance for any month or year, by the rules in force then
    "YearRow", "year_compliance", "rules_in_force", "Period", "parse_period",
]
