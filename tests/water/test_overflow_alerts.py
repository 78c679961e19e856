"""Overflow at a combined-sewer outfall: flow over the weir raises the outfall_overflow alert,
further sightings count on it, flow back under the weir for an hour closes it (issue 17)."""
import datetime as dt

import pytest

from chengyun.water import services
from chengyun.water.models import Alert

CN = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 20, 14, 0, tzinfo=CN)


@pytest.fixture
def combined(water, units):
    from chengyun.monitoring import services as monitoring

    o = services.create_outfall(None, code="PK08", name="古城台合流制溢流口", kind="combined", water_body=water.river,
                                lng=water.outfall.lng + 0.001, lat=water.outfall.lat, unit=units["D02"])
    dev = monitoring.create_device(None, mn="CSO0000000000001", password="123456", st="32", name="溢流口流量计",
                                   factors=[{"code": "w00000", "unit": "L/s"}], site_kind="outfall", site_code="PK08")
    return o, dev


@pytest.fixture
def heard():
    """What the alert listeners were told: (alert id, verb, values)."""
    seen = []

    def listener(alert, verb, values):
        seen.append((alert.pk, verb, values))

    services.on_alert_change(listener)
    yield seen
    services.alerts._alert_listeners.remove(listener)


def test_overflow_raises_extends_and_ends(water, feed, combined, heard):
    outfall, dev = combined
    feed(dev, T0 - dt.timedelta(hours=1), {"w00000": 0.0})
    assert not Alert.objects.exists()
    feed(dev, T0, {"w00000": 35.0})
    alert = Alert.objects.get(kind=Alert.Kind.OUTFALL_OVERFLOW)
    assert (alert.outfall, alert.status, alert.first_seen_at, alert.value, alert.threshold) == (outfall, "new", T0, 35.0, 0.5)
    assert "合流制溢流口溢流" in alert.message
    feed(dev, T0 + dt.timedelta(hours=1), {"w00000": 80.0})
    feed(dev, T0 + dt.timedelta(hours=1, minutes=30), {"w00000": 0.2})  # a lull, not yet the end
    alert.refresh_from_db()
    assert (alert.occurrences, alert.last_seen_at, alert.status) == (2, T0 + dt.timedelta(hours=1), "new")
    feed(dev, T0 + dt.timedelta(hours=2), {"w00000": 0.1})
    alert.refresh_from_db()
    assert alert.status == "disposed" and alert.open_key is None and "溢流结束" in alert.disposal_note and alert.disposed_by is None
    assert heard == [(alert.pk, "raised", (35.0,)), (alert.pk, "repeat", (80.0,)), (alert.pk, "closed", ())]
    # The next storm is a new overflow.
    feed(dev, T0 + dt.timedelta(days=1), {"w00000": 12.0})
    assert Alert.objects.filter(kind=Alert.Kind.OUTFALL_OVERFLOW).count() == 2


def test_a_batch_with_two_overflows_makes_two_alerts(water, feed, combined):
    from chengyun.monitoring.models import Reading
    from django.utils import timezone

    _, dev = combined
    rows = [Reading.objects.create(device=dev, cn="2061", data_time=T0 + dt.timedelta(hours=h), factor="w00000", value=v, flag="N",
                                   received_at=timezone.now())
            for h, v in enumerate([20.0, 30.0, 0.0, 0.0, 15.0])]
    services.on_readings_stored(dev, rows)
    first, second = Alert.objects.filter(kind=Alert.Kind.OUTFALL_OVERFLOW).order_by("first_seen_at")
    assert (first.status, first.occurrences, first.last_seen_at) == ("disposed", 2, T0 + dt.timedelta(hours=1))
    assert (second.status, second.first_seen_at) == ("new", T0 + dt.timedelta(hours=4))


def test_only_combined_outfalls_overflow(water, feed):
    # The fixture's rain outfall on a wet day: flow is rain, not an overflow.
    services.set_rain_day(None, T0.date(), rained=True)
    feed(water.outfall_device, T0, {"w00000": 35.0})
    assert not Alert.objects.filter(kind=Alert.Kind.OUTFALL_OVERFLOW).exists()


def test_flagged_flow_is_no_overflow(water, feed, combined):
    _, dev = combined
    feed(dev, T0, {"w00000": (35.0, "D")})
    assert not Alert.objects.exists()


def test_linking_judges_the_overflow_history(water, combined):
    from chengyun.monitoring import services as monitoring
    from chengyun.monitoring.models import Reading
    from django.utils import timezone

    outfall, _ = combined
    dev = monitoring.create_device(None, mn="CSO0000000000002", password="123456", st="32", name="新流量计",
                                   factors=[{"code": "w00000", "unit": "L/s"}])
    for h, v in enumerate([0.0, 40.0, 55.0, 0.0, 0.0]):
        Reading.objects.create(device=dev, cn="2061", data_time=T0 + dt.timedelta(hours=h), factor="w00000", value=v, flag="N",
                               received_at=timezone.now())
    services.link_device(None, dev.mn, outfall)
    alert = Alert.objects.get(kind=Alert.Kind.OUTFALL_OVERFLOW)
    assert (alert.first_seen_at, alert.last_seen_at, alert.occurrences, alert.status) == (
        T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2), 2, "disposed")
