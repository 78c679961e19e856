"""An outfall offers the upstream trace only when the drainage network has a node with its code."""
import datetime as dt

import pytest

from chengyun.water import services
from chengyun.water.models import Alert

CN = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=CN)
NOTE = "该排口未接入排水管网，无法溯源"
LINK = "/drainage/trace/?node=PK01&amp;direction=upstream"


@pytest.fixture
def network(water):
    """Two rain pipes ending at a drainage outfall node under the water outfall's code."""
    from chengyun.drainage import services as drainage
    from chengyun.drainage.importers import NetFeature

    lng, lat = water.outfall.lng, water.outfall.lat

    def node(code, kind, dx):
        return NetFeature("t", 0, {"code": code, "kind": kind, "ground_m": 2230.0}, {"type": "Point", "coordinates": [lng + dx, lat]})

    def pipe(code, a, b, dxa, dxb):
        return NetFeature("t", 0, {"code": code, "type": "rain", "diameter_mm": 600, "material": "钢筋混凝土", "install_year": 2000,
                                   "from_node": a, "to_node": b, "up_invert_m": 2228.0, "down_invert_m": 2227.8},
                          {"type": "LineString", "coordinates": [[lng + dxa, lat], [lng + dxb, lat]]})

    report = drainage.import_network([node("PK01", "outfall", 0), node("M1", "manhole", 0.0005), node("M2", "manhole", 0.001),
                                      pipe("P1", "M1", "PK01", 0.0005, 0), pipe("P2", "M2", "M1", 0.001, 0.0005)], default_owner="D02")
    assert report.ok, report.as_text()


@pytest.fixture
def alert(water, feed):
    feed(water.outfall_device, T0, {"w00000": 3.2})
    return Alert.objects.get(kind=Alert.Kind.DRY_WEATHER_FLOW)


@pytest.fixture
def ops(make_user):
    return make_user("ops_dispatcher")


def test_linked_outfall_offers_the_trace(network, alert, ops, client, api_client):
    from chengyun.cases.models import Case

    assert services.trace_url(alert) == "/drainage/trace/?node=PK01&direction=upstream"
    client.force_login(ops)
    for url in (f"/water/alerts/{alert.pk}/", "/water/outfalls/PK01/"):
        page = client.get(url).content.decode()
        assert LINK in page and NOTE not in page, url
    assert api_client.as_user(ops).get(f"water/alerts/{alert.pk}").json()["trace_url"] == "/drainage/trace/?node=PK01&direction=upstream"
    services.escalate_alert(ops, alert, to="case")
    assert Case.objects.get().extra["trace_url"] == "/drainage/trace/?node=PK01&direction=upstream"
    # The link leads somewhere: the trace finds the two pipes.
    from chengyun.drainage import services as drainage

    assert sorted(drainage.trace("PK01").pipes) == ["P1", "P2"]


def test_unlinked_outfall_says_so_instead_of_a_dead_link(alert, ops, client, api_client):
    from chengyun.cases.models import Case

    assert services.trace_url(alert) == ""
    client.force_login(ops)
    for url in (f"/water/alerts/{alert.pk}/", "/water/outfalls/PK01/"):
        page = client.get(url).content.decode()
        assert NOTE in page and "/drainage/trace/" not in page, url
    assert api_client.as_user(ops).get(f"water/alerts/{alert.pk}").json()["trace_url"] is None
    services.escalate_alert(ops, alert, to="case")
    assert "trace_url" not in Case.objects.get().extra


def test_section_alerts_have_neither(water, feed, ops, client):
    feed(water.device, T0, {"w01018": 35.0})
    alert = Alert.objects.get(kind=Alert.Kind.TARGET_EXCEEDED)
    client.force_login(ops)
    page = client.get(f"/water/alerts/{alert.pk}/").content.decode()
    assert NOTE not in page and "/drainage/trace/" not in page
