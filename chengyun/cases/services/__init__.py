"""Every write of the case domain: catalogue, reporting, the lifecycle, clocks, imports.

Views, the API, Open311, importers, jobs and the demo call these functions; each checks the
policy and the workflow table (workflow.py), writes, records the timeline and the audit entry.
One module per concern; this package re-exports their public functions, so callers write
`services.report(...)` without knowing which module holds it.
"""
from .actors import policy_person_grids
from .clocks import SHANGHAI, WARNING_FRACTION, _start_stage, clock_status_at, refresh_clocks
from .catalogue import (
    get_category, CatalogueReport, read_standard_table, import_catalogue, SEED_CATALOGUE, load_seed_catalogue, catalogue_classes,
    export_catalogue,
)
from .dispatch import set_responsibility, _UnitSuggester, suggest_unit
from .duplicates import EARTH_M_PER_DEG, distance_m, find_duplicates
from .attachments import add_attachments
from .reporting import report, move
from .lifecycle import FIELD_NAMES, allowed_actions, on_transition, transition
from .drone import DroneImportResult, import_drone_flight
from .hotline import HOTLINE_COLUMNS, HOTLINE_OPTIONAL, HotlineReport, import_hotline
