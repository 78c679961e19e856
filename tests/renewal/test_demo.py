"""The demo district's 2025 health check: counts, mixes and a ledger in motion; deterministic and skipped when present."""
import time

import pytest

from chengyun.demo.context import DemoContext
from chengyun.geo import demo as geo_demo
from chengyun.geo.models import Community, Compound
from chengyun.people import demo as people_demo
from chengyun.renewal import demo as renewal_demo
from chengyun.renewal.models import Feature, Layer, Measurement, Problem

pytestmark = pytest.mark.django_db


def test_demo_health_check():
    ctx = DemoContext(log=lambda s: None)
    geo_demo.generate(ctx)
    people_demo.generate(ctx)
    started = time.monotonic()
    renewal_demo.generate(ctx)
    assert time.monotonic() - started < 90
    assert Compound.objects.count() == 150
    old = Compound.objects.filter(built_year__lt=2000).count()
    assert old == 50
    modes = set(Compound.objects.values_list("management_mode", flat=True))
    assert modes == {"professional", "community_cleaning", "community_quasi", "none"}
    # Every community has values for 2025, and the year before for the arrows.
    for year in (2024, 2025):
        measured = set(Measurement.objects.filter(year=year, unit_kind="community").values_list("unit_code", flat=True))
        assert measured == set(Community.objects.values_list("code", flat=True))
    computed = Measurement.objects.filter(year=2025, origin="computed")
    # The demo loads a road network, so 公园绿化活动场地服务半径覆盖率 is computed along the roads.
    from chengyun.renewal.services import layers

    park = computed.filter(indicator__code="IND-BLOCK-005", unit_kind="district").get().value
    by_road, straight = layers.coverage_summary("network")["values"]["park"], layers.coverage_summary("straight")["values"]["park"]
    assert park == pytest.approx(by_road, abs=0.01) and 0 < by_road < 100 and by_road != straight
    assert computed.filter(indicator__code="IND-COMM-010", unit_kind="district").get().value == Compound.objects.filter(management_mode="none").count()
    assert set(Layer.objects.values_list("kind", flat=True)) == {"residential", "park", "facility", "road"}
    assert Feature.objects.filter(layer__kind="facility", facility_kind="fire_station").count() == 3
    assert 170 <= Problem.objects.count() <= 240, Problem.objects.count()
    states = set(Problem.objects.values_list("state", flat=True))
    assert {"pending", "in_progress"} <= states
    assert Problem.objects.filter(origin="finding").count() == 30
    assert Problem.objects.filter(remedies__kind="case").exists()
    before = Problem.objects.count()
    renewal_demo.generate(ctx)
    assert Problem.objects.count() == before
