"""The residential-compound register: area-scoped writes, checked input, audited."""
from __future__ import annotations

import json

import pytest
from shapely.geometry import box, mapping

from chengyun.core.errors import Conflict, Forbidden, Invalid, NotFound
from chengyun.core.models import AuditEntry
from chengyun.geo import compounds
from chengyun.geo.models import Compound
from chengyun.people import roles as R
from support import DIVISION

C11 = f"{DIVISION}001001"
C21 = f"{DIVISION}002001"


def test_street_chief_registers_compound_in_own_street_with_centroid_and_audit(make_user):
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=[f"{DIVISION}001"])
    geom = mapping(box(101.701, 36.501, 101.703, 36.503))
    c = compounds.create_compound(chief, code="XQ001", name="幸福小区", community=C11, built_year=1995, buildings=6, households=240,
                                  floor_area_m2=18000, management_mode="无物业", geometry=json.dumps(geom))
    assert c.management_mode == Compound.ManagementMode.NONE
    assert c.lng == pytest.approx(101.702) and c.lat == pytest.approx(36.502)
    entry = AuditEntry.objects.get(object_type="geo.compound", object_id=str(c.pk))
    assert entry.action == "create" and entry.after["name"] == "幸福小区"


def test_outside_area_and_bad_input_are_refused_without_writes(make_user):
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=[f"{DIVISION}001"])
    with pytest.raises(Forbidden):
        compounds.create_compound(chief, code="XQ002", name="远方小区", community=C21)
    with pytest.raises(Invalid) as e:
        compounds.create_compound(chief, code="XQ003", name="坏小区", community=C11, management_mode="管家")
    assert e.value.detail == {"field": "management_mode"}
    with pytest.raises(Invalid) as e:
        compounds.create_compound(chief, code="XQ004", name="坏小区", community=C11, built_year="一九九五")
    assert e.value.detail == {"field": "built_year"}
    with pytest.raises(Invalid):
        compounds.create_compound(chief, code="XQ005", name="坏小区", community=C11, geometry='{"type":"Point","coordinates":[101.7,36.5]}')
    assert not Compound.objects.exists()


def test_update_is_scoped_audited_and_cannot_move_out_of_area(make_user):
    admin = make_user(R.SYSADMIN)
    c = compounds.create_compound(admin, code="XQ010", name="和平小区", community=C11)
    with pytest.raises(Conflict):
        compounds.create_compound(admin, code="XQ010", name="重复", community=C11)
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=[f"{DIVISION}001"])
    compounds.update_compound(chief, c, management_mode="professional", property_company="万嘉物业")
    entry = AuditEntry.objects.filter(object_type="geo.compound", action="update").get()
    assert entry.after == {"management_mode": "professional", "property_company": "万嘉物业"}
    with pytest.raises(Forbidden):
        compounds.update_compound(chief, c, community=C21)
    other = make_user(R.COMMUNITY_GRID_WORKER, unit="S02", communities=[C21])
    with pytest.raises(Forbidden):
        compounds.update_compound(other, c, name="改名")
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    with pytest.raises((Forbidden, NotFound)):
        compounds.update_compound(handler, c, name="改名")
    c.refresh_from_db()
    assert c.name == "和平小区" and c.community.code == C11
