"""Let other apps react to stored readings without monitoring knowing them.

The water app registers its evaluation here in its AppConfig.ready():

    from chengyun.monitoring.hooks import on_readings_stored
    on_readings_stored(evaluate)   # evaluate(device, readings) after the commit

Callbacks run after the transaction that stored the readings has committed. A
failing callback is logged and does not undo the readings or stop other callbacks:
a broken evaluation must never lose data.
"""
from __future__ import annotations

import logging
from typing import Callable, Sequence

logger = logging.getLogger("chengyun.monitoring.hooks")

Callback = Callable[..., None]
_callbacks: list[Callback] = []
# Where fire() hands its work: None runs callbacks at once (web requests, tests); the
# ingest servers set a queue so evaluation never holds up the next database write.
_dispatcher: Callable[[Callable[[], None]], None] | None = None


def on_readings_stored(callback: Callback) -> Callback:
    """Register ``callback(device, readings)``; usable as a decorator. Registering twice is a no-op."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    return callback


def remove(callback: Callback) -> None:
    if callback in _callbacks:
        _callbacks.remove(callback)


def callbacks() -> tuple[Callback, ...]:
    return tuple(_callbacks)


def set_dispatcher(dispatcher: Callable[[Callable[[], None]], None] | None) -> None:
    global _dispatcher
    _dispatcher = dispatcher


def run(device, readings: Sequence) -> None:
    for callback in tuple(_callbacks):
        try:
            callback(device, list(readings))
        except Exception:  # noqa: BLE001 — one subscriber's bug must not touch the others or the data
            logger.exception("on_readings_stored callback %r failed for device %s", callback, getattr(device, "mn", device))


def fire_lazy(device, load: Callable[[], Sequence]) -> None:
    """Like fire(), but the readings are loaded where the callbacks run (off the write path)."""
    if not _callbacks:
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
    if not _callbacks or not readings:
        return
    if _dispatcher is None:
        run(device, readings)
    else:
        _dispatcher(lambda: run(device, readings))
