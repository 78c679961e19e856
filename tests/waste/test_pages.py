"""The pages behind PUT compounds/{code}, POST areas and PUT indicators/{code}/{year}: each stores
through the API's service function; a refusal re-renders naming the field with nothing stored; a
role the rule does not let write gets 403 and sees no button."""
import datetime as dt

import pytest
from django.test import Client

from chengyun.core.i18n_check import english_words
from chengyun.people import roles as R
from chengyun.waste import services
from chengyun.waste.models import DemoArea, SortingCompound, ZeroWasteValue

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _client(user, lang="zh-hans"):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


def _refused(r, field: str, label: str) -> str:
    assert 400 <= r.status_code < 500 and r.status_code != 403, r.status_code
    body = r.content.decode()
    alert = body.split(f'data-field="{field}"', 1)[1].split("</p>", 1)[0]
    assert f"<strong>{label}</strong>" in alert, alert
    assert 'aria-invalid="true"' in body
    return body


@pytest.fixture
def w(district, units, make_user):
    from types import SimpleNamespace

    from chengyun.geo.models import Community, Compound, Street

    community = Community.objects.order_by("code").first()
    street = community.street
    compound = Compound.objects.create(code="XQ-P1", name="页面小区", community=community, households=300)
    area = services.create_demo_area(None, code="PQ-OLD", name="老城示范片区", street=street.code, designated_on=dt.date(2024, 3, 1))
    ind = services.create_indicator(None, code="recycle", name="生活垃圾回收利用率", unit_label="%", unit="D01")
    other = services.create_indicator(None, code="landfill", name="原生生活垃圾填埋量", unit_label="吨", direction="lower", unit="D02")
    return SimpleNamespace(
        compound=compound, community=community, street=street, area=area, ind=ind, other=other,
        chief=make_user(R.STREET_CHIEF, unit="S01", streets=[street.code]),
        outsider=make_user(R.STREET_CHIEF, unit="S02", streets=[Street.objects.exclude(pk=street.pk).order_by("code").first().code]),
        worker=make_user(R.COMMUNITY_GRID_WORKER, unit="S01", communities=[community.code]),
        handler=make_user(R.DEPT_HANDLER, unit="D01"), leader=make_user(R.DISTRICT_LEADER), ops=make_user(R.OPS_DISPATCHER))


# ---------------------------------------------------------------- a compound sorts / joins an area


def test_enrol_a_compound_from_the_page(w):
    c = _client(w.worker)
    assert "/waste/compounds/enrol/" in c.get("/waste/compounds/").content.decode()
    page = c.get("/waste/compounds/enrol/?compound=XQ-P1")
    body = page.content.decode()
    assert page.status_code == 200 and '<option value="XQ-P1" selected>' in body and english_words(body) == set()
    r = c.post("/waste/compounds/enrol/", {"compound": "XQ-P1", "sorting_since": "2025-05-01", "demo_area": "PQ-OLD", "joined_area_on": "2025-06-01"})
    assert r.status_code == 302 and r["Location"] == "/waste/compounds/?q=XQ-P1"
    sc = SortingCompound.objects.get(compound=w.compound)
    assert (sc.sorting_since, sc.demo_area_id, sc.joined_area_on) == (dt.date(2025, 5, 1), w.area.pk, dt.date(2025, 6, 1))


def test_enrol_refusals_name_the_field(w):
    c = _client(w.chief)
    body = _refused(c.post("/waste/compounds/enrol/", {"compound": "XQ-P1", "demo_area": "PQ-OLD", "joined_area_on": "2024-01-01"}),
                    "joined_area_on", "纳入片区日期")
    assert "2024-03-01" in body and '<option value="PQ-OLD" selected>' in body  # the choice is kept
    _refused(c.post("/waste/compounds/enrol/", {"compound": "XQ-P1", "demo_area": "PQ-OLD"}), "joined_area_on", "纳入片区日期")
    _refused(c.post("/waste/compounds/enrol/", {"compound": "XQ-P1", "sorting_since": "五月"}), "sorting_since", "实施分类日期")
    _refused(c.post("/waste/compounds/enrol/", {"compound": "XQ-NONE"}), "compound", "小区")
    assert not SortingCompound.objects.exists()


def test_enrol_not_for_the_ops_center_nor_another_street(w):
    for user in (w.ops, w.leader):
        c = _client(user)
        assert c.get("/waste/compounds/enrol/").status_code == 403
        assert c.post("/waste/compounds/enrol/", {"compound": "XQ-P1", "sorting_since": "2025-05-01"}).status_code == 403
        assert "/waste/compounds/enrol/" not in c.get("/waste/compounds/").content.decode()
        assert "/waste/compounds/enrol/" not in c.get("/waste/").content.decode()
    assert _client(w.outsider).post("/waste/compounds/enrol/", {"compound": "XQ-P1", "sorting_since": "2025-05-01"}).status_code == 403
    assert "页面小区" not in _client(w.outsider).get("/waste/compounds/enrol/").content.decode()
    assert not SortingCompound.objects.exists()


# ---------------------------------------------------------------- naming a demonstration area


def test_name_an_area_from_the_page(w):
    c = _client(w.chief)
    assert "/waste/areas/new/" in c.get("/waste/").content.decode()
    page = c.get("/waste/areas/new/")
    assert page.status_code == 200 and english_words(page.content.decode()) == set()
    r = c.post("/waste/areas/new/", {"code": "PQ-NEW", "name": "河滨示范片区", "street": w.street.code, "level": "city", "designated_on": "2026-05-01"})
    assert r.status_code == 302 and r["Location"] == "/waste/"
    area = DemoArea.objects.get(code="PQ-NEW")
    assert (area.name, area.street_id, area.level, area.designated_on) == ("河滨示范片区", w.street.pk, "city", dt.date(2026, 5, 1))
    assert "河滨示范片区" in c.get("/waste/").content.decode()


def test_area_refusals_name_the_field(w):
    c = _client(w.chief)
    base = {"code": "PQ-NEW", "name": "河滨示范片区", "street": w.street.code, "level": "district", "designated_on": "2026-05-01"}
    body = _refused(c.post("/waste/areas/new/", {**base, "code": "PQ-OLD"}), "code", "编号")
    assert "PQ-OLD" in body and 'value="河滨示范片区"' in body
    _refused(c.post("/waste/areas/new/", {**base, "name": " "}), "name", "片区名称")
    _refused(c.post("/waste/areas/new/", {**base, "designated_on": ""}), "designated_on", "命名日期")
    _refused(c.post("/waste/areas/new/", {**base, "level": "province"}), "level", "级别")
    assert list(DemoArea.objects.values_list("code", flat=True)) == ["PQ-OLD"]


def test_area_only_by_the_streets_chief(w):
    for user in (w.worker, w.handler, w.ops):
        c = _client(user)
        assert c.get("/waste/areas/new/").status_code == 403
        assert c.post("/waste/areas/new/", {"code": "PQ-X", "name": "x", "street": w.street.code, "designated_on": "2026-05-01"}).status_code == 403
        assert "/waste/areas/new/" not in c.get("/waste/").content.decode()
    # The chief of another street may use the page, but not for this street.
    r = _client(w.outsider).post("/waste/areas/new/", {"code": "PQ-X", "name": "x", "street": w.street.code, "designated_on": "2026-05-01"})
    assert r.status_code == 403
    assert not DemoArea.objects.filter(code="PQ-X").exists()


# ---------------------------------------------------------------- 无废城市 yearly target / actual


def test_fill_an_indicator_from_the_page(w):
    c = _client(w.handler)
    assert "/waste/indicators/values/" in c.get("/waste/").content.decode()
    page = c.get("/waste/indicators/values/")
    body = page.content.decode()
    assert page.status_code == 200 and "生活垃圾回收利用率" in body and "原生生活垃圾填埋量" not in body  # only its own unit's
    assert english_words(body) == set()
    assert c.post("/waste/indicators/values/", {"indicator": "recycle", "year": "2025", "target": "40"}).status_code == 302
    assert c.post("/waste/indicators/values/", {"indicator": "recycle", "year": "2025", "actual": "41.5", "note": "年报"}).status_code == 302
    v = ZeroWasteValue.objects.get(indicator=w.ind, year=2025)
    assert (v.target, v.actual, v.met, v.note) == (40.0, 41.5, True, "年报")


def test_indicator_refusals_name_the_field(w):
    c = _client(w.handler)
    _refused(c.post("/waste/indicators/values/", {"indicator": "recycle", "year": "1990", "target": "40"}), "year", "年度")
    _refused(c.post("/waste/indicators/values/", {"indicator": "recycle", "year": "2025", "target": "四十"}), "target", "目标值")
    _refused(c.post("/waste/indicators/values/", {"indicator": "recycle", "year": "2025"}), "target", "目标值")
    _refused(c.post("/waste/indicators/values/", {"indicator": "landfill", "year": "2025", "actual": "3"}), "indicator", "指标")  # another unit's
    assert not ZeroWasteValue.objects.exists()


def test_indicator_only_by_its_department(w, make_user):
    for user in (w.chief, w.ops, w.leader):
        c = _client(user)
        assert c.get("/waste/indicators/values/").status_code == 403
        assert c.post("/waste/indicators/values/", {"indicator": "recycle", "year": "2025", "target": "40"}).status_code == 403
        assert "/waste/indicators/values/" not in c.get("/waste/").content.decode()
    assert not ZeroWasteValue.objects.exists()


def test_english_pages(w):
    en = _client(w.chief, "en")
    assert "Name a waste-sorting demonstration area" in en.get("/waste/areas/new/").content.decode()
    assert "Compound starts sorting or joins a demonstration area" in en.get("/waste/compounds/enrol/").content.decode()
    assert "Fill in a zero-waste city indicator" in _client(w.handler, "en").get("/waste/indicators/values/").content.decode()
