"""Every write of the sanitation module: policy check, write, audit entry (one function each)."""
from .coverage import coverage_rows, day_summary, ensure_day, recompute_day, segment_index, street_summary  # noqa: F401
from .fleet import create_vehicle, ensure_plans, set_plan, update_vehicle  # noqa: F401
from .quality import (create_demo_street, record_inspection, score_month, score_sheet, set_demo_street_status,  # noqa: F401
                      set_score_item)
from .tracks import ImportReport, import_arrays, import_points, track_points  # noqa: F401
