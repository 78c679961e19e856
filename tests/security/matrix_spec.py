"""The permission matrix's declarations: operation id → what it reads or writes (see matrix.py).

Each app's entries live in spec_<app>.py. An operation served by the API and missing here
fails test_every_operation_is_declared: a new endpoint must say what it touches.
"""
from __future__ import annotations

import spec_cases

SPEC = {**spec_cases.SPEC}
FAMILIES = ["cases"]
