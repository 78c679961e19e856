"""The demo district's supervision: the three rectification drives of the district's plan, about
thirty other key tasks across units, stalled projects, and three months of daily entries and
weekly consultations played forward day by day, so that statuses, history, agendas and
decisions are what the platform itself would have produced.

Dates are relative to the day the demo is generated; everything else comes from
ctx.rng("supervision"), so two runs on the same day give the same data.
"""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from chengyun.core import audit
from chengyun.core.calendar import get_calendar
from chengyun.demo.context import DemoContext
from chengyun.geo.models import Street, Unit
from chengyun.people import roles as R
from chengyun.people.models import Person

from . import services
from .models import DailyEntry, KeyTask, Milestone, StalledProject

WEEKS = 13

MAIN_TASKS = [
    # title, category, lead, cooperating, leader title, months before the demo period, months to go, performance, milestones (name, share of span, weight)
    ("道路塌陷隐患整改", "road_collapse", "D01", ["D02", "D05", "U01", "U02", "U03"], "副区长（分管城建）", 1.3, 3.5, 0.86, [
        ("制定整治方案、明确责任清单", 0.08, 5), ("主次干道地下病害雷达探测", 0.35, 30), ("一级隐患（空洞、脱空）整治", 0.6, 30),
        ("二级隐患整治及管线修复", 0.88, 25), ("第三方复测、验收销号", 1.0, 10)]),
    ("污水管网溢流整改", "sewage_overflow", "D03", ["U02", "D04", "S01", "S02", "S03", "S04", "S05", "S06"], "常务副区长", 1.0, 4.0, 1.02, [
        ("溢流点排查建档", 0.12, 15), ("雨污混接点改造", 0.55, 35), ("主干管网清淤疏通", 0.7, 20),
        ("泵站截流能力提标", 0.92, 20), ("汛后效果评估", 1.0, 10)]),
    ("半拉子工程清零行动", "stalled", "D02", ["D10", "D07", "S02", "S04"], "区长", 1.5, 5.0, 0.72, [
        ("摸底排查、建立台账", 0.08, 10), ("一项目一策处置方案", 0.22, 20), ("纾困资金落实", 0.5, 30),
        ("停工项目全部复工", 0.8, 30), ("保交楼交付", 1.0, 10)]),
]

OTHER_TASKS = [
    ("背街小巷环境综合整治", "city_appearance", "D01", "leader"), ("主干道占道经营专项治理", "city_appearance", "D01", "superior"),
    ("老旧小区雨污分流改造", "sewage_overflow", "D02", "rectification"), ("城区易涝点整治", "sewage_overflow", "D03", "superior"),
    ("湟水河沿岸排污口整治", "river", "D04", "rectification"), ("南川河黑臭水体巩固提升", "river", "D03", "checkup"),
    ("公交站台适老化改造", "livelihood", "D05", "leader"), ("口袋公园建设", "livelihood", "D06", "leader"),
    ("农贸市场提升改造", "livelihood", "D07", "superior"), ("燃气管道老化更新改造", "road_collapse", "U03", "rectification"),
    ("高层建筑消防安全隐患排查", "checkup", "D08", "superior"), ("学校周边交通秩序整治", "city_appearance", "D09", "leader"),
    ("违法建设专项清理", "city_appearance", "D10", "superior"), ("供水管网漏损治理", "checkup", "U01", "checkup"),
    ("检查井盖隐患排查更换", "road_collapse", "U02", "rectification"), ("集中供热管网改造", "livelihood", "U04", "leader"),
    ("架空线缆入地整治", "city_appearance", "U06", "checkup"), ("城市体检“停车难”问题整改", "checkup", "D05", "checkup"),
    ("垃圾分类示范小区创建", "city_appearance", "C01", "leader"), ("行道树补植及树穴整治", "city_appearance", "D06", "checkup"),
    ("湟水街道老旧小区加装电梯", "livelihood", "S01", "leader"), ("文汇街道背街小巷路灯补亮", "livelihood", "S02", "leader"),
    ("海湖街道积水点改造", "sewage_overflow", "S03", "rectification"), ("古城街道历史街区风貌整治", "city_appearance", "S04", "superior"),
    ("彩虹街道社区嵌入式服务设施建设", "livelihood", "S05", "leader"), ("通海街道河道“四乱”清理", "river", "S06", "rectification"),
]

PHASES = [("前期准备", 0.2), ("组织实施", 0.75), ("检查验收", 1.0)]

WORK = {
    "road_collapse": ["完成{n}公里道路雷达探测，发现疑似病害{k}处", "对{k}处空洞开挖回填，恢复路面{n}百平方米", "组织管线单位联合排查{n}处检查井周边路面",
                      "复测已整治点位{k}处，均达标", "对{k}处脱空点注浆加固"],
    "sewage_overflow": ["完成{k}处溢流点现场核查并建档", "改造雨污混接点{k}处", "清淤疏通主干管{n}公里", "泵站截流设备安装调试完成{k}台",
                        "晴天溢流监测{k}次，未见溢流"],
    "stalled": ["召开项目专班会议，推进{k}个项目复工", "协调银行落实专项借款{n}百万元", "督促施工单位进场{n}十人", "完成{k}个项目资金监管账户核查",
                "组织购房户代表座谈{k}次"],
    "default": ["推进现场施工，完成计划量的{n}0%", "完成{k}处点位整治", "组织联合检查{k}次", "督促施工单位增加作业人员{n}十人", "完成阶段验收{k}项"],
}
PROBLEMS = ["部分点位涉及地下管线权属不清，需协调管线单位", "施工占道需交警部门审批", "资金拨付滞后", "连续降雨影响施工",
            "个别住户不配合，需街道做工作", "设计方案需调整，等待审批"]
COORDINATION = ["请交警大队协助办理占道施工许可", "请财政局加快第二批资金拨付", "请住建局提供管线竣工资料", "请街道协调住户配合入户施工",
                "请供电公司配合迁改线杆", "请自然资源局加快规划调整审批"]


def _ops_user():
    person = (Person.objects.filter(roles__code=R.OPS_SHIFT_LEADER, user__isnull=False, active=True).select_related("user").order_by("id").first())
    if person is None:
        raise RuntimeError("督查督办演示数据需要先生成人员（值班长账号）")
    return person.user


def _leaders() -> dict[str, Person]:
    return {p.title: p for p in Person.objects.filter(roles__code=R.DISTRICT_LEADER).order_by("id")}


def _workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    cal = get_calendar()
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1) if cal.is_workday(start + dt.timedelta(days=i))]


def _spread(start: dt.date, deadline: dt.date, share: float) -> dt.date:
    return start + dt.timedelta(days=round((deadline - start).days * share))


class Plan:
    """How one task's lead unit actually performs: a steady fraction of the plan, with noise."""

    def __init__(self, task: KeyTask, performance: float, rng: random.Random):
        self.task, self.performance, self.rng = task, performance, rng
        self.milestones = list(task.milestones.order_by("planned_date", "order"))
        self.progress = {m.pk: 0 for m in self.milestones}
        self.done_on: dict[int, dt.date] = {}

    @property
    def finished_on(self) -> dt.date | None:
        if self.milestones and len(self.done_on) == len(self.milestones):
            return max(self.done_on.values())
        return None

    def advance(self, day: dt.date) -> dict[str, int]:
        previous = self.task.start_date
        for m in self.milestones:
            begin = min(previous, m.planned_date)
            previous = max(previous, m.planned_date)
            if m.pk in self.done_on:
                continue
            span = max((m.planned_date - begin).days, 1)
            # Elapsed share of the milestone's span, not capped at 1: a unit at 80% of plan
            # finishes a quarter of the span late rather than never.
            elapsed = max(0.0, (day - begin).days / span)
            target = min(100, int(100 * elapsed * self.performance + self.rng.uniform(-3, 4))) if elapsed > 0 else 0
            if elapsed >= 1.0 and self.performance >= 0.95:
                target = 100
            self.progress[m.pk] = max(self.progress[m.pk], target, 0)
            if self.progress[m.pk] >= 100:
                self.progress[m.pk] = 100
                self.done_on[m.pk] = day
        return {str(k): v for k, v in self.progress.items() if k not in self.done_on or self.done_on[k] == day}


def _entry_rows(plan: Plan, days: list[dt.date], rng: random.Random, *, skip: float = 0.05, late: float = 0.06) -> list[DailyEntry]:
    t = plan.task
    phrases = WORK.get(t.category.code, WORK["default"])
    rows = []
    for day in days:
        progress = plan.advance(day)
        if rng.random() < skip:
            continue
        is_late = rng.random() < late
        at = dt.datetime.combine(day, dt.time(18, rng.randint(0, 50)) if is_late else dt.time(rng.randint(9, 17), rng.randint(0, 59)))
        if not is_late and at.time() > dt.time(17, 30):
            at = at.replace(minute=rng.randint(0, 29))
        lagging = plan.performance < 0.9
        rows.append(DailyEntry(
            task=t, date=day, unit_id=t.lead_unit_id, milestone_progress=progress, late=is_late,
            submitted_at=timezone.make_aware(at),
            work_done=rng.choice(phrases).format(n=rng.randint(2, 9), k=rng.randint(1, 12)) + "。",
            problems=rng.choice(PROBLEMS) if rng.random() < (0.35 if lagging else 0.08) else "",
            coordination=rng.choice(COORDINATION) if rng.random() < (0.12 if lagging else 0.03) else "",
        ))
    return rows


def _store(plan: Plan, rows: list[DailyEntry]) -> None:
    DailyEntry.objects.bulk_create(rows, batch_size=500)
    for m in plan.milestones:
        m.progress = plan.progress[m.pk]
        m.done_on = plan.done_on.get(m.pk)
    Milestone.objects.bulk_update(plan.milestones, ["progress", "done_on"])


def generate(ctx: DemoContext) -> None:
    if KeyTask.objects.exists():
        ctx.log("督查督办：已存在，跳过")
        return
    rng = ctx.rng("supervision")
    user = _ops_user()
    leaders = _leaders()
    leader_list = list(leaders.values())
    units = {u.code: u for u in Unit.objects.all()}
    today = timezone.localdate()
    period_start = today - dt.timedelta(weeks=WEEKS)
    yesterday = today - dt.timedelta(days=1)
    plans: list[Plan] = []

    with services.as_of(period_start):
        for title, cat, lead, coop, leader_title, before, ahead, performance, milestones in MAIN_TASKS:
            start = period_start - dt.timedelta(days=round(30 * before))
            deadline = today + dt.timedelta(days=round(30 * ahead))
            task = services.create_task(
                user, title=title, source="rectification", category=cat, lead_unit=units[lead], start_date=start, deadline=deadline,
                cooperating_units=[units[c] for c in coop if c in units], responsible_leader=leaders.get(leader_title),
                description=f"按照区委、区政府{title}工作方案，实行日调度、周会商、月总结，确保按期完成。",
                milestones=[(name, _spread(start, deadline, share), w) for name, share, w in milestones])
            plans.append(Plan(task, performance, rng))

        # Bound to the roads module's survey coverage when it is installed (its data arrives with
        # its own demo; the scheduler re-reads the measure every few minutes).
        from . import metrics

        if metrics.get("roads.hazard_survey_coverage") is not None:
            start = period_start - dt.timedelta(days=20)
            deadline = today + dt.timedelta(days=35)
            task = services.create_task(
                user, title="全区道路塌陷隐患排查全覆盖", source="superior", category="road_collapse", lead_unit=units["D01"],
                start_date=start, deadline=deadline, responsible_leader=leaders.get("副区长（分管城建）"),
                metric_key="roads.hazard_survey_coverage",
                description="主次干道、背街小巷隐患排查全覆盖，进度按道路模块排查记录自动统计（已排查路段/全部路段）。",
                milestones=[("排查全覆盖", deadline, 1)])
            plans.append(Plan(task, 1.0, rng))

        projects = _stalled_projects(user, units, period_start, rng)
        for project, deadline, performance in projects:
            start = period_start - dt.timedelta(days=rng.randint(10, 40))
            task = services.supervise_project(user, project, deadline=deadline, start_date=start, responsible_leader=leaders.get("区长"),
                                              milestones=[("资金方案落实", _spread(start, deadline, 0.3), 30),
                                                          ("复工", _spread(start, deadline, 0.55), 30),
                                                          ("主体完工", _spread(start, deadline, 0.85), 25),
                                                          ("交付", deadline, 15)])
            plans.append(Plan(task, performance, rng))

        for title, cat, lead, source in OTHER_TASKS:
            if lead not in units:
                continue
            start = period_start + dt.timedelta(days=rng.randint(-45, 40))
            length = rng.randint(50, 200)
            deadline = start + dt.timedelta(days=length)
            if deadline < today - dt.timedelta(days=20):
                deadline = today + dt.timedelta(days=rng.randint(10, 60))
            phases = [(name, _spread(start, deadline, share), w) for (name, share), w in zip(PHASES, (20, 60, 20))]
            roll = rng.random()
            performance = 1.05 if roll < 0.55 else (0.93 if roll < 0.8 else rng.uniform(0.55, 0.8))
            task = services.create_task(
                user, title=title, source=source, category=cat, lead_unit=units[lead], start_date=start, deadline=deadline,
                responsible_leader=rng.choice(leader_list) if leader_list else None, milestones=phases,
                description=f"{title}，由{units[lead].name}牵头，按节点推进并每日报送进展。")
            plans.append(Plan(task, performance, rng))

    # Daily entries for the whole period (status evaluation reads only those up to its date).
    # A task whose milestones are all done is closed (销号) by the ops center on that day.
    total = 0
    pending: list[tuple[dt.date, KeyTask]] = []
    for plan in plans:
        days = _workdays(max(plan.task.start_date, period_start), yesterday)
        rows = _entry_rows(plan, days, rng)
        if plan.finished_on:
            rows = [r for r in rows if r.date <= plan.finished_on]
            pending.append((plan.finished_on, plan.task))
        _store(plan, rows)
        total += len(rows)

    # Weekly consultations, played forward: statuses as of each Friday, then the agenda from them.
    fridays = [d for d in (period_start + dt.timedelta(days=i) for i in range((today - period_start).days))
               if d.weekday() == 4 and get_calendar().is_workday(d)]
    meetings = decisions = 0
    for friday in fridays:
        with services.as_of(friday):
            for when, action in sorted([p for p in pending if p[0] <= friday], key=lambda p: p[0]):
                _complete(user, action, when)
            pending = [p for p in pending if p[0] > friday]
            chair = rng.choice(leader_list)
            meeting = services.create_meeting(user, date=friday, chair=chair.name, location="区城运中心三楼会商室")
            items = list(meeting.items.select_related("task", "task__lead_unit"))
            attendees = sorted({i.task.lead_unit.short_name or i.task.lead_unit.name for i in items if i.task})
            services.record_meeting(user, meeting, chair=f"{chair.name}（{chair.title}）", attendees="城运中心、" + "、".join(attendees[:12]),
                                    summary=f"会议听取了{len(items)}项红黄任务和协调事项汇报，逐项研究了推进措施。",
                                    discussions={i.pk: _discussion(i, rng) for i in items})
            meetings += 1
            for item in [i for i in items if i.task and i.status == "red"][:2] + [i for i in items if i.task and i.status != "red"][:1]:
                owner = item.task.lead_unit
                coop = list(item.task.cooperating_units.all())
                if coop and rng.random() < 0.5:
                    owner = rng.choice(coop)
                deadline = friday + dt.timedelta(days=rng.choice([7, 10, 14]))
                text = rng.choice(["{u}于{d}前制定赶工计划，增加作业面", "{u}于{d}前完成问题点位整改并报送佐证材料",
                                   "{u}于{d}前协调解决施工受阻问题", "{u}于{d}前落实资金并提交拨付申请"]).format(
                    u=owner.short_name or owner.name, d=f"{deadline.month}月{deadline.day}日")
                decision = services.add_decision(user, meeting, text=text, owner_unit=owner, deadline=deadline, item=item)
                decisions += 1
                action = decision.action_task
                plan = Plan(action, rng.uniform(1.05, 1.4) if rng.random() < 0.8 else rng.uniform(0.55, 0.8), rng)
                rows = _entry_rows(plan, _workdays(friday + dt.timedelta(days=1), yesterday), rng, late=0.04)
                if plan.finished_on:
                    rows = [r for r in rows if r.date <= plan.finished_on]
                    pending.append((plan.finished_on, action))
                _store(plan, rows)
                total += len(rows)
    with services.as_of(today):
        for when, action in sorted([p for p in pending if p[0] < today], key=lambda p: p[0]):
            _complete(user, action, when)
        services.refresh_all(today)
    # Today so far: about two thirds of the units have reported (the board shows the rest missing).
    if get_calendar().is_workday(today):
        now = timezone.localtime()
        for plan in plans:
            if plan.task.state == KeyTask.State.ACTIVE and rng.random() < 0.65:
                rows = _entry_rows(plan, [today], rng, skip=0, late=0)
                for r in rows:
                    r.submitted_at = min(r.submitted_at, now)
                _store(plan, rows)
                total += len(rows)
    audit.bulk_created(DailyEntry.objects.select_related("task"), verb="demo")
    active = KeyTask.objects.filter(state=KeyTask.State.ACTIVE)
    counts = {s: active.filter(status=s).count() for s in ("green", "yellow", "red")}
    ctx.log(f"督查督办：{KeyTask.objects.count()} 项任务（在督：绿 {counts['green']}、黄 {counts['yellow']}、红 {counts['red']}；"
            f"已完成 {KeyTask.objects.filter(state=KeyTask.State.COMPLETED).count()}），"
            f"{total} 条日调度，{meetings} 次周会商，{decisions} 项议定事项，{StalledProject.objects.count()} 个半拉子工程")
    _reports(ctx, today)


def _complete(user, task: KeyTask, when: dt.date) -> None:
    task.refresh_from_db()
    if task.state != KeyTask.State.ACTIVE:
        return
    for m in task.milestones.filter(done_on__isnull=True):
        services.complete_milestone(user, m, on=when)
    services.transition(user, task, "complete", note="已落实，佐证材料已报送", on=when)


def _discussion(item, rng: random.Random) -> str:
    if item.status == "red":
        return rng.choice(["牵头单位说明了滞后原因，会议要求倒排工期、挂图作战，下周会商前补齐进度。",
                           "会议指出该任务已逾期，责成牵头单位主要负责同志亲自调度，配合单位全力支持。"])
    if item.status == "yellow":
        return rng.choice(["进度略有滞后，会议要求加大人员设备投入，确保节点按期完成。",
                           "节点临近，牵头单位表示可按期完成，会议要求每日跟踪。"])
    return "会议明确了协调事项的责任单位和完成时限。"


def _stalled_projects(user, units, period_start: dt.date, rng: random.Random) -> list[tuple[StalledProject, dt.date, float]]:
    streets = list(Street.objects.order_by("code"))
    specs = [
        ("锦华苑二期", "河湟锦华置业有限公司", "省建八局第三分公司", 386, ["funding", "legal"], 12600, 1.0),
        ("滨河湾商住楼", "河湟滨河房地产开发有限公司", "青海宏远建设工程有限公司", 214, ["funding"], 5800, 0.85),
        ("金桥花园三期", "金桥地产（河湟）有限公司", "中铁二十局六公司", 512, ["developer", "funding", "legal"], 21400, 0.6),
        ("彩林御府", "彩林置业有限公司", "河湟城建集团", 168, ["permit"], 1900, 1.05),
    ]
    today = timezone.localdate()
    made = []
    for i, (name, developer, contractor, households, blockers, gap, performance) in enumerate(specs):
        street = streets[i % len(streets)] if streets else None
        project = services.create_stalled_project(
            user, name=name, developer=developer, contractor=contractor, households=households, blockers=blockers,
            funding_gap=gap, lead_unit=units["D02"], street=street, address=f"{street.name if street else ''}{name}项目地块",
            stalled_since=period_start - dt.timedelta(days=rng.randint(300, 900)),
            blocker_note={"funding": "开发企业资金链断裂，拖欠工程款", "legal": "涉及多起建设工程合同纠纷", "permit": "规划变更手续未办结",
                          "developer": "开发企业实际控制人失联"}[blockers[0]])
        amount = 0
        for k, kind in enumerate(["bank_matching", "special_loan", "commercial_loan", "asset_disposal"][: 2 + i % 3]):
            value = round(gap * rng.uniform(0.15, 0.45))
            amount += value
            services.add_measure(user, project, kind=kind, amount=value, date=period_start + dt.timedelta(days=10 + 20 * k),
                                 note={"special_loan": "保交楼专项借款", "commercial_loan": "配套融资", "bank_matching": "银企对接会达成意向",
                                       "asset_disposal": "处置项目配套商业用房"}[kind])
        for k in range(1 + i % 2):
            services.add_mediation(user, project, date=period_start + dt.timedelta(days=15 + 30 * k),
                                   parties="购房户代表、开发企业、施工单位" if k == 0 else "施工单位、材料供应商",
                                   outcome="达成分期支付工程款协议，施工单位同意复工" if k == 0 else "约定以房抵款方式清偿材料款",
                                   resolved=True)
        if "legal" in blockers or "developer" in blockers:
            services.add_judicial_support(user, project, date=period_start + dt.timedelta(days=25), court="河湟区人民法院",
                                          kind="预重整" if "developer" in blockers else "诉前调解", case_number=f"（{period_start.year}）青0109民诉前调{100 + i}号",
                                          note="法院提前介入，引导债权人达成一致")
        if performance >= 1.0:
            services.update_stalled_project(user, project, resumed_on=period_start + dt.timedelta(days=35))
        made.append((project, today + dt.timedelta(days=rng.randint(60, 200)), performance))
    return made


def _reports(ctx: DemoContext, today: dt.date) -> None:
    """The archive starts with last month's summary and yesterday's brief, as the scheduler would have left them."""
    from chengyun.reports import services as reports

    first = today.replace(day=1)
    last_month = first - dt.timedelta(days=1)
    reports.generate(None, "supervision-monthly", {"month": f"{last_month.year}-{last_month.month:02d}"})
    day = today - dt.timedelta(days=1)
    while not get_calendar().is_workday(day):
        day -= dt.timedelta(days=1)
    reports.generate(None, "supervision-daily", {"date": day.isoformat()})
    ctx.log(f"督查督办：已归档 {last_month.year}年{last_month.month}月 月度总结和 {day} 日调度简报")
