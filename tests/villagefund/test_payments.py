"""Disbursement rules: each refusal names its rule and stores nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from chengyun.core.errors import Conflict, Invalid
from chengyun.villagefund import rules, services
from chengyun.villagefund import workflow as wf
from chengyun.villagefund.models import Payment, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(fund, make_project, advance, today):
    p = advance(make_project(amount=100), wf.PUBLICITY)
    return Project.objects.get(pk=p.pk)


def pay(fund, p, **kw):
    values = {"amount_wan": 30, "kind": "prepay", "use": "construction", "voucher": "V-1", **kw}
    if "paid_on" not in values:
        values["paid_on"] = p.publicity_end + dt.timedelta(days=1)
    return services.record_payment(fund.officer, p, **values)


def refused(fund, p, rule, **kw):
    before = Payment.objects.count()
    with pytest.raises(Invalid) as err:
        pay(fund, p, **kw)
    assert err.value.code == rule and err.value.detail["rule"] == rule
    assert Payment.objects.count() == before
    return err.value


@pytest.mark.parametrize("use", sorted(rules.DEFAULT_FORBIDDEN_USES))
def test_each_forbidden_use_is_refused(fund, published, use):
    e = refused(fund, published, "forbidden_use", use=use)
    assert str(rules.DEFAULT_FORBIDDEN_USES[use]) in e.message


def test_a_forbidden_use_may_be_named_by_its_label(fund, published):
    refused(fund, published, "forbidden_use", use="村干部工资")


def test_the_forbidden_list_is_configurable(fund, published, settings):
    settings.VILLAGEFUND_FORBIDDEN_USES = {"debt": "偿还债务", "design": "勘察设计监理"}
    refused(fund, published, "forbidden_use", use="design")
    assert pay(fund, published, use="equipment").amount_wan == 30


def test_no_payment_within_publicity(fund, published):
    refused(fund, published, "before_publicity_end", paid_on=published.publicity_end)
    refused(fund, published, "before_publicity_end", paid_on=published.publicity_start)
    assert pay(fund, published, paid_on=published.publicity_end + dt.timedelta(days=1))


def test_an_open_objection_stops_the_money_until_resolved(fund, published):
    o = services.raise_objection(fund.cadre, published, content="选址占用承包地", objector="张某")
    refused(fund, published, "objection_open")
    services.resolve_objection(fund.officer, o, resolution="已协商一致")
    assert pay(fund, published)


def test_the_first_payment_after_publicity_starts_implementation(fund, published):
    pay(fund, published)
    published.refresh_from_db()
    assert published.state == wf.IMPLEMENTING
    assert published.events.filter(action="start").exists()


def test_prepayment_is_limited_to_its_share(fund, published):
    refused(fund, published, "over_prepay_share", amount_wan="30.01")
    pay(fund, published, amount_wan=20, voucher="V-1")
    refused(fund, published, "over_prepay_share", amount_wan="10.01", voucher="V-2")
    assert pay(fund, published, amount_wan=10, voucher="V-2")


def test_the_rest_follows_verified_progress(fund, published, today):
    p = published
    pay(fund, p, amount_wan=30)
    refused(fund, p, "over_progress", kind="progress", amount_wan=1, voucher="V-2")
    g = services.report_progress(fund.cadre, Project.objects.get(pk=p.pk), percent=60, spent_wan=50)
    refused(fund, p, "over_progress", kind="progress", amount_wan=10, voucher="V-2")  # not yet verified
    services.verify_progress(fund.officer, g)
    refused(fund, p, "over_progress", kind="progress", amount_wan="30.01", voucher="V-2")
    assert pay(fund, p, kind="progress", amount_wan=30, voucher="V-2")


def test_never_more_than_the_approved_amount(fund, published):
    p = published
    pay(fund, p, amount_wan=30)
    g = services.report_progress(fund.cadre, Project.objects.get(pk=p.pk), percent=100, spent_wan=100)
    services.verify_progress(fund.officer, g)
    e = refused(fund, p, "over_approved", kind="progress", amount_wan="70.01", voucher="V-2")
    assert "批准金额 100.00 万元" in e.message
    assert pay(fund, p, kind="progress", amount_wan=70, voucher="V-2")


def test_a_voucher_number_is_used_once(fund, published):
    pay(fund, published, amount_wan=10, voucher="V-1")
    refused(fund, published, "duplicate_voucher", amount_wan=10, voucher="V-1")


def test_no_money_before_publication_or_by_the_village(fund, make_project, advance):
    p = advance(make_project(), wf.APPROVED)
    with pytest.raises(Conflict):
        pay(fund, p, paid_on=dt.date(2026, 12, 1))
    from chengyun.core.errors import Forbidden

    p2 = advance(make_project(), wf.PUBLICITY)
    with pytest.raises(Forbidden):
        services.record_payment(fund.cadre, p2, amount_wan=1, kind="prepay", use="construction", voucher="X", paid_on=p2.publicity_end + dt.timedelta(days=1))


def test_the_api_refuses_with_the_rule_and_a_chinese_message(fund, published, api_client):
    api_client.as_user(fund.officer)
    r = api_client.post(f"villagefund/projects/{published.pk}/payments",
                        {"amount_wan": 10, "kind": "prepay", "use": "debt", "voucher": "V-9", "paid_on": str(published.publicity_end + dt.timedelta(days=1))})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "forbidden_use" and "偿还债务" in body["message"] and body["detail"]["field"] == "use"
    assert not Payment.objects.exists()
