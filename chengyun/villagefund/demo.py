"""The demo district's village fund: the three joint-review departments, 12 villages on the
outer communities (those with a village cadre), two yearly batches, and ~25 projects across
every state — some in publicity with an objection, some paying by progress, some earning
returns, one stalled. Every step goes through the services, as a real run would.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from chengyun.demo.context import DEMO_PASSWORD, DemoContext
from chengyun.demo.names import person_name, phone
from chengyun.standards import gb32100

from . import services
from . import workflow as wf
from .models import Batch, Project, Village

REVIEW_UNITS = [("ZZB", "中共河湟区委组织部", "区委组织部", "组织", "fundorg"), ("CZJ", "河湟区财政局", "区财政局", "财政", "fundfinance"),
                ("NYJ", "河湟区农业农村局", "区农业农村局", "农业农村", "fundagri")]
VILLAGE_NAMES = ["上庄村", "下河湾村", "红崖村", "杨家寨村", "马场村", "石沟村", "新民村", "东川村", "柳树湾村", "王家堡村", "小寨村", "峡口村"]
# (name, model, amount 万元, partner, expected return 万元, guaranteed rate %)
PLANS = [
    ("村集体光伏电站", "property", 50, "河湟新能源公司", 4.5, 8), ("冷链仓储库", "property", 100, "", 8, None),
    ("农机作业服务队", "service", 40, "", 3.6, None), ("高原夏菜种植基地", "resource", 60, "绿野农业合作社", 5, 6),
    ("入股牦牛肉加工厂", "equity", 100, "河湟清真食品公司", 8, 8), ("乡村民宿改造", "property", 80, "", 6, None),
    ("标准化厂房出租", "property", 120, "", 9.6, None), ("土地托管服务", "service", 30, "", 2.7, None),
    ("蔬菜分拣包装中心", "mixed", 70, "", 5.6, None), ("油菜花海观光", "resource", 45, "文旅投资公司", 3.2, 5),
    ("农贸市场摊位", "property", 55, "", 4.4, None), ("劳务服务公司", "service", 25, "", 2.5, None),
    ("饲草料加工厂", "mixed", 90, "", 7.2, None),
]


def _reviewers(ctx: DemoContext, rng) -> dict[str, object]:
    from chengyun.geo.models import Unit
    from chengyun.people import roles as R
    from chengyun.people.models import Person

    User = get_user_model()
    users = {}
    password = make_password(DEMO_PASSWORD)
    for code, name, short, specialty, login in REVIEW_UNITS:
        unit, _ = Unit.objects.get_or_create(code=code, defaults={"name": name, "short_name": short, "kind": Unit.Kind.DEPARTMENT,
                                                                  "specialty": specialty, "district_wide": True})
        user = User.objects.filter(username=login).first()
        if user is None:
            user = User.objects.create(username=login, first_name=person_name(rng), password=password)
            person = Person.objects.create(name=user.first_name, unit=unit, title="科长", phone=phone(rng), user=user)
            person.roles.set([R.DEPT_HANDLER])
            Person.objects.create(name=person_name(rng), unit=unit, title="科员", phone=phone(rng)).roles.set([R.DEPT_HANDLER])
        users[specialty] = user
    return users


def _credit_code(n: int) -> str:
    # N2: 农业农村部门登记的村级集体经济组织; 630109 the district; a nine-character body.
    return gb32100.make(f"N2630109{n:08d}"[:16] + "X")


def generate(ctx: DemoContext) -> None:
    if Village.objects.exists():
        ctx.log("村集体经济扶持资金：已存在，跳过")
        return
    from chengyun.geo.models import Community
    from chengyun.people import roles as R
    from chengyun.people.models import Person

    rng = ctx.rng("villagefund")
    reviewers = _reviewers(ctx, rng)
    with_cadre = Community.objects.filter(pk__in=Person.objects.filter(roles__code=R.VILLAGE_CADRE).values("communities")).order_by("code")
    communities = list(with_cadre) or list(Community.objects.order_by("-code")[:12])
    villages = []
    for n, c in enumerate(communities[:12]):
        name = VILLAGE_NAMES[n % len(VILLAGE_NAMES)]
        households = rng.randint(180, 620)
        villages.append(services.create_village(
            None, community=c, name=name, organisation=f"{c.street.name}{name}股份经济合作社", credit_code=_credit_code(n + 1),
            households=households, population=int(households * rng.uniform(3.1, 3.8)), representatives=rng.choice([27, 30, 33, 36]),
            party_members=rng.randint(25, 70), base_income_wan=Decimal(rng.randint(15, 120)) / 10))
    today = services.today()
    last, this = today.year - 1, today.year
    b1 = services.create_batch(None, year=last, name=f"{last}年度扶持壮大村级集体经济资金", document=f"河组通〔{last}〕12号",
                               central_wan=300, province_wan=250, city_wan=0, district_wan=100)
    b2 = services.create_batch(None, year=this, name=f"{this}年度扶持发展新型农村集体经济资金", document=f"河组通〔{this}〕8号",
                               central_wan=300, province_wan=300, city_wan=50, district_wan=100)
    # (batch, state to reach, extra): the last year's batch is built and earning; this year's runs the whole pipeline.
    script = ([(b1, wf.OPERATING, "earning")] * 6 + [(b1, wf.OPERATING, "low")] + [(b1, wf.ACCEPTED, "")] * 2
              + [(b1, wf.IMPLEMENTING, "stalled")]
              + [(b2, wf.IMPLEMENTING, "progress")] * 3 + [(b2, wf.PUBLICITY, "objection"), (b2, wf.PUBLICITY, "resolved"), (b2, wf.PUBLICITY, "")]
              + [(b2, wf.APPROVED, ""), (b2, wf.JOINT_REVIEW, "partial"), (b2, wf.JOINT_REVIEW, ""), (b2, wf.SUBMITTED, ""),
                 (b2, wf.SUBMITTED, ""), (b2, wf.DRAFT, "returned"), (b2, wf.DRAFT, "")])
    voucher = iter(range(1, 1000))
    for n, (batch, target, extra) in enumerate(script):
        village = villages[n % len(villages)]
        name, model, amount, partner, expected, rate = PLANS[n % len(PLANS)]
        _project(ctx, rng, reviewers, village, batch, target, extra, n, name, model, Decimal(amount), partner, Decimal(str(expected)), rate,
                 voucher, today)
    ctx.log(f"村集体经济扶持资金：{len(villages)} 个村，2 个资金批次，{Project.objects.count()} 个项目")


def _project(ctx, rng, reviewers, village, batch, target, extra, n, name, model, amount, partner, expected, rate, voucher, today):
    year_start = dt.date(batch.year, 3, 1) if batch.year < today.year else today - dt.timedelta(days=150)
    self_funds = Decimal(rng.choice([0, 5, 10]))
    p = services.create_project(
        None, village=village, batch=batch, name=f"{village.name}{name}", model=model, amount_wan=amount, self_funds_wan=self_funds,
        plan=f"利用村集体{('闲置土地' if model == 'resource' else '资金和资产')}发展{name}，收益归村集体所有，按章程分配。",
        budget=[{"item": "工程建设", "amount_wan": amount * Decimal("0.7") + self_funds}, {"item": "设备购置", "amount_wan": amount * Decimal("0.3")}],
        expected_return_wan=expected, partner=partner, period_start=year_start + dt.timedelta(days=60), period_end=year_start + dt.timedelta(days=330),
        guaranteed_rate=rate, guaranteed_years=3 if rate else None)
    reps = village.representatives
    services.record_decision(None, p, [
        {"kind": "committees", "held_on": year_start, "entitled": 7, "present": 7, "agree": 7},
        {"kind": "party", "held_on": year_start + dt.timedelta(days=5), "entitled": village.party_members,
         "present": village.party_members - rng.randint(2, 6), "agree": village.party_members - rng.randint(6, 9)},
        {"kind": "representatives", "held_on": year_start + dt.timedelta(days=9), "entitled": reps, "present": reps - rng.randint(0, 4),
         "agree": reps - rng.randint(4, 8)},
    ])
    if extra == "returned":
        services.transition(None, p, "submit", on=year_start + dt.timedelta(days=12))
        services.transition(None, p, "town_return", note="预算明细与实施方案不一致，请补充合作经营协议", on=year_start + dt.timedelta(days=20))
    if target == wf.DRAFT:
        return
    day = year_start + dt.timedelta(days=12)
    services.transition(None, p, "submit", on=day)
    if target == wf.SUBMITTED:
        return
    services.transition(None, p, "town_approve", note="材料齐全，决策程序规范，同意上报", on=day + dt.timedelta(days=7))
    specs = list(reviewers)
    opinions = specs[:1] if extra == "partial" else ([] if target == wf.JOINT_REVIEW else specs)
    for k, spec in enumerate(opinions):
        services.transition(reviewers[spec], p, "joint_opinion", agree=True, note="符合扶持条件，同意", on=day + dt.timedelta(days=14 + k))
    if target == wf.JOINT_REVIEW:
        return
    services.transition(reviewers["农业农村"], p, "approve", on=day + dt.timedelta(days=20))
    if target == wf.APPROVED:
        return
    publish_on = today - dt.timedelta(days=rng.randint(2, 6)) if target == wf.PUBLICITY else day + dt.timedelta(days=25)
    services.transition(reviewers["农业农村"], p, "publish", on=publish_on)
    if extra in ("objection", "resolved"):
        o = services.raise_objection(None, p, content="项目选址涉及部分村民承包地，流转补偿标准未公开", objector=person_name(rng),
                                     raised_on=publish_on + dt.timedelta(days=1))
        if extra == "resolved":
            services.resolve_objection(None, o, resolution="经镇村联合核实，承包地流转已签订协议并补公示补偿标准，异议人无异议",
                                       resolved_on=publish_on + dt.timedelta(days=2))
    if target == wf.PUBLICITY:
        return
    pay_day = p.publicity_end + dt.timedelta(days=3)
    services.record_payment(None, p, amount_wan=(p.amount_wan * Decimal("0.3")).quantize(Decimal("0.01")), kind="prepay", use="construction",
                            voucher=f"HH{batch.year}-{next(voucher):04d}", paid_on=pay_day)
    steps = [40, 70, 100] if target in (wf.ACCEPTED, wf.OPERATING) else ([35] if extra == "stalled" else [rng.choice([45, 60, 80])])
    for k, pct in enumerate(steps):
        report_day = min(pay_day + dt.timedelta(days=40 * (k + 1)), today)
        g = services.report_progress(None, p, percent=pct, spent_wan=(p.amount_wan * pct / 100).quantize(Decimal("0.01")), reported_on=report_day)
        services.verify_progress(None, g, verified_on=report_day)
        due = (p.amount_wan * pct / 100).quantize(Decimal("0.01")) - services.paid_total(p)
        if due > 0:
            services.record_payment(None, p, amount_wan=due, kind="progress", use="equipment" if k else "construction",
                                    voucher=f"HH{batch.year}-{next(voucher):04d}", paid_on=report_day)
    if extra == "stalled":
        services.transition(None, p, "stall", note="合作企业资金链断裂，厂房主体停工超过三个月", on=today - dt.timedelta(days=20))
        return
    if target == wf.IMPLEMENTING:
        return
    accept_day = min(pay_day + dt.timedelta(days=150), today)
    services.transition(None, p, "accept", note="工程质量合格，资料齐全，资产移交村集体", on=accept_day,
                        assets=[{"name": name, "kind": "经营性资产", "value_wan": p.amount_wan + p.self_funds_wan}])
    if target == wf.ACCEPTED:
        return
    services.transition(None, p, "operate", on=accept_day + dt.timedelta(days=10))
    income = (expected * Decimal(str(rng.uniform(0.85, 1.25)))).quantize(Decimal("0.01")) if extra != "low" else Decimal("2.60")
    dividend = (p.amount_wan * Decimal(rate) / 100).quantize(Decimal("0.01")) if rate else (income * Decimal("0.4")).quantize(Decimal("0.01"))
    services.report_return(None, p, year=batch.year, income_wan=income, dividend_wan=min(dividend, income), jobs=rng.randint(3, 25),
                           satisfaction=Decimal(rng.randint(88, 98)), reported_on=dt.date(batch.year + 1, 1, 15))
