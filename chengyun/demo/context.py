from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable

SEED = 20261125
DEMO_PASSWORD = "chengyun-demo"


@dataclass
class DemoContext:
    """Shared by the generators of one run: one seeded RNG per app keeps each app's data
    the same whatever other apps are installed."""

    seed: int = SEED
    log: Callable[[str], None] = print
    shared: dict[str, Any] = field(default_factory=dict)

    def rng(self, label: str) -> random.Random:
        return random.Random(f"{self.seed}:{label}")
