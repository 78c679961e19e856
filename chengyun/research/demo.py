"""Two research plans of the demo district: 壮大村集体经济 — visited, reported, its measures turned
into supervised tasks (one already done, the others under way) — and 背街小巷长效管理, still in
the field. Dates are relative to the day the demo is generated; choices come from ctx.rng("research")."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chengyun.demo.context import DemoContext
from chengyun.geo.models import Community, Compound, Unit
from chengyun.people import roles as R
from chengyun.people.models import Person
from chengyun.supervision import services as supervision

from . import services
from .models import ResearchPlan

VILLAGE_FINDINGS = [
    ("村集体经济组织负责人、村“两委”成员", "集体收入以资源发包和房屋租赁为主，经营性收入占比不足三成，闲置厂房两处未盘活。"),
    ("村民代表、返乡创业青年", "村民入股意愿较强，但缺少懂经营的带头人，合作社账务不规范，分红机制不清晰。"),
    ("街道农业服务中心、驻村工作队", "扶持资金分散在多个部门，项目储备少，已建成的冷链库使用率不到一半。"),
    ("物业服务企业、商户代表", "城郊村区位好，可承接社区团购仓储和物业服务，缺少与街道、企业的对接平台。"),
]
MEASURES = [
    ("制定《河湟区发展壮大村级集体经济三年行动方案》，明确扶持资金整合使用和收益分配办法。", "policy", "D10", 45),
    ("盘活城郊村闲置厂房和集体经营性建设用地，建设物流仓储和社区服务综合体项目。", "project", "D02", 120),
    ("组建村集体经济职业经理人队伍，年内完成村级合作社账务规范化整改。", "task", "S04", 75),
]
ALLEY_FINDINGS = [
    ("社区网格员、沿街商户", "部分背街小巷保洁频次不足，早晚高峰垃圾桶满溢；商户门前“三包”责任落实不到位。"),
    ("居民代表、物业服务企业", "老旧小区周边巷道照明缺失、路面破损，居民反映夜间出行不便。"),
]


def _person(title: str) -> Person | None:
    return Person.objects.filter(title=title, active=True).order_by("id").first()


def generate(ctx: DemoContext) -> None:
    if ResearchPlan.objects.exists():
        ctx.log("调研工作：已存在，跳过")
        return
    rng = ctx.rng("research")
    leader = _person("区长") or Person.objects.filter(roles__code=R.DISTRICT_LEADER).order_by("id").first()
    ops = Person.objects.filter(roles__code=R.OPS_SHIFT_LEADER, user__isnull=False, active=True).select_related("user").order_by("id").first()
    if leader is None or ops is None:
        ctx.log("调研工作：缺少区领导或值班长，跳过")
        return
    user = ops.user
    units = {u.code: u for u in Unit.objects.all()}
    staff = list(Person.objects.filter(unit__code__in=["OPS", "D10", "S04"], active=True).exclude(pk=leader.pk).order_by("id")[:6])
    today = timezone.localdate()
    communities = list(Community.objects.order_by("code"))
    compounds = list(Compound.objects.order_by("code")[:20])

    start = today - dt.timedelta(days=70)
    with supervision.as_of(start):
        village = services.create_plan(
            user, topic="壮大村集体经济", leader=leader, lead_unit=units.get("D10") or units["OPS"], start_date=start,
            end_date=start + dt.timedelta(days=20), team=rng.sample(staff, min(3, len(staff))),
            places="\n".join(c.name for c in communities[-4:]),
            questions="村集体经济收入构成和增长情况\n闲置资源资产盘活情况\n扶持资金使用绩效\n村级经营人才队伍建设")
        services.transition(user, village, "start")
        for i, (met, found) in enumerate(VILLAGE_FINDINGS):
            c = communities[-(i + 1)] if communities else None
            services.add_visit(user, village, date=start + dt.timedelta(days=2 + 5 * i), place=f"{c.name}村集体经济合作社" if c else "城郊村",
                               people_met=met, findings=found, community=c)
    reported = start + dt.timedelta(days=25)
    with supervision.as_of(reported):
        services.transition(user, village, "report", on=reported, report_title="关于发展壮大村级集体经济的调研报告",
                            report_summary="全区城郊村集体经济总体保持增长，但收入结构单一、资源盘活不足、经营人才缺乏。\n"
                                           "调研组走访4个村（社区）合作社，召开座谈会4次，听取村“两委”、村民代表和企业意见。",
                            report_problems="经营性收入占比低，增收渠道窄。\n闲置资源资产盘活不充分。\n扶持资金分散，项目储备不足。\n经营管理人才缺乏，财务管理不规范。")
        measures = [services.add_measure(user, village, text=text, outcome=outcome, owner_unit=units.get(code) or units["OPS"],
                                         deadline=reported + dt.timedelta(days=days)) for text, outcome, code, days in MEASURES]
    # The policy measure has been issued; the project and the task are under way.
    issued = reported + dt.timedelta(days=40)
    with supervision.as_of(issued):
        for milestone in measures[0].action_task.milestones.all():
            supervision.complete_milestone(user, milestone, on=issued)
        supervision.transition(user, measures[0].action_task, "complete", on=issued)

    alley_start = today - dt.timedelta(days=6)
    with supervision.as_of(alley_start):
        alley = services.create_plan(
            user, topic="背街小巷环境长效管理", leader=_person("区委书记（区级总河长）") or leader, lead_unit=units.get("D01") or units["OPS"],
            start_date=alley_start, end_date=today + dt.timedelta(days=14), team=rng.sample(staff, min(2, len(staff))),
            places="\n".join(c.name for c in compounds[:3]), questions="保洁频次和作业标准\n“门前三包”责任落实\n巷道照明和路面设施")
        services.transition(user, alley, "start")
        for i, (met, found) in enumerate(ALLEY_FINDINGS):
            cp = compounds[i] if len(compounds) > i else None
            services.add_visit(user, alley, date=alley_start + dt.timedelta(days=1 + 2 * i), place=f"{cp.name}周边巷道" if cp else "背街小巷",
                               people_met=met, findings=found, compound=cp)
    ctx.log(f"调研工作：2 项调研计划（{village.code} 已形成报告、{len(measures)} 项对策建议转为督办；{alley.code} 调研中）")
