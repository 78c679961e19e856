"""The project's forms refused: the page comes back with a 4xx, the message at the form names the field
by its label, what was typed is still there (the field at fault marked), and nothing is stored."""
from __future__ import annotations

import datetime as dt

import pytest

from chengyun.villagefund import workflow as wf
from chengyun.villagefund.models import Meeting, Objection, Payment, Progress, Project, YearlyReturn
from .conftest import MEETINGS

pytestmark = pytest.mark.django_db


def _error(html: str) -> str:
    start = html.index('<p class="error" role="alert"')
    return html[start:html.index("</p>", start)]


def test_wizard_step_1_keeps_the_application_and_names_the_amount(client, fund):
    client.force_login(fund.cadre)
    form = {"village": fund.v1.pk, "batch": fund.batch.pk, "name": "上庄村冷链仓储库", "model": "property", "amount_wan": "八十",
            "partner": "上庄果蔬合作社", "period_start": "2026-07-01", "period_end": "2026-12-31", "plan": "新建 500 吨冷库一座"}
    r = client.post("/villagefund/apply/", form)
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>申请扶持资金（万元）</strong>" in _error(html)
    assert 'name="amount_wan" aria-invalid="true" required value="八十"' in html
    assert 'value="上庄村冷链仓储库"' in html and 'value="上庄果蔬合作社"' in html and "新建 500 吨冷库一座</textarea>" in html
    assert 'value="2026-12-31"' in html and f'<option value="{fund.batch.pk}" selected>' in html
    assert not Project.objects.exists()


def test_wizard_step_1_names_a_period_ending_before_it_starts(client, fund):
    client.force_login(fund.cadre)
    r = client.post("/villagefund/apply/", {"village": fund.v1.pk, "batch": fund.batch.pk, "name": "冷库", "model": "property",
                                            "amount_wan": "80", "period_start": "2026-07-01", "period_end": "2026-06-01"})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>实施期止</strong>" in _error(html)
    assert 'name="period_end" aria-invalid="true" value="2026-06-01"' in html and not Project.objects.exists()


def _step2(**extra):
    return {"self_funds_wan": "10", "expected_return_wan": "6.4", "guaranteed_rate": "5", "guaranteed_years": "3",
            "item": ["冷库主体工程", "制冷设备", "", ""], "item_amount": ["60", "三十", "", ""], **extra}


def test_wizard_step_2_keeps_the_typed_budget_and_names_its_line(client, fund, make_project):
    p = make_project(amount=90)
    client.force_login(fund.cadre)
    r = client.post(f"/villagefund/projects/{p.pk}/wizard/2/", _step2())
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>预算明细第 2 行 · 金额（万元）</strong>" in _error(html)
    assert 'name="item" value="冷库主体工程"' in html and 'name="item" value="制冷设备"' in html
    assert 'name="item_amount" inputmode="decimal" value="60">' in html
    assert 'name="item_amount" inputmode="decimal" value="三十" aria-invalid="true"' in html
    assert 'name="self_funds_wan" inputmode="decimal" value="10"' in html and 'name="guaranteed_rate" inputmode="decimal" value="5"' in html
    p.refresh_from_db()
    assert p.budget == [{"item": "工程建设", "amount_wan": "90.00"}] and p.self_funds_wan == 0 and p.guaranteed_rate is None


def test_wizard_step_2_a_budget_not_adding_up_is_named_and_kept(client, fund, make_project):
    p = make_project(amount=90)
    client.force_login(fund.cadre)
    r = client.post(f"/villagefund/projects/{p.pk}/wizard/2/", _step2(item_amount=["60", "30", "", ""]))
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>预算明细</strong>" in _error(html) and "应等于扶持资金与自筹之和" in html
    assert 'name="item_amount" inputmode="decimal" value="30" aria-invalid="true"' in html
    p.refresh_from_db()
    assert p.budget == [{"item": "工程建设", "amount_wan": "90.00"}]


def test_wizard_step_3_below_quorum_keeps_the_meetings_and_marks_the_count(client, fund, make_project):
    p = make_project()
    client.force_login(fund.cadre)
    form = {}
    for m in MEETINGS:
        for k in ("held_on", "entitled", "present", "agree", "oppose", "abstain"):
            form[f"{m['kind']}_{k}"] = str(m.get(k, 0))
    form["representatives_present"] = "19"
    form["representatives_agree"] = "16"
    r = client.post(f"/villagefund/projects/{p.pk}/wizard/3/", {**form, "submit": "1"})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>民主决策记录</strong>" in _error(html) and "村民代表会议未达到法定人数" in _error(html)
    assert 'name="representatives_present" aria-invalid="true" required size="4" value="19"' in html
    assert 'name="party_present" required size="4" value="32"' in html and 'value="2026-03-09"' in html
    p.refresh_from_db()
    assert p.state == wf.DRAFT and not Meeting.objects.filter(project=p).exists()


def test_wizard_step_3_names_the_meeting_and_column_of_a_bad_count(client, fund, make_project):
    p = make_project()
    client.force_login(fund.cadre)
    form = {f"{m['kind']}_{k}": str(m.get(k, 0)) for m in MEETINGS for k in ("held_on", "entitled", "present", "agree")}
    form["party_present"] = "三十二"
    r = client.post(f"/villagefund/projects/{p.pk}/wizard/3/", form)
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>党员大会 · 实到人数</strong>" in _error(html)
    assert 'name="party_present" aria-invalid="true" required size="4" value="三十二"' in html
    assert not Meeting.objects.filter(project=p).exists()


@pytest.fixture
def published(fund, make_project, advance, today):
    return Project.objects.get(pk=advance(make_project(amount=100), wf.PUBLICITY).pk)


def test_a_refused_payment_keeps_the_form_and_names_the_amount(client, fund, published, today):
    client.force_login(fund.officer)
    paid_on = (published.publicity_end + dt.timedelta(days=1)).isoformat()
    r = client.post(f"/villagefund/projects/{published.pk}/record/payment/",
                    {"amount_wan": "45", "kind": "prepay", "use": "equipment", "voucher": "CZ-2026-118", "paid_on": paid_on})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>金额（万元）</strong>" in _error(html) and "预拨累计" in _error(html)
    form = html[html.index('id="vf-payment"'):]
    assert 'name="amount_wan" required size="8" inputmode="decimal" value="45" aria-invalid="true"' in form
    assert 'value="CZ-2026-118"' in form and f'value="{paid_on}"' in form
    assert '<option value="prepay" selected>' in form and '<option value="equipment" selected>' in form
    assert not Payment.objects.exists()


def test_a_refused_objection_names_the_content_and_keeps_the_objector(client, fund, published):
    client.force_login(fund.cadre)
    r = client.post(f"/villagefund/projects/{published.pk}/record/objection/", {"content": "  ", "objector": "李某某"})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>异议内容</strong>" in _error(html)
    form = html[html.index('id="vf-objection"'):]
    assert 'name="content" required value="  " aria-invalid="true"' in form and 'name="objector" value="李某某"' in form
    assert not Objection.objects.exists()


def test_a_refused_progress_report_names_the_percent_and_keeps_the_rest(client, fund, make_project, advance):
    p = advance(make_project(), wf.IMPLEMENTING)
    client.force_login(fund.cadre)
    r = client.post(f"/villagefund/projects/{p.pk}/record/progress/", {"percent": "120", "spent_wan": "35.5", "note": "主体完工"})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>形象进度（%）</strong>" in _error(html)
    form = html[html.index('id="vf-progress"'):]
    assert 'value="120" aria-invalid="true"' in form and 'value="35.5"' in form and 'value="主体完工"' in form
    assert not Progress.objects.exists()


def test_a_refused_return_names_the_dividend_and_keeps_the_year(client, fund, make_project, advance):
    p = advance(make_project(), wf.OPERATING)
    client.force_login(fund.cadre)
    r = client.post(f"/villagefund/projects/{p.pk}/record/return/",
                    {"year": "2026", "income_wan": "6", "dividend_wan": "9", "jobs": "12", "satisfaction": "95"})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>分红（万元）</strong>" in _error(html)
    form = html[html.index('id="vf-return"'):]
    assert 'name="year" required size="5" inputmode="numeric" value="2026"' in form and 'value="9" aria-invalid="true"' in form
    assert 'name="jobs" size="4" inputmode="numeric" value="12"' in form
    assert not YearlyReturn.objects.exists()


def test_a_refused_acceptance_keeps_the_asset_and_names_its_value(client, fund, make_project, advance):
    p = advance(make_project(), wf.IMPLEMENTING)
    client.force_login(fund.officer)
    r = client.post(f"/villagefund/projects/{p.pk}/step/accept/", {"asset_name": "光伏电站", "asset_kind": "经营性资产",
                                                                   "asset_value": "一百", "note": "验收合格"})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>资产价值（万元）</strong>" in _error(html)
    form = html[html.index('id="vf-step-accept"'):]
    assert 'name="asset_value" inputmode="decimal" required value="一百" aria-invalid="true"' in form
    assert 'value="光伏电站"' in form and 'value="验收合格"' in form
    p.refresh_from_db()
    assert p.state == wf.IMPLEMENTING and not p.assets.exists()


def test_a_return_for_revision_without_reasons_is_named(client, fund, make_project, advance):
    p = advance(make_project(), wf.SUBMITTED)
    client.force_login(fund.officer)
    r = client.post(f"/villagefund/projects/{p.pk}/step/town_return/", {"note": ""})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>意见或说明</strong>" in _error(html)
    assert 'id="vf-step-town_return"' in html and 'value="" aria-invalid="true"' in html[html.index('id="vf-step-town_return"'):]
    p.refresh_from_db()
    assert p.state == wf.SUBMITTED and not p.reviews.exists()
