"""Monitoring's tests link devices to sites without building the water app's sections and
outfalls: an autouse fixture stands in for water's site resolver (``hooks.register_site_resolver``)
with the codes below; ``real_sites`` puts water's own resolver (registered from its ready()) back."""
from __future__ import annotations

import pytest

KNOWN_SITES = {("section", c) for c in ("S01", "S1", "DM01")} | {("outfall", c) for c in ("PK01", "PK001", "PK09")}


@pytest.fixture(autouse=True)
def known_sites(request):
    from chengyun.monitoring import hooks

    water = hooks.register_site_resolver(lambda kind, code: (kind, code) in KNOWN_SITES)
    request.node.water_site_resolver = water
    yield KNOWN_SITES
    hooks.register_site_resolver(water)


@pytest.fixture
def real_sites(request, known_sites):
    from chengyun.monitoring import hooks

    water = request.node.water_site_resolver
    assert water is not None, "the water app registers a site resolver from its ready()"
    hooks.register_site_resolver(water)
