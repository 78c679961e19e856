"""The demo's monitored outfalls line up with drainage outfall nodes, so their alerts trace upstream."""
import pytest

from chengyun.core import current
from chengyun.demo.context import DemoContext
from chengyun.drainage import demo as drainage_demo
from chengyun.water import demo as water_demo


def test_monitored_outfalls_and_their_links():
    outfalls = {o["code"]: o for o in water_demo.monitored_outfalls()}
    assert set(outfalls) == {f"PK{n:02d}" for n in range(1, 11)}
    linked = {o["code"] for o in drainage_demo.linked_outfalls()}
    # Only the treatment plants' effluent outfalls stay outside the network.
    assert set(outfalls) - linked == {code for code, o in outfalls.items() if o["kind"] == "wwtp"} == {"PK01", "PK02"}


@pytest.mark.django_db
def test_every_linked_outfall_traces_upstream_on_the_demo_network():
    from chengyun.drainage import services
    from chengyun.geo.demo import generate as geo

    ctx = DemoContext(log=lambda s: None)
    with current.acting(None, source="cli"):
        geo(ctx)
        features, sources, planted, _ = drainage_demo.build_network(ctx)
        report = services.import_network(features)
        assert report.ok, report.as_text(20)
        services.add_sources(None, sources)
    # Nothing about the new catchments is a topology warning: the warnings are the planted ones.
    assert not [w for w in report.warnings if "PK" in w]
    assert len([w for w in report.warnings if "类别冲突" in w]) == len(planted)

    from chengyun.drainage.models import Node

    by_code = {o["code"]: o for o in water_demo.monitored_outfalls()}
    for o in drainage_demo.linked_outfalls():
        node = Node.objects.get(code=o["code"])
        # The node is where the water app registers the outfall.
        assert (node.kind, node.lng, node.lat) == ("outfall", by_code[o["code"]]["lng"], by_code[o["code"]]["lat"])
        up = services.trace(o["code"], "upstream")
        assert len(up.pipes) >= 20 and up.catchment, o["code"]
        if o["kind"] != "rain" or o["dry_weather_flow"]:
            # Dischargers to look at: the park's plants, the hotel, the overflow's compounds —
            # and for the rain outfall flowing in dry weather, a house connection into its rain sewer.
            assert up.sources, o["code"]
        if o["dry_weather_flow"]:
            assert set(planted) & set(up.pipes)
    assert not Node.objects.filter(code__in=["PK01", "PK02"]).exists()


def test_the_demo_network_is_deterministic():
    a = drainage_demo.build_network(DemoContext())
    b = drainage_demo.build_network(DemoContext())
    assert [f.properties for f in a[0]] == [f.properties for f in b[0]] and a[1] == b[1] and a[2] == b[2]
