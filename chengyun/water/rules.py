"""Alert thresholds. Defaults suit a small urban district; a deployment overrides any of
them with ``WATER_ALERT_RULES = {...}`` in its settings."""
from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Sudden jump: a valid reading differs from the previous one of the same device, data
    # type and factor by this fraction of the lower of the two values …
    "jump_ratio": 1.0,
    # … and by at least this fraction of the factor's class Ⅲ limit (so that 0.01 → 0.03
    # mg/L of ammonia, a tripling well inside class Ⅱ, is not an alarm).
    "jump_floor_fraction": 0.5,
    # For factors GB 3838 has no limit for (flow, turbidity …) the absolute floor is this.
    "jump_floor_other": 1.0,
    # The previous value a jump is measured from must be at most this old.
    "jump_lookback_hours": 6,
    # A linked device not heard from for this long is silent; one that is heard from but
    # whose newest measurement is older than this is stale.
    "silent_minutes": 120,
    "stale_minutes": 180,
    # Flow above this at a rain outfall on a dry day is dry-weather flow.
    "dry_flow_min_lps": 0.5,
    # Flow above this at a combined-sewer overflow outfall (合流制溢流口) is an overflow: its
    # weir spills storm sewage to the river (dry-weather flow goes on to the sewer) …
    "overflow_min_lps": 0.5,
    # … and the overflow is over when the flow has stayed at or below it this long.
    "overflow_end_minutes": 60,
    # Rain drains for a while: the days after a rain day still count as wet.
    "rain_lag_days": 1,
    # A target-class change re-judges a section's history at once when it has at most this many
    # hourly aggregates (a month); a longer history goes to a background job.
    "rejudge_inline_hours": 744,
    # After a target-class change, exceedances of the new target this recent raise an alert.
    "target_alert_hours": 24,
}


def rule(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "WATER_ALERT_RULES", {})}[name]
