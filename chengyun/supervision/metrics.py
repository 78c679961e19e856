"""Measurable targets: other modules register metrics a key task's progress can be read from.

    from chengyun.supervision import metrics
    metrics.register("roads.hazard_survey", "道路隐患排查覆盖率", fn)

where ``fn(as_of: date) -> dict[str, tuple[float, float]]`` maps a street code (and "" for the
whole district) to (done, total). Apps call register() in their AppConfig.ready().
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)

MetricFn = Callable[[dt.date], dict[str, tuple[float, float]]]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    fn: MetricFn


_registry: dict[str, Metric] = {}


def register(key: str, label: str, fn: MetricFn) -> None:
    _registry[key] = Metric(key, label, fn)


def unregister(key: str) -> None:
    _registry.pop(key, None)


def get(key: str) -> Metric | None:
    return _registry.get(key)


def all_metrics() -> list[Metric]:
    return sorted(_registry.values(), key=lambda m: m.key)


def measure(key: str, as_of: dt.date, street: str = "") -> tuple[float, float] | None:
    """(done, total) for a street code ("" = the district), or None when unknown or failing."""
    metric = _registry.get(key)
    if metric is None:
        return None
    try:
        values = metric.fn(as_of)
    except Exception:  # a broken provider must not stop status evaluation of every task
        log.exception("metric %s failed", key)
        return None
    if street in values:
        return values[street]
    if street == "" and values:
        done = sum(v[0] for k, v in values.items() if k)
        total = sum(v[1] for k, v in values.items() if k)
        return (done, total)
    return None


def percent(key: str, as_of: dt.date, street: str = "") -> float | None:
    result = measure(key, as_of, street)
    if result is None:
        return None
    done, total = result
    if total <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * done / total))
