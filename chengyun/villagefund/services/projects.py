"""A project from application to operation: the village's application and decision record, and
every step of the one transition table (workflow.TRANSITIONS) with its guard.

Each function takes the acting user first (None = the platform itself: the demo, a job), checks
visibility (404), role and scope (403), state (409), then the input and the step's rule (422),
writes in one transaction and audits.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable, Mapping

from django.db import transaction
from django.db.models import Max

from chengyun.core import audit
from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.people import policy
from chengyun.people import roles as R

from .. import decision, rules
from .. import workflow as wf
from ..models import Asset, Batch, Event, Meeting, Project, Review, Village
from . import checks
from .access import is_reviewer, reviewer_unit

PROJECT_FIELDS = ("name", "model", "plan", "amount_wan", "self_funds_wan", "budget", "expected_return_wan", "period_start", "period_end",
                  "guaranteed_rate", "guaranteed_years", "partner")


def today() -> dt.date:
    """The fund's one clock (tests move it with monkeypatch): the district's local date."""
    from django.utils import timezone

    return timezone.localdate()


# -- the application --------------------------------------------------------------------------------

def _budget(lines: Any) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(lines or []):
        if not isinstance(line, Mapping):
            raise Invalid("预算明细每行应为 {item, amount_wan}", code="bad_budget", detail={"field": f"budget[{n}]"})
        item = checks.text(line.get("item"), f"budget[{n}].item", "预算科目", max_length=100)
        amount = checks.money(line.get("amount_wan"), f"budget[{n}].amount_wan", f"预算“{item}”金额", positive=True)
        out.append({"item": item, "amount_wan": str(amount)})
    return out


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(PROJECT_FIELDS)
    if unknown:
        raise Invalid(f"未知字段：{'、'.join(sorted(unknown))}", code="unknown_field", detail={"fields": sorted(unknown)})
    out: dict[str, Any] = {}
    if "name" in values:
        out["name"] = checks.text(values["name"], "name", "项目名称", max_length=200)
    if "model" in values:
        out["model"] = checks.choice(values["model"], rules.SUPPORT_MODELS, "model", "发展模式")
    if "plan" in values:
        out["plan"] = checks.text(values["plan"], "plan", "项目实施方案", max_length=5000, required=False)
    if "partner" in values:
        out["partner"] = checks.text(values["partner"], "partner", "合作经营主体", max_length=100, required=False)
    if "amount_wan" in values:
        out["amount_wan"] = checks.money(values["amount_wan"], "amount_wan", "扶持资金", positive=True)
    for name, label in (("self_funds_wan", "村集体自筹"), ("expected_return_wan", "预期年收益")):
        if name in values:
            out[name] = checks.money(values[name], name, label)
    if "budget" in values:
        out["budget"] = _budget(values["budget"])
    for name, label in (("period_start", "实施期起"), ("period_end", "实施期止")):
        if name in values:
            out[name] = checks.day(values[name], name, label, required=False)
    if "guaranteed_rate" in values:
        rate = values["guaranteed_rate"]
        out["guaranteed_rate"] = None if rate in (None, "") else checks.money(rate, "guaranteed_rate", "保底分红率")
        if out["guaranteed_rate"] is not None and out["guaranteed_rate"] > 100:
            raise Invalid("保底分红率不超过 100%", code="bad_rate", detail={"field": "guaranteed_rate"})
    if "guaranteed_years" in values:
        years = values["guaranteed_years"]
        out["guaranteed_years"] = None if years in (None, "") else checks.count(years, "guaranteed_years", "保底年限")
    return out


def _check_whole(p: Project) -> None:
    """What the whole application must satisfy, after the fields are set."""
    if p.period_start and p.period_end and p.period_end < p.period_start:
        raise Invalid("实施期止早于实施期起", code="bad_period", detail={"field": "period_end"})
    if p.budget:
        total = sum(Decimal(line["amount_wan"]) for line in p.budget)
        if total != p.amount_wan + p.self_funds_wan:
            raise Invalid(f"预算明细合计 {total} 万元，应等于扶持资金与自筹之和 {p.amount_wan + p.self_funds_wan} 万元",
                          code="budget_mismatch", detail={"field": "budget"})


def _next_code(year: int) -> str:
    prefix = f"CJ{year}-"
    last = Project.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:03d}"


def create_project(user: Any, *, village: Village, batch: Batch, name: str, model: str, amount_wan: Any, **values: Any) -> Project:
    """A village's application, in 草稿 until its decision record carries the submission."""
    if user is not None:
        policy.require_role(user, {R.VILLAGE_CADRE, R.SYSADMIN}, "只有村干部可以为本村申报扶持项目")
        policy.require_create(user, Project, community_id=village.community_id, message="只能为本村申报扶持项目")
    clean = _values({"name": name, "model": model, "amount_wan": amount_wan, **values})
    p = Project(code=_next_code(batch.year), batch=batch, village=village, created_by=checks.user_of(user), **clean)
    _check_whole(p)
    with transaction.atomic():
        p.save()
        audit.created(p)
    return p


def _require_village_edit(user: Any, p: Project) -> None:
    if user is None:
        return
    policy.require_write(user, p, "您无权修改该项目")
    policy.require_role(user, {R.VILLAGE_CADRE, R.SYSADMIN}, "只有本村村干部可以修改申报材料")
    if p.state != wf.DRAFT:
        raise Conflict(f"项目处于“{wf.STATES[p.state]}”状态，申报材料只能在草稿（含退回修改）时修改", code="not_draft")


def update_project(user: Any, p: Project, **values: Any) -> Project:
    _require_village_edit(user, p)
    clean = _values(values)
    if "batch" in values:
        raise Invalid("资金批次不能修改", code="unknown_field", detail={"fields": ["batch"]})
    before = audit.snapshot(p)
    for k, v in clean.items():
        setattr(p, k, v)
    _check_whole(p)
    with transaction.atomic():
        p.save()
        audit.updated(p, before)
    return p


def meetings_of(raw: Iterable[Mapping[str, Any]]) -> list[decision.Meeting]:
    out = []
    for n, m in enumerate(raw):
        if not isinstance(m, Mapping):
            raise Invalid("每次会议应为一条记录", code="bad_meeting", detail={"field": f"meetings[{n}]"})
        kind = checks.choice(m.get("kind"), decision.MEETINGS, f"meetings[{n}].kind", "会议类型")
        out.append(decision.Meeting(
            kind=kind, held_on=checks.day(m.get("held_on"), f"meetings[{n}].held_on", "召开日期"),
            entitled=checks.count(m.get("entitled"), f"meetings[{n}].entitled", "应到人数"),
            present=checks.count(m.get("present"), f"meetings[{n}].present", "实到人数"),
            agree=checks.count(m.get("agree"), f"meetings[{n}].agree", "同意票数"),
            oppose=checks.count(m.get("oppose", 0), f"meetings[{n}].oppose", "反对票数"),
            abstain=checks.count(m.get("abstain", 0), f"meetings[{n}].abstain", "弃权票数")))
    kinds = [m.kind for m in out]
    if len(set(kinds)) != len(kinds):
        raise Invalid("同一类会议只记录一次", code="duplicate_meeting", detail={"field": "meetings"})
    return out


def _refuse(problems: list[decision.Problem], prefix: str) -> None:
    first = problems[0]
    raise Invalid(prefix + "；".join(p.message for p in problems), code=first.code,
                  detail={"field": "meetings", "rule": first.code,
                          "problems": [{"meeting": p.meeting, "code": p.code, "message": p.message} for p in problems]})


def record_decision(user: Any, p: Project, meetings: Iterable[Mapping[str, Any]]) -> list[Meeting]:
    """Replace the decision record: 村“两委”会 → 党员大会 → 村民代表会议, each meeting its rule.
    A record that fails a rule is refused whole, naming the rule; nothing is stored."""
    _require_village_edit(user, p)
    parsed = meetings_of(meetings)
    problems = decision.check(parsed)
    if problems:
        _refuse(problems, "决策程序不符合规定：")
    with transaction.atomic():
        for old in p.meetings.all():
            audit.deleted(old)
        p.meetings.all().delete()
        rows = [Meeting.objects.create(project=p, kind=m.kind, held_on=m.held_on, entitled=m.entitled, present=m.present,
                                       agree=m.agree, oppose=m.oppose, abstain=m.abstain) for m in parsed]
        for row in rows:
            audit.created(row)
    return rows


def decision_problems(p: Project) -> list[decision.Problem]:
    return decision.check([decision.Meeting(m.kind, m.held_on, m.entitled, m.present, m.agree, m.oppose, m.abstain)
                           for m in p.meetings.all()])


# -- the transition table -----------------------------------------------------------------------------

def allowed_actions(user: Any, p: Project) -> list[wf.Transition]:
    """The steps this user may try on the project now (the page's buttons)."""
    prin = policy.principal(user)
    out = []
    for t in wf.allowed_from(p.state):
        if t.district_only:
            if is_reviewer(user):
                out.append(t)
        elif prin.has(t.roles) and policy.can_write(user, p):
            out.append(t)
    if p.stalled:
        out = [t for t in out if t.action != "stall"]
    else:
        out = [t for t in out if t.action != "resume"]
    return out


def _require_step(user: Any, p: Project, t: wf.Transition) -> None:
    if user is None:
        return
    prin = policy.principal(user)
    if not prin.is_authenticated:
        raise Forbidden("请先登录", code="unauthenticated", status=401)
    if t.district_only:
        if not is_reviewer(user):
            raise Forbidden(f"“{t.label}”由区级联审部门（{'、'.join(str(v) for v in rules.review_units().values())}）办理", code="not_reviewer")
        return
    policy.require_write(user, p, f"您无权对该项目执行“{t.label}”")
    if not prin.has(t.roles):
        raise Forbidden(f"您的角色不能执行“{t.label}”", code="role_not_allowed")


def _event(p: Project, user: Any, action: str, before: str, note: str, on: dt.date) -> Event:
    e = Event.objects.create(project=p, action=action, from_state=before, to_state=p.state, actor=checks.user_of(user), note=note[:500], on=on)
    audit.action(p, action, before={"state": before}, after={"state": p.state, "note": note})
    return e


def _reviewer_name(user: Any) -> str:
    person = getattr(user, "person", None) if user is not None else None
    return person.name if person is not None else (getattr(user, "first_name", "") or getattr(user, "username", "") if user else "")


def district_opinions(p: Project) -> dict[str, Review]:
    """The current round's district opinion per reviewing specialty."""
    out: dict[str, Review] = {}
    for r in p.reviews.filter(stage=Review.Stage.DISTRICT, current=True).select_related("unit").order_by("reviewed_on", "id"):
        if r.unit_id and r.unit.specialty:
            out[r.unit.specialty] = r
    return out


def transition(user: Any, p: Project, action: str, *, note: str = "", on: Any = None, agree: bool | None = None,
               assets: Iterable[Mapping[str, Any]] = (), unit: Any = None) -> Project:
    """Take one step of workflow.TRANSITIONS on the project. ``unit``: the reviewing department a
    joint-review opinion is recorded for when the platform itself (user None: an import of paper
    records, the demo) takes the step; a signed-in reviewer always speaks for their own unit."""
    t = wf.TRANSITIONS.get(action)
    if t is None:
        raise Invalid(f"未知的操作：{action}", code="unknown_action", detail={"field": "action", "allowed": list(wf.TRANSITIONS)})
    if user is not None and not is_reviewer(user):
        policy.get_visible(user, Project.objects.all(), pk=p.pk)
    _require_step(user, p, t)
    if p.state not in t.sources:
        raise Conflict(f"项目处于“{wf.STATES[p.state]}”状态，不能“{t.label}”", code="state_conflict",
                       detail={"state": p.state, "action": action, "allowed": [x.action for x in wf.allowed_from(p.state)]})
    return apply_step(user, p, t, note=note, on=on, agree=agree, assets=assets, unit=unit)


def apply_step(user: Any, p: Project, t: wf.Transition, *, note: str = "", on: Any = None, agree: bool | None = None,
               assets: Iterable[Mapping[str, Any]] = (), unit: Any = None) -> Project:
    """The step itself, once the caller has checked who may take it: ``transition`` for a step
    asked for, services.money for the 转入实施 the first payment after publicity implies (the
    payer's right to pay is checked there)."""
    action = t.action
    note = checks.text(note, "note", "意见或说明", max_length=500, required=t.note_required)
    when = checks.day(on, "on", "日期", required=False) or today()
    with transaction.atomic():
        before = p.state
        _GUARDS.get(action, _nothing)(user, p, t, note, when, agree, list(assets), unit)
        if t.target is not None:
            p.state = t.target
        p.save()
        _event(p, user, action, before, note, when)
    return p


def _nothing(*args: Any) -> None:  # a step with no rule beyond the table's
    return None


def _submit(user, p, t, note, when, agree, assets, unit=None) -> None:
    problems = decision_problems(p)
    if problems:
        _refuse(problems, "决策记录不能支撑申报：")
    _check_whole(p)


def _town_approve(user, p, t, note, when, agree, assets, unit=None) -> None:
    if user is not None:
        unit = getattr(getattr(user, "person", None), "unit", None)
    Review.objects.create(project=p, stage=Review.Stage.TOWN, unit=unit, agree=True, opinion=note or "初审同意",
                          reviewer=checks.user_of(user), reviewer_name=_reviewer_name(user), reviewed_on=when)


def _send_back(stage: str):
    def guard(user, p, t, note, when, agree, assets, unit=None) -> None:
        unit = reviewer_unit(user) if stage == Review.Stage.DISTRICT else getattr(getattr(user, "person", None), "unit", None)
        p.reviews.filter(current=True).update(current=False)
        Review.objects.create(project=p, stage=stage, unit=unit, agree=False, opinion=note, reviewer=checks.user_of(user),
                              reviewer_name=_reviewer_name(user), reviewed_on=when, current=False)
    return guard


def _joint_opinion(user, p, t, note, when, agree, assets, unit=None) -> None:
    if agree is None:
        raise Invalid("请选择是否同意", code="missing_agree", detail={"field": "agree"})
    if user is not None:
        unit = reviewer_unit(user)
    if unit is None or unit.specialty not in rules.review_units():
        raise Invalid("联审意见须由区级联审部门出具", code="not_reviewer", detail={"field": "unit"})
    p.reviews.filter(stage=Review.Stage.DISTRICT, current=True, unit=unit).update(current=False)
    Review.objects.create(project=p, stage=Review.Stage.DISTRICT, unit=unit, agree=bool(agree), opinion=note,
                          reviewer=checks.user_of(user), reviewer_name=_reviewer_name(user), reviewed_on=when)


def _approve(user, p, t, note, when, agree, assets, unit=None) -> None:
    opinions = district_opinions(p)
    units = rules.review_units()
    missing = [str(label) for spec, label in units.items() if spec not in opinions]
    if missing:
        raise Invalid(f"联审意见未齐：{'、'.join(missing)}尚未出具意见", code="joint_review_incomplete", detail={"missing": missing})
    against = [str(units[spec]) for spec, r in opinions.items() if spec in units and not r.agree]
    if against:
        raise Invalid(f"{'、'.join(against)}不同意，不能批准；请退回修改", code="joint_review_disagrees", detail={"against": against})
    p.approved_on = when


def _publish(user, p, t, note, when, agree, assets, unit=None) -> None:
    p.publicity_start = when
    p.publicity_end = rules.publicity_end(when)


def _start(user, p, t, note, when, agree, assets, unit=None) -> None:
    if p.publicity_end is None or when <= p.publicity_end:
        raise Invalid(f"公示期至 {p.publicity_end} 结束，期满后方可转入实施", code="publicity_not_over", detail={"publicity_end": p.publicity_end})
    open_objections = p.objections.filter(resolved=False).count()
    if open_objections:
        raise Invalid(f"尚有 {open_objections} 条公示异议未处理，处理后方可实施和拨付资金", code="objection_open", detail={"open": open_objections})


def _accept(user, p, t, note, when, agree, assets, unit=None) -> None:
    if not assets:
        raise Invalid("验收须登记项目形成的资产", code="missing_assets", detail={"field": "assets"})
    for n, a in enumerate(assets):
        name = checks.text(a.get("name"), f"assets[{n}].name", "资产名称", max_length=100)
        kind = checks.text(a.get("kind") or "经营性资产", f"assets[{n}].kind", "资产类别", max_length=30)
        value = checks.money(a.get("value_wan"), f"assets[{n}].value_wan", "资产价值", positive=True)
        asset = Asset.objects.create(project=p, name=name, kind=kind, value_wan=value, owner=p.village.organisation, recorded_on=when)
        audit.created(asset)
    p.accepted_on = when


def _stall(user, p, t, note, when, agree, assets, unit=None) -> None:
    if p.stalled:
        raise Conflict("项目已标记为停滞", code="state_conflict")
    p.stalled, p.stalled_reason = True, note


def _resume(user, p, t, note, when, agree, assets, unit=None) -> None:
    if not p.stalled:
        raise Conflict("项目未标记停滞", code="state_conflict")
    p.stalled, p.stalled_reason = False, ""


_GUARDS = {
    "submit": _submit, "town_approve": _town_approve, "town_return": _send_back(Review.Stage.TOWN),
    "district_return": _send_back(Review.Stage.DISTRICT), "joint_opinion": _joint_opinion, "approve": _approve,
    "publish": _publish, "start": _start, "accept": _accept, "stall": _stall, "resume": _resume,
}
