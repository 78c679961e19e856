"""Water fixtures: a river and a lake in the small test district, sections, a rain outfall and
linked monitoring devices; `feed` stores readings and runs the evaluation hook."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from support import grid_center

G1 = "630109001001001"  # street 1, community 1
G2 = "630109002001001"  # street 2


@pytest.fixture(autouse=True)
def fresh_stamped_caches():
    """Process-local caches checked against ChangeStamps every few seconds would carry one
    test's rolled-back data into the next."""
    from chengyun.drainage import index
    from chengyun.water import services

    index.invalidate()
    services._devices_alerted.invalidate()


@pytest.fixture
def water(units, make_user):
    from chengyun.monitoring import services as monitoring
    from chengyun.water import services
    from chengyun.water.models import ChiefLevel

    chief_user = make_user("river_chief", unit="S01", streets=["630109001"])
    chief = services.appoint_chief(None, person=chief_user.person, level=ChiefLevel.STREET, title="街道级河长")
    river = services.create_water_body(None, code="R01", name="北川河", kind="river")
    lake = services.create_water_body(None, code="L01", name="湟源水库", kind="lake")
    reach = services.create_reach(None, code="R01-S1", name="北川河第1街道段", water_body=river, level=ChiefLevel.STREET, chief=chief,
                                  street=units["S01"].streets.first())
    lng, lat = grid_center(G1)
    section = services.create_section(None, code="WQ01", name="北川河桥断面", water_body=river, lng=lng, lat=lat, target_class=3,
                                       chief=chief, reach=reach)
    lake_section = services.create_section(None, code="WQ02", name="水库坝前断面", water_body=lake, lng=lng + 0.001, lat=lat, target_class=3)
    lng2, lat2 = grid_center(G2)
    outfall = services.create_outfall(None, code="PK01", name="二号雨水排口", kind="rain", water_body=river, lng=lng2, lat=lat2, unit=units["D02"])
    factors = [{"code": c, "unit": "mg/L"} for c in ("w01001", "w01009", "w01018", "w21003", "w21011")]
    dev = monitoring.create_device(None, mn="SEC0000000000001", password="123456", st="21", name="断面水站", factors=factors,
                                   site_kind="section", site_code="WQ01")
    lake_dev = monitoring.create_device(None, mn="SEC0000000000002", password="123456", st="21", name="水库水站", factors=factors,
                                        site_kind="section", site_code="WQ02")
    out_dev = monitoring.create_device(None, mn="OUT0000000000001", password="123456", st="32", name="排口流量计",
                                       factors=[{"code": "w00000", "unit": "L/s"}], site_kind="outfall", site_code="PK01")
    return SimpleNamespace(chief_user=chief_user, chief=chief, river=river, lake=lake, reach=reach, section=section, lake_section=lake_section,
                           outfall=outfall, device=dev, lake_device=lake_dev, outfall_device=out_dev)


@pytest.fixture
def feed():
    """feed(device, site, when, {factor: value or (value, flag)}, cn="2061") stores readings and runs the evaluation."""
    from django.utils import timezone

    from chengyun.monitoring.models import Reading
    from chengyun.water import services

    def run(device, when, values, cn="2061"):
        rows = []
        for factor, v in values.items():
            value, flag = v if isinstance(v, tuple) else (v, "N")
            r, _ = Reading.objects.update_or_create(device=device, cn=cn, data_time=when, factor=factor,
                                                    defaults={"value": value, "flag": flag, "received_at": timezone.now()})
            rows.append(r)
        services.on_readings_stored(device, rows)
        return rows

    return run
