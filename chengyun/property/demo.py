"""The demo district's property governance: ~60 companies (grades across every level, the
red and black boards with their measures), every managed compound with its company and
contract, a coverage campaign half done (files opened ten months ago, half closed since, one
by one), and four quarters of quality assessments."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chengyun.demo.context import DemoContext

PREFIXES = ("万嘉", "锦华", "安居", "绿城", "碧水", "明珠", "祥和", "瑞丰", "金地", "华宇", "康乐", "银河", "昆仑", "湟水", "青禾", "雪域",
            "丹霞", "柳湾", "高原", "北山", "南川", "西宁", "海湖", "城西", "凤凰", "紫荆", "金泰", "鑫源", "宏达", "恒信")
SUFFIXES = ("物业服务有限公司", "物业管理有限公司")
# Target profile per company, in turn: (base score, good item codes, bad item codes, serious).
PROFILES = (
    (78, ("G01", "G04", "G02"), (), False),             # AAA
    (74, ("G04", "G02"), ("B01",), False),              # AAA / AA
    (72, ("G03", "G04"), ("B01",), False),              # AA
    (70, ("G03",), ("B01",), False),                    # A
    (66, ("G03",), ("B01", "B01"), False),              # A
    (64, (), ("B01", "B03"), False),                    # B
    (62, (), ("B02", "B01"), False),                    # C / B
    (60, (), ("B03", "B04"), False),                    # C
    (70, ("G04",), ("B05",), True),                     # 黑名单
    (76, ("G02", "G05"), (), False),                    # AAA
)
GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code(n: int) -> str:
    from chengyun.standards import gb32100

    body = f"{37180000 + n * 7919:08d}"[-8:]
    c = 11 - sum(int(ch) * w for ch, w in zip(body, GB11714_WEIGHTS)) % 11
    org = body + ("X" if c == 10 else "0" if c == 11 else str(c))
    first17 = "91630102" + org
    return first17 + gb32100.check_character(first17)


def generate(ctx: DemoContext) -> None:
    from chengyun.geo.models import Compound, Unit

    from .models import Company

    if Company.objects.exists():
        ctx.log("物业治理：已存在，跳过")
        return
    if not Compound.objects.exists() or not Unit.objects.filter(code="D02").exists():
        ctx.log("物业治理：没有小区或住建局，跳过")
        return
    rng = ctx.rng("property")
    today = timezone.localdate()
    companies = _companies(rng, today)
    _projects(rng, companies, today)
    _records(rng, companies, today)
    files = _campaign(rng, today, companies)
    n_assessed = _assessments(rng, today)
    from .services.scoring import rebuild_history, refresh_all

    refresh_all(force=True)
    for c in Company.objects.prefetch_related("records"):
        rebuild_history(c, reason="历史记录")
    grades = sorted(set(Company.objects.values_list("grade", flat=True)))
    ctx.log(f"物业治理：企业 {len(companies)} 家（等级 {'、'.join(grades)}），覆盖档案 {files} 份，考核 {n_assessed} 次")


def _companies(rng, today: dt.date) -> list:
    from . import services

    out = []
    names = [f"河湟{p}{s}" for p in PREFIXES for s in SUFFIXES]
    for n in range(60):
        profile = PROFILES[n % len(PROFILES)]
        c = services.create_company(None, name=names[n], credit_code=credit_code(n + 1), legal_representative=f"{rng.choice('王李张刘陈杨马')}{rng.choice('建国明华军英伟芳')}",
                                    phone=f"0971-{rng.randint(6000000, 6999999)}", address=f"河湟区{rng.choice(('昆仑路', '五四大街', '海湖路', '柴达木路'))}{rng.randint(1, 300)}号",
                                    base_score=profile[0] + rng.choice((-1, 0, 0, 1)))
        for k in range(rng.randint(1, 3)):
            services.add_manager(None, c, name=f"{rng.choice('赵钱孙周吴郑冯韩')}{rng.choice('晓东海燕丽娟国强志刚')}", phone=f"139{rng.randint(10000000, 99999999)}",
                                 certificate=f"WYJL{n:03d}{k}")
        out.append(c)
    return out


def _projects(rng, companies: list, today: dt.date) -> None:
    from chengyun.geo.models import Compound

    from . import services

    for i, compound in enumerate(Compound.objects.filter(management_mode="professional").order_by("code")):
        company = companies[i % len(companies)]
        start = today - dt.timedelta(days=rng.randint(120, 1500))
        services.set_management(None, compound, mode="professional", company=company, manager=company.managers.first(),
                                contract_start=start, contract_end=start + dt.timedelta(days=365 * rng.choice((2, 3, 5))),
                                fee_per_m2=rng.choice(("0.45", "0.60", "0.80", "1.20", "1.50")))


def _records(rng, companies: list, today: dt.date) -> None:
    from chengyun.geo.models import Unit

    from . import services
    from .models import Measure

    issuers = list(Unit.objects.filter(kind__in=("department", "street_office")).order_by("code"))
    housing = Unit.objects.get(code="D02")
    for n, c in enumerate(companies):
        _base, goods, bads, _serious = PROFILES[n % len(PROFILES)]
        project = c.projects.select_related("compound").first()
        # An expired record too: it shows on the page but no longer counts.
        services.add_record(None, c, item="B01", evidence="业主投诉楼道堆物未及时清理，经核查属实", issued_on=today - dt.timedelta(days=400 + n),
                            issued_by=rng.choice(issuers), compound=project.compound if project else None)
        for code in goods:
            services.add_record(None, c, item=code, evidence=f"{rng.choice(('区住建局通报表扬', '街道推荐', '社区考评'))}（{today.year}年）",
                                issued_on=today - dt.timedelta(days=rng.randint(10, 300)), issued_by=housing)
        for code in bads:
            services.add_record(None, c, item=code, evidence=rng.choice(("检查发现消防通道堆物，责令整改", "未按规定公示收支情况", "业主投诉维修不及时，经核查属实",
                                                                         "撤离项目未按规定办理交接")),
                                issued_on=today - dt.timedelta(days=rng.randint(10, 300)), issued_by=rng.choice(issuers),
                                compound=project.compound if project else None)
        c.refresh_from_db()
        if c.board == "black":
            services.record_measure(None, c, kind=rng.choice((Measure.Kind.INTERVIEW, Measure.Kind.SPOT_CHECKS)),
                                    note="黑榜企业：约谈负责人，在管项目抽查由每季度一次加密为每月一次", decided_on=today - dt.timedelta(days=rng.randint(1, 20)),
                                    unit=housing)
        elif c.board == "red" and n % 3 == 0:
            services.record_measure(None, c, kind=Measure.Kind.PROMOTION, note="红榜企业：在全区物业工作会上推广经验", unit=housing,
                                    decided_on=today - dt.timedelta(days=rng.randint(1, 20)))


def _campaign(rng, today: dt.date, companies: list) -> int:
    from chengyun.geo.models import Compound, Unit

    from . import services, workflow
    from .services import coverage

    opened = today - dt.timedelta(days=300)
    uncovered = list(Compound.objects.filter(management_mode="none").select_related("community__street").order_by("code"))
    files = []
    for c in uncovered:
        owner = Unit.objects.filter(kind="street_office", streets=c.community.street_id).first() or Unit.objects.get(code="D02")
        files.append(coverage.open_file(None, c, target_date=opened + dt.timedelta(days=rng.randint(200, 420)), owner_unit=owner, opened_on=opened,
                                        note="逐户摸底：无物业服务，环境卫生由社区临时清扫"))
    half = len(files) // 2
    for i, f in enumerate(files):
        path = rng.choices(list(workflow.PATHS), weights=(4, 4, 2))[0]
        # Files close one after another over the months: the coverage line rises step by step.
        steps = ["choose_path", "start", "report", "close"] if i < half else \
            rng.choice((["choose_path"], ["choose_path", "start"], ["choose_path", "start", "report"], []))
        day = opened + dt.timedelta(days=10 + (i * 270 // max(1, half)) % 270)
        for step in steps:
            day = min(day + dt.timedelta(days=rng.randint(5, 20)), today)
            note = {"report": "已签订服务协议并进场服务", "close": "现场核验，销号"}.get(step, "")
            f = coverage.transition(None, f, step, path=path, note=note, on=day)
        if f.state == workflow.CLOSED and f.path == workflow.MARKET:
            # The tender went to a company of good credit (the campaign prefers high grades).
            winner = rng.choice([c for c in companies if c.grade in ("AAA", "AA", "A")])
            services.set_management(None, f.compound, mode="professional", company=winner, manager=winner.managers.first(),
                                    contract_start=f.closed_on, contract_end=f.closed_on + dt.timedelta(days=365 * 3))
    return len(files)


def _assessments(rng, today: dt.date) -> int:
    from chengyun.geo.models import Compound

    from .models import CoverageFile
    from .services import assessments

    sheet = assessments.active_sheet()
    period = assessments.period_of(today, sheet.period)
    periods = []
    for _ in range(4):
        period = assessments.previous_period(period)
        periods.append(period)
    n = 0
    managed = list(Compound.objects.exclude(management_mode="none").select_related("community").order_by("code"))
    quality = {c.pk: rng.uniform(0.5, 0.95) for c in managed}
    weak = {c.pk for c in managed[::17]}  # a few compounds that keep failing: flagged after two quarters
    covered_on = dict(CoverageFile.objects.filter(closed_on__isnull=False).values_list("compound_id", "closed_on"))
    for p in reversed(periods):
        for c in managed:
            if c.pk in covered_on and covered_on[c.pk] > assessments.period_start(p):
                continue  # not yet managed in that quarter
            q = 0.45 if c.pk in weak else min(0.98, max(0.3, quality[c.pk] + rng.uniform(-0.08, 0.08)))
            scores = {i["code"]: round(float(i["max"]) * q * 2) / 2 for i in sheet.items if not i.get("survey")}
            sample = rng.randint(20, 60)
            phone = rng.randint(0, int(sample * sheet.phone_proxy_max))
            satisfied = min(sample, int(sample * min(1.0, q + rng.uniform(-0.05, 0.1))))
            assessments.assess(None, c, period=p, scores=scores, survey_sample=sample, survey_phone=phone, survey_satisfied=satisfied,
                               assessed_on=min(today, assessments.period_start(assessments.next_period(p)) - dt.timedelta(days=5)))
            n += 1
    return n
