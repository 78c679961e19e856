"""Let other apps react to stored readings without monitoring knowing them.

The water app registers its evaluation here in its AppConfig.ready():

    from chengyun.monitoring.hooks import on_readings_stored
    on_readings_stored(evaluate)   # evaluate(device, readings) after the commit

Callbacks run after the transaction that stored the readings has committed. A
failing callback is logged and does not undo the readings or stop other callbacks:
a broken evaluation must never lose data.

Two more hooks let the water app own the sites devices are linked to, without monitoring
importing water (registered from water's ready()):

    register_site_resolver(exists)    # exists(site_kind, site_code) -> bool
    on_device_linked(judge)           # judge(device) after a device page / API link commits
"""
from __future__ import annotations

import logging
from typing import Callable, Sequence

logger = logging.getLogger("chengyun.monitoring.hooks")

Callback = Callable[..., None]
_callbacks: list[Callback] = []
# Optional per-callback predicate on the device: readings are only built for a device some
# callback wants (e.g. water evaluates only devices linked to a section or outfall).
_wants: dict[Callback, Callable[..., bool]] = {}
# Where fire() hands its work: None runs callbacks at once (web requests, tests); the
# ingest servers set a queue so evaluation never holds up the next database write.
_dispatcher: Callable[[Callable[[], None]], None] | None = None


def on_readings_stored(callback: Callback, *, wants: Callable[..., bool] | None = None) -> Callback:
    """Register ``callback(device, readings)``; usable as a decorator. Registering twice is a no-op.

    ``wants(device) -> bool``, when given, says which devices the callback cares about; for a
    device no callback wants, the readings are not even built."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    if wants is not None:
        _wants[callback] = wants
    return callback


def remove(callback: Callback) -> None:
    if callback in _callbacks:
        _callbacks.remove(callback)
    _wants.pop(callback, None)


def _interested(device) -> list[Callback]:
    return [c for c in tuple(_callbacks) if c not in _wants or _wants[c](device)]


def callbacks() -> tuple[Callback, ...]:
    return tuple(_callbacks)


def set_dispatcher(dispatcher: Callable[[Callable[[], None]], None] | None) -> None:
    global _dispatcher
    _dispatcher = dispatcher


def run(device, readings: Sequence) -> None:
    for callback in _interested(device):
        try:
            callback(device, list(readings))
        except Exception:  # noqa: BLE001 — one subscriber's bug must not touch the others or the data
            logger.exception("on_readings_stored callback %r failed for device %s", callback, getattr(device, "mn", device))


def fire_lazy(device, load: Callable[[], Sequence]) -> None:
    """Like fire(), but the readings are loaded where the callbacks run (off the write path)."""
    if not _interested(device):
        return

    def job() -> None:
        readings = load()
        if readings:
            run(device, readings)

    if _dispatcher is None:
        job()
    else:
        _dispatcher(job)


def fire(device, readings: Sequence) -> None:
    if not readings or not _interested(device):
        return
    if _dispatcher is None:
        run(device, readings)
    else:
        _dispatcher(lambda: run(device, readings))


# ---------------------------------------------------------------- sites (owned by the water app)

SiteResolver = Callable[[str, str], bool]
_site_resolver: SiteResolver | None = None
_linked: list[Callback] = []


def register_site_resolver(resolver: SiteResolver | None) -> SiteResolver | None:
    """Say whether a (site_kind, site_code) exists; returns the resolver it replaces. Until one is
    registered (no water app installed) every well-formed site is accepted."""
    global _site_resolver
    previous, _site_resolver = _site_resolver, resolver
    return previous


def site_exists(site_kind: str, site_code: str) -> bool:
    if _site_resolver is None:
        return True
    return bool(_site_resolver(site_kind, site_code))


def on_device_linked(callback: Callback) -> Callback:
    """Register ``callback(device)``, run after a device was linked to a site from monitoring's own
    page or API (water judges the history the device already has). Registering twice is a no-op."""
    if callback not in _linked:
        _linked.append(callback)
    return callback


def remove_device_linked(callback: Callback) -> None:
    if callback in _linked:
        _linked.remove(callback)


def device_linked(device) -> None:
    for callback in tuple(_linked):
        try:
            callback(device)
        except Exception:  # noqa: BLE001 — the link is made; a failed re-evaluation is logged
            logger.exception("on_device_linked callback %r failed for device %s", callback, getattr(device, "mn", device))
