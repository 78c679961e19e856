"""村集体经济扶持资金: villages and their collective economic organisations, yearly fund batches,
projects with their decision record, reviews, publicity and objections, payments, progress,
acceptance and assets, yearly returns.

A village is a community-level area of the geo register (a 村民委员会 sits where a 居民委员会
does: one level under the street/town), so it links one-to-one to a geo.Community; scopes follow
that community and its street. Amounts are in 万元, as the fund's documents state them.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import decision, rules
from . import workflow as wf

MONEY = {"max_digits": 12, "decimal_places": 2}


class Village(models.Model):
    community = models.OneToOneField("geo.Community", verbose_name=_("所在村（社区级区划）"), on_delete=models.PROTECT, related_name="village")
    name = models.CharField(_("村名"), max_length=60)
    organisation = models.CharField(_("村集体经济组织"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    population = models.PositiveIntegerField(_("人口"), default=0)
    representatives = models.PositiveIntegerField(_("村民代表人数"), default=0)
    party_members = models.PositiveIntegerField(_("党员人数"), default=0)
    base_income_wan = models.DecimalField(_("上年集体经营性收入（万元）"), default=0, **MONEY)

    class Meta:
        verbose_name = _("村")
        verbose_name_plural = _("村")
        ordering = ["community__code"]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    """One year's allocation of support funds, by source."""
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("批次名称"), max_length=100)
    document = models.CharField(_("下达文号"), max_length=100, blank=True)
    central_wan = models.DecimalField(_("中央资金（万元）"), default=0, **MONEY)
    province_wan = models.DecimalField(_("省级资金（万元）"), default=0, **MONEY)
    city_wan = models.DecimalField(_("市级资金（万元）"), default=0, **MONEY)
    district_wan = models.DecimalField(_("区级资金（万元）"), default=0, **MONEY)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资金批次")
        verbose_name_plural = _("资金批次")
        ordering = ["-year", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def total_wan(self):
        return self.central_wan + self.province_wan + self.city_wan + self.district_wan


class Project(models.Model):
    code = models.CharField(_("项目编号"), max_length=20, unique=True)
    batch = models.ForeignKey(Batch, verbose_name=_("资金批次"), on_delete=models.PROTECT, related_name="projects")
    village = models.ForeignKey(Village, verbose_name=_("村"), on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(_("项目名称"), max_length=200)
    model = models.CharField(_("发展模式"), max_length=12, choices=list(rules.SUPPORT_MODELS.items()))
    plan = models.TextField(_("项目实施方案"), blank=True)
    amount_wan = models.DecimalField(_("扶持资金（万元）"), **MONEY)
    self_funds_wan = models.DecimalField(_("村集体自筹（万元）"), default=0, **MONEY)
    budget = models.JSONField(_("预算明细"), default=list, blank=True)  # [{"item", "amount_wan"}]
    expected_return_wan = models.DecimalField(_("预期年收益（万元）"), default=0, **MONEY)
    period_start = models.DateField(_("实施期起"), null=True, blank=True)
    period_end = models.DateField(_("实施期止"), null=True, blank=True)
    guaranteed_rate = models.DecimalField(_("保底分红率（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    guaranteed_years = models.PositiveSmallIntegerField(_("保底年限"), null=True, blank=True)
    partner = models.CharField(_("合作经营主体"), max_length=100, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=list(wf.STATES.items()), default=wf.DRAFT, db_index=True)
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示结束"), null=True, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    stalled = models.BooleanField(_("停滞"), default=False, db_index=True)
    stalled_reason = models.CharField(_("停滞原因"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申报人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("扶持项目")
        verbose_name_plural = _("扶持项目")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Meeting(models.Model):
    """One meeting of the decision record, with attendance and votes."""
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("会议"), max_length=16, choices=list(decision.MEETINGS.items()))
    held_on = models.DateField(_("召开日期"))
    entitled = models.PositiveIntegerField(_("应到人数"))
    present = models.PositiveIntegerField(_("实到人数"))
    agree = models.PositiveIntegerField(_("同意"))
    oppose = models.PositiveIntegerField(_("反对"), default=0)
    abstain = models.PositiveIntegerField(_("弃权"), default=0)

    class Meta:
        verbose_name = _("决策会议")
        verbose_name_plural = _("决策会议")
        ordering = ["project", "held_on", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="villagefund_meeting_kind")]


class Review(models.Model):
    """An opinion: the street's 初审 or one department's in the district joint review."""

    class Stage(models.TextChoices):
        TOWN = "town", _("镇（街道）初审")
        DISTRICT = "district", _("区级联审")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="reviews")
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("审核单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agree = models.BooleanField(_("同意"))
    opinion = models.CharField(_("审核意见"), max_length=500)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewer_name = models.CharField(_("审核人姓名"), max_length=50, blank=True)
    reviewed_on = models.DateField(_("审核日期"))
    # A review of a round that ended in 退回修改 no longer counts towards the next round.
    current = models.BooleanField(_("本轮有效"), default=True)

    class Meta:
        verbose_name = _("审核意见")
        verbose_name_plural = _("审核意见")
        ordering = ["project", "reviewed_on", "id"]


class Event(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("说明"), max_length=500, blank=True)
    on = models.DateField(_("日期"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["project", "at", "id"]

    @property
    def action_label(self) -> str:
        t = wf.TRANSITIONS.get(self.action)
        return str(t.label) if t else self.action


class Objection(models.Model):
    """An objection raised during publicity; the objector's name is kept for the file, never shown publicly."""
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="objections")
    raised_on = models.DateField(_("提出日期"))
    objector = models.CharField(_("异议人"), max_length=60, blank=True)
    content = models.CharField(_("异议内容"), max_length=500)
    resolved = models.BooleanField(_("已处理"), default=False)
    resolution = models.CharField(_("处理结果"), max_length=500, blank=True)
    resolved_on = models.DateField(_("处理日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["project", "raised_on", "id"]


class Progress(models.Model):
    """Progress the village reports; the street verifies it, and only verified progress releases money."""
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="progress")
    reported_on = models.DateField(_("报告日期"))
    percent = models.PositiveSmallIntegerField(_("形象进度（%）"))
    spent_wan = models.DecimalField(_("累计支出（万元）"), default=0, **MONEY)
    note = models.CharField(_("进展情况"), max_length=300, blank=True)
    verified = models.BooleanField(_("已核实"), default=False)
    verified_on = models.DateField(_("核实日期"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核实人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("项目进度")
        verbose_name_plural = _("项目进度")
        ordering = ["project", "-reported_on", "-id"]


class Payment(models.Model):
    class Kind(models.TextChoices):
        PREPAY = "prepay", _("预拨")
        PROGRESS = "progress", _("按进度拨付")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("拨付日期"))
    amount_wan = models.DecimalField(_("金额（万元）"), **MONEY)
    kind = models.CharField(_("拨付方式"), max_length=10, choices=Kind.choices)
    use = models.CharField(_("资金用途"), max_length=20)
    voucher = models.CharField(_("凭证号"), max_length=40, unique=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资金拨付")
        verbose_name_plural = _("资金拨付")
        ordering = ["project", "paid_on", "id"]

    @property
    def use_label(self) -> str:
        return str(rules.all_uses().get(self.use, self.use))


class Asset(models.Model):
    """What the project built or bought, recorded as the village collective's (入村级财务)."""
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="assets")
    name = models.CharField(_("资产名称"), max_length=100)
    kind = models.CharField(_("资产类别"), max_length=30)
    value_wan = models.DecimalField(_("资产价值（万元）"), **MONEY)
    owner = models.CharField(_("产权归属"), max_length=100)
    recorded_on = models.DateField(_("登记日期"))

    class Meta:
        verbose_name = _("形成资产")
        verbose_name_plural = _("形成资产")
        ordering = ["project", "id"]


class YearlyReturn(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="returns")
    year = models.PositiveSmallIntegerField(_("年度"))
    income_wan = models.DecimalField(_("经营性收入（万元）"), **MONEY)
    dividend_wan = models.DecimalField(_("分红（万元）"), default=0, **MONEY)
    jobs = models.PositiveIntegerField(_("带动就业（人）"), default=0)
    satisfaction = models.DecimalField(_("群众满意度（%）"), max_digits=5, decimal_places=1, null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    reported_on = models.DateField(_("填报日期"))

    class Meta:
        verbose_name = _("年度收益")
        verbose_name_plural = _("年度收益")
        ordering = ["project", "year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="villagefund_return_year")]

    @property
    def yield_percent(self):
        amount = self.project.amount_wan
        return round(float(self.income_wan) / float(amount) * 100, 2) if amount else None
