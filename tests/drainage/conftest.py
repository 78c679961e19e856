from __future__ import annotations

import os
import sys

import pytest

# Tests import the crafted networks from drainage_net (pytest runs with --import-mode=importlib).
sys.path.insert(0, os.path.dirname(__file__))
from drainage_net import small_network  # noqa: E402


@pytest.fixture
def network(district, units):
    from chengyun.drainage import services

    report = services.import_network(small_network(), default_owner="D02")
    assert report.ok, report.as_text()
    return report
