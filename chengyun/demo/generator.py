from __future__ import annotations

import time

from django.db import transaction

from chengyun.core import current
from chengyun.core.registry import demo_generators

from .context import DemoContext


def generate(ctx: DemoContext | None = None) -> DemoContext:
    """Run every app's demo generator in order; each skips its part when it is already there."""
    ctx = ctx or DemoContext()
    with current.acting(None, source="cli"):
        for label, fn in demo_generators():
            started = time.monotonic()
            with transaction.atomic():
                fn(ctx)
            ctx.log(f"  [{label}] {time.monotonic() - started:.1f} 秒")
    return ctx
