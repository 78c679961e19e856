"""Money and what it buys: publicity objections, progress and its verification, payments under
the disbursement rules, yearly returns. The acceptance and its assets are a step of the
transition table (projects._accept).

Disbursement rules (rules.py, configurable), each refusal a 422 naming the rule, nothing stored:
- no payment for a forbidden use (偿还债务, 发放个人补贴/津贴, 村干部工资, 楼堂馆所, 购置交通通讯工具, 村级运转);
- none on or before the last day of publicity, none while an objection is open;
- a 预拨 only up to the pre-payment share (default 30 %) of the approved amount;
- beyond that, money follows verified progress: the total paid stays within approved × progress;
- never more than the approved amount in total; every payment with its own voucher number.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.people import roles as R

from .. import rules
from .. import workflow as wf
from ..models import Objection, Payment, Progress, Project, YearlyReturn
from . import checks
from . import projects

TOWN_OR_ADMIN = frozenset({R.STREET_OFFICER, R.SYSADMIN})
VILLAGE_OR_ADMIN = frozenset({R.VILLAGE_CADRE, R.SYSADMIN})
LOCAL = frozenset({R.VILLAGE_CADRE, R.STREET_OFFICER, R.SYSADMIN})


def _require(user: Any, obj: Any, roles: frozenset[str], message: str) -> None:
    if user is None:
        return
    policy.require_write(user, obj, message)
    policy.require_role(user, roles, message)


def paid_total(p: Project) -> Decimal:
    return p.payments.aggregate(s=Sum("amount_wan"))["s"] or Decimal("0")


def verified_percent(p: Project) -> int:
    latest = p.progress.filter(verified=True).order_by("-reported_on", "-id").first()
    return latest.percent if latest else 0


# -- publicity objections ------------------------------------------------------------------------------

def raise_objection(user: Any, p: Project, *, content: str, objector: str = "", raised_on: Any = None) -> Objection:
    """Record an objection a villager raised during publicity (the village or the street records it)."""
    _require(user, p, LOCAL, "您无权为该项目登记公示异议")
    if p.state != wf.PUBLICITY:
        raise Conflict(f"项目处于“{wf.STATES[p.state]}”状态，只能在公示期内登记异议", code="state_conflict")
    values = {"content": checks.text(content, "content", "异议内容", max_length=500),
              "objector": checks.text(objector, "objector", "异议人", max_length=60, required=False),
              "raised_on": checks.day(raised_on, "raised_on", "提出日期", required=False) or projects.today()}
    with transaction.atomic():
        o = Objection.objects.create(project=p, **values)
        audit.created(o)
    return o


def resolve_objection(user: Any, o: Objection, *, resolution: str, resolved_on: Any = None) -> Objection:
    _require(user, o, TOWN_OR_ADMIN, "只有街道（镇）工作人员可以处理公示异议")
    if o.resolved:
        raise Conflict("该异议已处理", code="already_resolved")
    values = {"resolution": checks.text(resolution, "resolution", "处理结果", max_length=500), "resolved": True,
              "resolved_on": checks.day(resolved_on, "resolved_on", "处理日期", required=False) or projects.today()}
    with transaction.atomic():
        audit.save_changes(o, values, verb="resolve_objection")
    return o


# -- progress ---------------------------------------------------------------------------------------------

def report_progress(user: Any, p: Project, *, percent: Any, spent_wan: Any = 0, reported_on: Any = None, note: str = "") -> Progress:
    _require(user, p, VILLAGE_OR_ADMIN, "只有本村村干部可以填报项目进度")
    if p.state != wf.IMPLEMENTING:
        raise Conflict(f"项目处于“{wf.STATES[p.state]}”状态，实施期间方可填报进度", code="state_conflict")
    pct = checks.count(percent, "percent", "形象进度")
    if pct > 100:
        raise Invalid("形象进度不超过 100%", code="bad_percent", detail={"field": "percent"})
    last = p.progress.order_by("-reported_on", "-id").first()
    if last is not None and pct < last.percent:
        raise Invalid(f"形象进度不能低于上次填报的 {last.percent}%", code="progress_backwards", detail={"field": "percent"})
    row = Progress(project=p, percent=pct, spent_wan=checks.money(spent_wan, "spent_wan", "累计支出"),
                   reported_on=checks.day(reported_on, "reported_on", "报告日期", required=False) or projects.today(),
                   note=checks.text(note, "note", "进展情况", max_length=300, required=False))
    with transaction.atomic():
        row.save()
        audit.created(row)
    return row


def verify_progress(user: Any, row: Progress, *, verified_on: Any = None) -> Progress:
    """The street checks the reported progress on site; verified progress releases money."""
    _require(user, row, TOWN_OR_ADMIN, "只有街道（镇）工作人员可以核实项目进度")
    if row.verified:
        raise Conflict("该进度已核实", code="already_verified")
    with transaction.atomic():
        audit.save_changes(row, {"verified": True, "verified_by": checks.user_of(user),
                                 "verified_on": checks.day(verified_on, "verified_on", "核实日期", required=False) or projects.today()},
                           verb="verify_progress")
    return row


# -- payments -----------------------------------------------------------------------------------------------

def _refuse(code: str, message: str, **detail: Any) -> None:
    raise Invalid(message, code=code, detail={"rule": code, **detail})


def check_payment(p: Project, *, amount: Decimal, kind: str, use: str, paid_on: dt.date) -> None:
    """Every disbursement rule, in the order a reviewer would ask; raises on the first broken one."""
    forbidden = rules.forbidden_uses()
    if use in forbidden:
        _refuse("forbidden_use", f"扶持资金不得用于“{forbidden[use]}”，拨付被拒绝", field="use", use=use)
    if p.publicity_end is None or paid_on <= p.publicity_end:
        _refuse("before_publicity_end", f"公示期至 {p.publicity_end} 结束，公示期满前不得拨付资金", field="paid_on",
                publicity_end=str(p.publicity_end) if p.publicity_end else None)
    open_objections = p.objections.filter(resolved=False).count()
    if open_objections:
        _refuse("objection_open", f"尚有 {open_objections} 条公示异议未处理，处理前不得拨付资金", field="paid_on")
    paid = paid_total(p)
    if paid + amount > p.amount_wan:
        _refuse("over_approved", f"累计拨付 {paid + amount} 万元将超过批准金额 {p.amount_wan} 万元", field="amount_wan",
                approved=str(p.amount_wan), paid=str(paid))
    if kind == Payment.Kind.PREPAY:
        cap = (p.amount_wan * rules.prepay_share()).quantize(Decimal("0.01"))
        prepaid = p.payments.filter(kind=Payment.Kind.PREPAY).aggregate(s=Sum("amount_wan"))["s"] or Decimal("0")
        if prepaid + amount > cap:
            _refuse("over_prepay_share", f"预拨累计 {prepaid + amount} 万元超过批准金额的 {rules.prepay_share() * 100:.0f}%（{cap} 万元）",
                    field="amount_wan", cap=str(cap))
    else:
        pct = verified_percent(p)
        cap = (p.amount_wan * Decimal(pct) / 100).quantize(Decimal("0.01"))
        if paid + amount > cap:
            _refuse("over_progress", f"按进度拨付：已核实进度 {pct}%，累计拨付不超过 {cap} 万元（已拨 {paid} 万元）",
                    field="amount_wan", verified_percent=pct, cap=str(cap))


def record_payment(user: Any, p: Project, *, amount_wan: Any, kind: str, use: str, voucher: str, paid_on: Any = None, note: str = "") -> Payment:
    """A disbursement to the village collective's account, recorded by the street (镇财政所)."""
    _require(user, p, TOWN_OR_ADMIN, "只有街道（镇）工作人员可以登记资金拨付")
    if p.state not in wf.PAYABLE_STATES:
        raise Conflict(f"项目处于“{wf.STATES[p.state]}”状态，不能拨付资金", code="state_conflict",
                       detail={"state": p.state, "payable": sorted(wf.PAYABLE_STATES)})
    amount = checks.money(amount_wan, "amount_wan", "拨付金额", positive=True)
    kind = checks.choice(kind, dict(Payment.Kind.choices), "kind", "拨付方式")
    use = checks.choice(use, rules.all_uses(), "use", "资金用途")
    voucher = checks.text(voucher, "voucher", "凭证号", max_length=40)
    when = checks.day(paid_on, "paid_on", "拨付日期", required=False) or projects.today()
    check_payment(p, amount=amount, kind=kind, use=use, paid_on=when)
    if Payment.objects.filter(voucher=voucher).exists():
        _refuse("duplicate_voucher", f"凭证号 {voucher} 已登记过", field="voucher")
    with transaction.atomic():
        if p.state == wf.PUBLICITY:
            # The first payment after publicity moves the project into 实施 through the table.
            projects.apply_step(user, p, wf.TRANSITIONS["start"], on=when, note="公示期满，首笔资金拨付")
        pay = Payment.objects.create(project=p, amount_wan=amount, kind=kind, use=use, voucher=voucher, paid_on=when,
                                     note=checks.text(note, "note", "说明", max_length=300, required=False), recorded_by=checks.user_of(user))
        audit.created(pay)
    return pay


# -- returns -------------------------------------------------------------------------------------------------

def report_return(user: Any, p: Project, *, year: Any, income_wan: Any, dividend_wan: Any = 0, jobs: Any = 0,
                  satisfaction: Any = None, note: str = "", reported_on: Any = None) -> YearlyReturn:
    """The village reports a year's income from the project (replacing that year's report)."""
    _require(user, p, VILLAGE_OR_ADMIN, "只有本村村干部可以填报项目收益")
    if p.state not in wf.COMPLETED_STATES:
        raise Conflict(f"项目处于“{wf.STATES[p.state]}”状态，验收后方可填报收益", code="state_conflict")
    values: dict[str, Any] = {
        "income_wan": checks.money(income_wan, "income_wan", "经营性收入"),
        "dividend_wan": checks.money(dividend_wan, "dividend_wan", "分红"),
        "jobs": checks.count(jobs, "jobs", "带动就业人数"),
        "note": checks.text(note, "note", "说明", max_length=300, required=False),
        "reported_on": checks.day(reported_on, "reported_on", "填报日期", required=False) or projects.today(),
    }
    y = checks.year(year)
    if satisfaction not in (None, ""):
        sat = checks.money(satisfaction, "satisfaction", "群众满意度")
        if sat > 100:
            raise Invalid("群众满意度不超过 100%", code="bad_percent", detail={"field": "satisfaction"})
        values["satisfaction"] = sat
    if values["dividend_wan"] > values["income_wan"]:
        raise Invalid("分红不能超过经营性收入", code="dividend_over_income", detail={"field": "dividend_wan"})
    with transaction.atomic():
        existing = YearlyReturn.objects.filter(project=p, year=y).first()
        if existing is not None:
            audit.save_changes(existing, values)
            return existing
        row = YearlyReturn.objects.create(project=p, year=y, **values)
        audit.created(row)
    return row
