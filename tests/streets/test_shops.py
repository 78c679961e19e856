"""Registering a shop (登记商户), by the API and by the page, both through ``permits.create_shop``:
the street office of the shop's street and the district desk may, others are refused (403, and no
button); a bad unified social credit code, a point outside the district or the chosen policy, or a
duplicate number is refused naming the field with nothing stored; the list is scoped like permits."""
import pytest
from streets_support import Y, page_client as _client, refused as _refused

from chengyun.core.i18n_check import english_words

pytestmark = pytest.mark.django_db

GOOD_CREDIT = "91350100M000100Y43"  # GB 32100's check character holds


def _post(**over):
    data = {"code": "SHX", "name": "老杨烤串", "credit_code": GOOD_CREDIT, "address": "湟水路 18 号", "policy": "BD1",
            "lng": "101.708", "lat": str(Y + 0.0002)}
    data.update(over)
    return data


@pytest.fixture
def officer(make_user):
    return make_user("street_officer", unit="S01", streets=["630109001"])


# ---------------------------------------------------------------- API


def test_api_registers_a_shop_audited(streets, night, officer, api_client):
    from chengyun.core.models import AuditEntry
    from chengyun.streets.models import Shop

    r = api_client.as_user(officer).post("streets/night/shops", {"code": "SHA", "name": "老杨烤串", "lng": 101.708, "lat": Y + 0.0002,
                                                                 "credit_code": "91350100m000100y43 ", "policy": "BD1"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["code"], body["street"], body["policy"], body["credit_code"]) == ("SHA", "630109001", "BD1", GOOD_CREDIT)
    shop = Shop.objects.get(code="SHA")
    assert AuditEntry.objects.filter(object_id=str(shop.pk), action=AuditEntry.Action.CREATE, actor=officer).exists()


def test_api_refusals_name_the_field_and_store_nothing(streets, night, officer, api_client):
    from chengyun.streets.models import Shop

    c = api_client.as_user(officer)
    base = {"code": "SHA", "name": "老杨烤串", "lng": 101.708, "lat": Y + 0.0002}
    r = c.post("streets/night/shops", {**base, "credit_code": "91350100M000100Y44"})
    assert r.status_code == 422 and r.json()["code"] == "bad_credit_code" and r.json()["detail"]["field"] == "credit_code"
    assert "统一社会信用代码" in r.json()["message"]
    r = c.post("streets/night/shops", {**base, "policy": "TS1"})  # the tourist street lies in street 2
    assert r.status_code == 422 and r.json()["detail"]["field"] == "policy"
    r = c.post("streets/night/shops", {**base, "lng": 90.0, "lat": 30.0})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "lng"
    assert not Shop.objects.exists()


def test_api_only_the_shops_street_and_the_desk(streets, night, officer, api_client, make_user):
    from chengyun.streets.models import Shop

    in_street_2 = {"code": "SHB", "name": "古街茶馆", "lng": 101.725, "lat": Y}
    assert api_client.as_user(officer).post("streets/night/shops", in_street_2).status_code == 403
    auditor = make_user("auditor")
    assert api_client.as_user(auditor).post("streets/night/shops", {**in_street_2, "code": "SHC"}).status_code == 403
    assert not Shop.objects.exists()
    assert api_client.as_user(streets.ops).post("streets/night/shops", in_street_2).status_code == 201
    # The list is scoped: the street-1 officer does not see the street-2 shop; the desk does.
    assert [s["code"] for s in api_client.as_user(officer).get("streets/night/shops").json()["results"]] == []
    assert [s["code"] for s in api_client.as_user(streets.ops).get("streets/night/shops").json()["results"]] == ["SHB"]
    assert [s["code"] for s in api_client.as_user(streets.chief2).get("streets/night/shops?street=630109002").json()["results"]] == ["SHB"]


# ---------------------------------------------------------------- the page


def test_page_registers_a_shop_then_on_to_its_permit(streets, night):
    from chengyun.streets.models import Shop

    c = _client(streets.chief1)
    page = c.get("/streets/night/shops/new/")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-mode="point"' in body and "chengyun/draw.js" in body
    assert english_words(body) == set()
    r = c.post("/streets/night/shops/new/", _post())
    assert r.status_code == 302, r.content.decode()[:500]
    assert r["Location"] == "/streets/night/permits/new/?shop=SHX&policy=BD1"
    shop = Shop.objects.get(code="SHX")
    assert (shop.name, shop.street.code, shop.policy.code, shop.credit_code) == ("老杨烤串", "630109001", "BD1", GOOD_CREDIT)
    form = c.get(r["Location"]).content.decode()
    assert '<option value="SHX" selected>' in form


def test_page_refusals_name_the_field(streets, night, officer):
    from chengyun.streets.models import Shop

    c = _client(officer)
    body = _refused(c.post("/streets/night/shops/new/", _post(credit_code="91350100M000100Y44")), "credit_code", "统一社会信用代码")
    assert 'value="老杨烤串"' in body  # what was typed is kept
    _refused(c.post("/streets/night/shops/new/", _post(lng="")), "lng", "经度")
    _refused(c.post("/streets/night/shops/new/", _post(policy="TS1")), "policy", "一街一策")
    _refused(c.post("/streets/night/shops/new/", _post(name=" ")), "name", "名称")
    assert not Shop.objects.exists()
    # The street officer may register but not apply for permits: back to the night map.
    r = c.post("/streets/night/shops/new/", _post())
    assert r.status_code == 302 and r["Location"] == "/streets/night/"
    _refused(c.post("/streets/night/shops/new/", _post(name="另一家")), "code", "编号")
    assert Shop.objects.count() == 1


def test_page_not_for_other_streets_nor_roles_without_the_right(streets, night, make_user):
    from chengyun.streets.models import Shop

    auditor = _client(make_user("auditor"))
    assert auditor.get("/streets/night/shops/new/").status_code == 403
    assert auditor.post("/streets/night/shops/new/", _post()).status_code == 403
    assert "/streets/night/shops/new/" not in auditor.get("/streets/night/").content.decode()
    assert "/streets/night/shops/new/" in _client(streets.chief1).get("/streets/night/").content.decode()
    # The chief of street 2 may use the page, but not for a shop in street 1.
    assert _client(streets.chief2).post("/streets/night/shops/new/", _post(policy="")).status_code == 403
    assert not Shop.objects.exists()


def test_english_shop_page(streets, night):
    body = _client(streets.ops, "en").get("/streets/night/shops/new/").content.decode()
    assert "Register a shop" in body and "Unified social credit code" in body
