"""The office's pages for the writes that were API-only (issue 12 A): the scheme, registering a
company (GB 32100), credit records with evidence, 红黑榜 measures, confirming a serious record
rectified, project managers and a compound's management. Each stores through the service, re-renders
naming the field on bad input with nothing stored, and is neither offered to nor accepted from
anyone outside the property office."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from property_helpers import valid_code

pytestmark = pytest.mark.django_db


def _err(resp) -> tuple[str, str]:
    html = resp.content.decode()
    m = re.search(r'id="form-error" data-form="[^"]*" data-field="([^"]*)"[^>]*>(.*?)</p>', html, re.S)
    assert m, html[:3000]
    return m.group(1), re.sub(r"<[^>]+>", "", m.group(2))


def _invalid(resp, field: str) -> None:
    assert re.search(rf'name="{re.escape(field)}"[^>]*aria-invalid="true"', resp.content.decode()), field


@pytest.fixture
def outsider(make_user):
    """A department handler of another bureau (城管): signed in, reads credit, writes none of it."""
    from chengyun.people import roles as R

    return make_user(R.DEPT_HANDLER, unit="D01")


def _scheme_post(**over):
    data = {"name": "物业服务企业信用评价（2027 版）", "base_max": "80", "good_max": "40", "validity_days": "365",
            "threshold_AAA": "95", "threshold_AA": "90", "threshold_A": "68", "threshold_B": "50",
            "red_grades": ["AAA", "AA"], "black_grades": ["B", "C", "blacklist"], "complaint_categories": "0110 0111",
            "complaint_sources": ["public", "hotline"], "complaint_item": "B01"}
    data.update(over)
    return data


# ---------------------------------------------------------------- the scheme


def test_the_office_adjusts_the_scheme_and_every_company_is_regraded(client, office, company):
    from chengyun.property import services

    client.force_login(office)
    assert 'id="scheme-form"' in client.get("/property/scheme/").content.decode()
    assert company.grade == "A"  # 70 under the default A ≥ 70
    resp = client.post("/property/scheme/", _scheme_post(threshold_A="72", threshold_B="60"))
    assert resp.status_code == 302
    company.refresh_from_db()
    s = services.active_scheme()
    assert company.grade == "B" and s.threshold_pairs() == [("AAA", 95.0), ("AA", 90.0), ("A", 72.0), ("B", 60.0)]
    assert s.complaint_categories == ["0110", "0111"] and s.name.endswith("2027 版）")
    assert company.grades.filter(reason="评价方案调整", grade="B").exists()


def test_a_bad_scheme_is_refused_naming_the_field(client, office, company):
    from chengyun.property import services

    client.force_login(office)
    resp = client.post("/property/scheme/", _scheme_post(black_grades=["AA", "C"]))
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "black_grades" and text.startswith("黑榜等级") and "红榜又上黑榜" in text
    resp = client.post("/property/scheme/", _scheme_post(threshold_AA="99"))
    field, text = _err(resp)
    assert field == "thresholds" and text.startswith("等级分界")
    _invalid(resp, "threshold_AA")
    assert 'value="99"' in resp.content.decode()  # what was typed stays
    assert services.active_scheme().threshold_pairs()[0] == ("AAA", 85.0)
    company.refresh_from_db()
    assert company.grade == "A"


def test_outside_the_office_the_scheme_is_read_only(client, outsider, company):
    from chengyun.property import services

    client.force_login(outsider)
    page = client.get("/property/scheme/").content.decode()
    assert "B05" in page and "保存并重算全部企业" not in page and "disabled" in page
    assert client.post("/property/scheme/", _scheme_post(threshold_A="72")).status_code == 403
    assert services.active_scheme().threshold_pairs()[2] == ("A", 70.0)


# ---------------------------------------------------------------- companies


def test_the_office_registers_and_edits_a_company(client, office, units):
    from chengyun.property.models import Company

    client.force_login(office)
    assert 'id="new-company"' in client.get("/property/companies/").content.decode()
    code = valid_code("MA0000002")
    resp = client.post("/property/companies/new/", {"name": "新登记物业", "credit_code": code.lower(), "legal_representative": "王某",
                                                     "phone": "0971-1234567", "address": "", "base_score": "72"})
    c = Company.objects.get(name="新登记物业")
    assert resp.status_code == 302 and resp["Location"] == f"/property/companies/{c.pk}/"
    assert (c.credit_code, c.base_score, c.grade) == (code, 72.0, "A")
    resp = client.post(f"/property/companies/{c.pk}/edit/", {"name": "新登记物业", "credit_code": code, "base_score": "55", "active": "on"})
    assert resp.status_code == 302
    c.refresh_from_db()
    assert (c.base_score, c.grade, c.active) == (55.0, "C", True)


def test_a_wrong_check_digit_is_refused_naming_the_field(client, office, units):
    from chengyun.property.models import Company

    client.force_login(office)
    good = valid_code("MA0000002")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    resp = client.post("/property/companies/new/", {"name": "错码物业", "credit_code": bad, "base_score": "70"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "credit_code" and text.startswith("统一社会信用代码") and "校验位" in text
    _invalid(resp, "credit_code")
    assert 'value="错码物业"' in resp.content.decode()
    resp = client.post("/property/companies/new/", {"name": "对码物业", "credit_code": good, "base_score": "81"})
    assert _err(resp)[0] == "base_score"
    assert not Company.objects.exists()


def test_a_bad_company_edit_is_refused_naming_the_field(client, office, company):
    client.force_login(office)
    resp = client.post(f"/property/companies/{company.pk}/edit/", {"name": "改名物业", "credit_code": company.credit_code, "base_score": "90",
                                                                  "active": "on"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "base_score" and text.startswith("基础信息分") and "80" in text
    _invalid(resp, "base_score")
    company.refresh_from_db()
    assert (company.name, company.base_score) == ("测试物业服务有限公司", 70.0)


def test_outside_the_office_no_company_is_registered(client, outsider, company):
    from chengyun.property.models import Company

    client.force_login(outsider)
    assert 'id="new-company"' not in client.get("/property/companies/").content.decode()
    assert 'id="edit-company"' not in client.get(f"/property/companies/{company.pk}/").content.decode()
    assert client.get("/property/companies/new/").status_code == 403
    assert client.post("/property/companies/new/", {"name": "越权物业", "credit_code": valid_code("MA0000002")}).status_code == 403
    assert client.post(f"/property/companies/{company.pk}/edit/", {"name": "改名", "credit_code": company.credit_code}).status_code == 403
    assert list(Company.objects.values_list("name", flat=True)) == ["测试物业服务有限公司"]


# ---------------------------------------------------------------- records, rectification, measures, managers


def test_the_office_enters_a_record_with_evidence_department_and_validity(client, office, company, units):
    client.force_login(office)
    page = client.get(f"/property/companies/{company.pk}/").content.decode()
    assert 'id="record-form"' in page and 'id="manager-form"' in page
    day = timezone.localdate() - dt.timedelta(days=10)
    resp = client.post(f"/property/companies/{company.pk}/", {"form": "record", "item": "B03", "evidence": "未公示公共收益（现场照片 3 张）",
                                                              "issued_on": day.isoformat(), "issued_by": "S01", "validity_days": "90",
                                                              "points": "3", "compound": ""})
    assert resp.status_code == 302
    r = company.records.get()
    assert (r.item.code, r.points, r.issued_by.code, r.issued_on, r.valid_until) == ("B03", 3.0, "S01", day, day + dt.timedelta(days=90))
    assert r.evidence.startswith("未公示公共收益")
    company.refresh_from_db()
    assert company.score == 67


def test_a_record_without_evidence_or_above_the_items_points_is_refused(client, office, company):
    client.force_login(office)
    resp = client.post(f"/property/companies/{company.pk}/", {"form": "record", "item": "B03", "evidence": "  ", "issued_by": "D02"})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "evidence" and text.startswith("事实与证据")
    _invalid(resp, "evidence")
    assert 'id="record-box" open' in resp.content.decode()
    resp = client.post(f"/property/companies/{company.pk}/", {"form": "record", "item": "B03", "evidence": "未公示", "points": "9"})
    field, text = _err(resp)
    assert field == "points" and "5" in text
    assert 'id="record-box" open' in resp.content.decode() and ">未公示</textarea>" in resp.content.decode()
    assert not company.records.exists()


def test_the_office_confirms_a_serious_record_rectified(client, office, company):
    from chengyun.property import services

    r = services.add_record(None, company, item="B05", evidence="擅自撤离项目", issued_on=timezone.localdate() - dt.timedelta(days=20))
    client.force_login(office)
    assert f'id="rectify-{r.pk}"' in client.get(f"/property/companies/{company.pk}/").content.decode()
    resp = client.post(f"/property/companies/{company.pk}/", {"form": "rectify", "record": r.pk, "on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "on" and text.startswith("整改完成日期")
    r.refresh_from_db()
    assert r.rectified_on is None
    on = timezone.localdate() - dt.timedelta(days=2)
    assert client.post(f"/property/companies/{company.pk}/", {"form": "rectify", "record": r.pk, "on": on.isoformat(), "note": "已重新进驻"}).status_code == 302
    r.refresh_from_db()
    company.refresh_from_db()
    assert r.rectified_on == on and "已重新进驻" in r.evidence and company.grade != "blacklist"
    assert f'id="rectify-{r.pk}"' not in client.get(f"/property/companies/{company.pk}/").content.decode()


def test_the_office_records_a_board_measure_and_a_project_manager(client, office, company):
    from chengyun.property import services

    services.add_record(None, company, item="B06", evidence="安全责任事故")
    client.force_login(office)
    page = client.get(f"/property/companies/{company.pk}/").content.decode()
    assert 'id="measure-form"' in page and 'value="interview"' in page and 'value="support"' not in page  # black board: no 政策支持
    assert client.post(f"/property/companies/{company.pk}/", {"form": "measure", "kind": "interview", "note": "约谈法定代表人", "unit": "D02"}).status_code == 302
    m = company.measures.get()
    assert (m.board, m.kind, m.unit.code) == ("black", "interview", "D02")
    resp = client.post(f"/property/companies/{company.pk}/", {"form": "measure", "kind": "support"})
    assert resp.status_code == 422 and _err(resp)[0] == "kind"
    assert client.post(f"/property/companies/{company.pk}/", {"form": "manager", "name": "李经理", "phone": "13900000000", "certificate": "ZS-1"}).status_code == 302
    assert list(company.managers.values_list("name", "certificate")) == [("李经理", "ZS-1")]
    resp = client.post(f"/property/companies/{company.pk}/", {"form": "manager", "name": ""})
    assert resp.status_code == 422 and _err(resp)[0] == "name" and company.managers.count() == 1
    _invalid(resp, "name")


def test_outside_the_office_no_record_measure_rectification_or_manager(client, outsider, company):
    from chengyun.property import services

    r = services.add_record(None, company, item="B05", evidence="擅自撤离项目")
    client.force_login(outsider)
    page = client.get(f"/property/companies/{company.pk}/").content.decode()
    assert not any(f'id="{f}-form"' in page for f in ("record", "measure", "manager")) and 'id="rectify-' not in page
    assert "确认整改完成" not in page
    for data in ({"form": "record", "item": "B03", "evidence": "越权"}, {"form": "rectify", "record": r.pk},
                 {"form": "measure", "kind": "interview"}, {"form": "manager", "name": "越权"}):
        assert client.post(f"/property/companies/{company.pk}/", data).status_code == 403, data
    r.refresh_from_db()
    assert company.records.count() == 1 and r.rectified_on is None and not company.measures.exists() and not company.managers.exists()


# ---------------------------------------------------------------- a compound's management


def test_the_office_registers_a_compounds_management(client, office, compound_in, company):
    from chengyun.property import services

    m = services.add_manager(None, company, name="赵经理")
    client.force_login(office)
    assert f'href="/property/compounds/{compound_in.code}/"' in client.get("/property/compounds/").content.decode()
    resp = client.post(f"/property/compounds/{compound_in.code}/", {"mode": "professional", "company": company.pk, "manager": m.pk,
                                                                   "contract_start": "2026-01-01", "contract_end": "2028-12-31", "fee_per_m2": "1.2"})
    assert resp.status_code == 302
    compound_in.refresh_from_db()
    mg = compound_in.management
    assert (compound_in.management_mode, compound_in.property_company, mg.company_id, mg.manager_id, str(mg.fee_per_m2)) == (
        "professional", company.name, company.pk, m.pk, "1.20")
    assert mg.contract_end == dt.date(2028, 12, 31)


def test_a_bad_management_is_refused_naming_the_field(client, office, compound_in, company):
    client.force_login(office)
    resp = client.post(f"/property/compounds/{compound_in.code}/", {"mode": "professional", "company": "", "contract_start": "", "contract_end": ""})
    assert resp.status_code == 422
    field, text = _err(resp)
    assert field == "company" and text.startswith("物业服务企业") and "专业物业" in text
    _invalid(resp, "company")
    resp = client.post(f"/property/compounds/{compound_in.code}/", {"mode": "professional", "company": company.pk,
                                                                   "contract_start": "2026-01-01", "contract_end": "2025-01-01"})
    assert _err(resp)[0] == "contract_end"
    compound_in.refresh_from_db()
    assert not hasattr(compound_in, "management") or compound_in.management.company_id is None


def test_outside_the_office_a_compounds_management_is_read_only(client, outsider, managed, company):
    client.force_login(outsider)
    page = client.get(f"/property/compounds/{managed.code}/")
    assert page.status_code == 200 and company.name in page.content.decode() and 'id="management-form"' not in page.content.decode()
    assert client.post(f"/property/compounds/{managed.code}/", {"mode": "none"}).status_code == 403
    managed.refresh_from_db()
    assert managed.management_mode == "professional"


def test_the_forms_read_in_chinese_and_in_english(client, office, managed, company):
    from chengyun.core.i18n_check import english_words
    from chengyun.property import services

    services.add_record(None, company, item="B05", evidence="擅自撤离项目")
    client.force_login(office)
    for url in ("/property/scheme/", "/property/companies/new/", f"/property/companies/{company.pk}/edit/", f"/property/companies/{company.pk}/",
                f"/property/compounds/{managed.code}/", "/property/companies/", "/property/compounds/"):
        resp = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert resp.status_code == 200, url
        assert english_words(resp.content.decode()) == set(), url
    resp = client.post(f"/property/companies/{company.pk}/", {"form": "record", "item": "B03", "evidence": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 422 and _err(resp)[1].startswith("Facts and evidence")  # the field named in English
