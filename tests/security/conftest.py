"""The permission matrix: fixtures that build one world (the small district, one user per role)
for each endpoint family; the families' objects are made by the spec modules beside this file."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The spec modules import each other and the engine by name (--import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def world(district, units, make_user, settings, tmp_path):
    from matrix import World

    settings.MEDIA_ROOT = str(tmp_path / "media")
    return World.build(district, units, make_user)
