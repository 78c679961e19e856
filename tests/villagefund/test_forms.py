"""The register's writes from pages, as the API makes them: a street registers its villages (credit
code checked by GB 32100), the village and its street keep its facts, the district's joint-review
departments register batches. Refusals re-render naming the field with nothing stored; roles that
may not write get no form and a 403."""
from __future__ import annotations

import pytest

from chengyun.standards import gb32100
from chengyun.villagefund.models import Batch, Village
from support import DIVISION

pytestmark = pytest.mark.django_db
FREE = f"{DIVISION}001002"  # street 1, community 2: no village yet
OTHER_STREET = f"{DIVISION}002002"


def _village(code=FREE, credit=None, **extra):
    return {"action": "village", "community": code, "name": "下河湾村", "organisation": "下河湾村股份经济合作社",
            "credit_code": credit or gb32100.make("N2630109MA0000003"), "households": "120", "representatives": "25", **extra}


def test_a_street_officer_registers_a_village_of_their_street(client, fund):
    client.force_login(fund.officer)
    html = client.get("/villagefund/villages/").content.decode()
    assert 'id="vf-village-form"' in html and f'value="{FREE}"' in html and f'value="{OTHER_STREET}"' not in html
    r = client.post("/villagefund/villages/", _village())
    v = Village.objects.get(name="下河湾村")
    assert r.status_code == 302 and r["Location"] == f"/villagefund/villages/{v.pk}/"
    assert (v.households, v.representatives, v.community.code) == (120, 25, FREE)


def test_a_wrong_check_digit_names_the_credit_code(client, fund):
    client.force_login(fund.officer)
    good = gb32100.make("N2630109MA0000003")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    r = client.post("/villagefund/villages/", _village(credit=wrong))
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>统一社会信用代码</strong>" in html and "校验位" in html
    assert 'value="下河湾村"' in html and f'value="{wrong}"' in html
    r = client.post("/villagefund/villages/", _village(households="很多"))
    assert r.status_code == 422 and "<strong>户数</strong>" in r.content.decode()
    assert not Village.objects.filter(name="下河湾村").exists()


def test_others_cannot_register_villages(client, fund):
    client.force_login(fund.cadre)
    assert 'id="vf-village-form"' not in client.get("/villagefund/villages/").content.decode()
    r = client.post("/villagefund/villages/", _village())
    assert r.status_code == 403
    client.force_login(fund.officer)  # another street's community
    r = client.post("/villagefund/villages/", _village(code=OTHER_STREET))
    assert r.status_code == 403 and not Village.objects.filter(name="下河湾村").exists()


def test_the_village_cadre_keeps_its_facts(client, fund):
    client.force_login(fund.cadre)
    url = f"/villagefund/villages/{fund.v1.pk}/"
    html = client.get(url).content.decode()
    assert 'id="vf-village-edit"' in html and 'value="上庄村股份经济合作社"' in html
    form = {"action": "village", "name": "上庄村", "organisation": "上庄村股份经济合作社", "credit_code": fund.v1.credit_code,
            "representatives": "33", "party_members": "41"}
    assert client.post(url, form).status_code == 302
    fund.v1.refresh_from_db()
    assert (fund.v1.representatives, fund.v1.party_members) == (33, 41)
    r = client.post(url, {**form, "representatives": "-2"})
    assert r.status_code == 422 and "<strong>村民代表人数</strong>" in r.content.decode() and 'value="-2"' in r.content.decode()
    r = client.post(url, {**form, "credit_code": fund.v2.credit_code})
    assert r.status_code == 422 and "<strong>统一社会信用代码</strong>" in r.content.decode()
    fund.v1.refresh_from_db()
    assert fund.v1.representatives == 33 and fund.v1.credit_code != fund.v2.credit_code


def test_another_village_cannot_edit_or_see_it(client, fund):
    client.force_login(fund.cadre2)
    url = f"/villagefund/villages/{fund.v1.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "village", "name": "改名村", "organisation": "x", "credit_code": fund.v1.credit_code}).status_code == 404
    client.force_login(fund.reviewers["财政"])  # the district reads every village, writes none
    r = client.get(url)
    assert r.status_code == 200 and "上庄村" in r.content.decode() and 'id="vf-village-edit"' not in r.content.decode()
    # Refused as the API refuses it (the write policy does not know the reviewers: 404, as for any record out of reach).
    assert client.post(url, {"action": "village", "name": "改名村", "organisation": "x", "credit_code": fund.v1.credit_code}).status_code == 404
    fund.v1.refresh_from_db()
    assert fund.v1.name == "上庄村"


def test_the_finance_bureau_registers_a_batch(client, fund):
    client.force_login(fund.reviewers["财政"])
    assert 'id="vf-batch-form"' in client.get("/villagefund/batches/").content.decode()
    r = client.post("/villagefund/batches/", {"action": "batch", "year": "2027", "name": "2027年度扶持资金", "document": "财农〔2027〕1号",
                                              "central_wan": "100", "district_wan": "50.5"})
    b = Batch.objects.get(year=2027)
    assert r.status_code == 302 and r["Location"] == f"/villagefund/batches/{b.pk}/"
    assert (float(b.central_wan), float(b.district_wan), float(b.province_wan)) == (100, 50.5, 0)
    r = client.post("/villagefund/batches/", {"action": "batch", "year": "2027", "name": "空批次"})
    assert r.status_code == 422 and "<strong>中央资金（万元）</strong>" in r.content.decode() and 'value="空批次"' in r.content.decode()
    r = client.post("/villagefund/batches/", {"action": "batch", "year": "27", "name": "x", "central_wan": "1"})
    assert r.status_code == 422 and "<strong>年度</strong>" in r.content.decode()
    r = client.post("/villagefund/batches/", {"action": "batch", "year": "2027", "name": "x", "city_wan": "-5"})
    assert r.status_code == 422 and "<strong>市级资金（万元）</strong>" in r.content.decode()
    assert Batch.objects.filter(year=2027).count() == 1


def test_streets_and_villages_do_not_register_batches(client, fund):
    for user in (fund.officer, fund.cadre, fund.handler):
        client.force_login(user)
        assert 'id="vf-batch-form"' not in client.get("/villagefund/batches/").content.decode()
        r = client.post("/villagefund/batches/", {"action": "batch", "year": "2027", "name": "x", "central_wan": "1"})
        assert r.status_code == 403
    assert not Batch.objects.filter(year=2027).exists()
