"""Every write of the drainage network, and the services other apps call.

One module per concern — inventory (network import), inspection, tracing, misconnection,
renovation, separation; this package re-exports their public functions, so callers write
`services.trace(...)` without knowing which module holds it.
"""
from .inventory import (
    END_GAP_WARN_M, MAX_CODE, TYPE_ALIASES, KIND_ALIASES, TERMINAL_KINDS, TYPE_NAMES, length_m, NetworkImportReport,
    import_network, NODE_FIELDS, PIPE_FIELDS, add_sources, record_overflow,
)
from .tracing import TraceResult, trace
from .inspection import (
    InspectionImportReport, METHOD_ALIASES, import_inspections, record_inspection, pipe_lines, LEAKAGE_CODES, leakage_defects,
    condition_version,
)
from .misconnection import (
    Transition, TRANSITIONS, DetectReport, topology_misconnections, detect_misconnections, misconnection_to_case,
    misconnection_to_task, dismiss_misconnection, reopen_misconnection,
)
from .renovation import (
    DEFAULT_WEIGHTS, FACTOR_NAMES, SERVICE_LIFE_YEARS, DEFAULT_SERVICE_LIFE, OVERFLOW_WINDOW_DAYS, OVERFLOW_FULL, METHODS,
    DIAMETER_BANDS, DEFAULT_UNIT_COSTS, weights, unit_costs, register_road_risk, choose_method, unit_cost, PipePriority,
    priority_scores, select_within_budget, make_plan, plan_xlsx,
)
from .separation import create_project, record_progress, project_progress
