"""Property-management governance: companies and their projects (the managed compounds), the
credit scheme and its records, quality assessments, and the coverage campaign's files.

The compound register itself is ``geo.Compound`` (shared with the health check and renewal);
property keeps what it alone needs about a compound in ``Management`` (one row per compound).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from . import credit, workflow

GRADE_CHOICES = [(k, _("黑名单") if k == credit.BLACKLIST else k) for k in credit.GRADE_ORDER]


class Company(models.Model):
    """物业服务企业, keyed by its 统一社会信用代码 (GB 32100, check digit verified on entry)."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=100, unique=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("注册地址"), max_length=200, blank=True)
    base_score = models.FloatField(_("基础信息分"), default=0)
    # The live grade, kept by services.credit.refresh (every record write, and daily for expiries).
    score = models.FloatField(_("信用得分"), default=0)
    grade = models.CharField(_("信用等级"), max_length=10, choices=GRADE_CHOICES, default="C")
    board = models.CharField(_("红黑榜"), max_length=5, blank=True,
                             choices=[("red", _("红榜")), ("black", _("黑榜"))])
    graded_on = models.DateField(_("评级日期"), null=True, blank=True)
    active = models.BooleanField(_("在业"), default=True)

    class Meta:
        verbose_name = _("物业服务企业")
        verbose_name_plural = _("物业服务企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("property:company", args=[self.pk])


class ProjectManager(models.Model):
    company = models.ForeignKey(Company, verbose_name=_("物业服务企业"), on_delete=models.CASCADE, related_name="managers")
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    certificate = models.CharField(_("证书编号"), max_length=50, blank=True)
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("项目经理")
        verbose_name_plural = _("项目经理")
        ordering = ["company_id", "name"]

    def __str__(self) -> str:
        return self.name


class Management(models.Model):
    """物业服务项目: who manages a compound, under which contract. The mode is the register's."""

    compound = models.OneToOneField("geo.Compound", verbose_name=_("小区"), on_delete=models.CASCADE, related_name="management")
    company = models.ForeignKey(Company, verbose_name=_("物业服务企业"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects")
    manager = models.ForeignKey(ProjectManager, verbose_name=_("项目经理"), null=True, blank=True, on_delete=models.SET_NULL, related_name="projects")
    contract_start = models.DateField(_("合同开始"), null=True, blank=True)
    contract_end = models.DateField(_("合同到期"), null=True, blank=True)
    fee_per_m2 = models.DecimalField(_("物业费（元/平方米·月）"), max_digits=6, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("物业服务项目")
        verbose_name_plural = _("物业服务项目")

    def __str__(self) -> str:
        return str(self.compound)


class CreditScheme(models.Model):
    """The configurable scoring scheme; exactly one is active."""

    name = models.CharField(_("名称"), max_length=100)
    active = models.BooleanField(_("启用"), default=True)
    base_max = models.FloatField(_("基础信息分满分"), default=credit.DEFAULT_BASE_MAX)
    good_max = models.FloatField(_("优良信用分满分"), default=credit.DEFAULT_GOOD_MAX)
    # [["AAA", 85], ["AA", 80], …]: a score at or above a threshold has that grade; below all, C.
    thresholds = models.JSONField(_("等级分界"), default=list)
    validity_days = models.PositiveIntegerField(_("默认有效期（天）"), default=credit.DEFAULT_VALIDITY_DAYS)
    red_grades = models.JSONField(_("红榜等级"), default=list)
    black_grades = models.JSONField(_("黑榜等级"), default=list)
    # Cases that count as complaints against the company managing the compound they lie in.
    complaint_categories = models.JSONField(_("计入信用的案件小类"), default=list)
    complaint_sources = models.JSONField(_("计入信用的案件来源"), default=list)
    complaint_item = models.ForeignKey("CreditItem", verbose_name=_("投诉扣分项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    refreshed_on = models.DateField(_("最近重算日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("信用评价方案")
        verbose_name_plural = _("信用评价方案")

    def __str__(self) -> str:
        return self.name

    def threshold_pairs(self) -> list[tuple[str, float]]:
        return [(str(g), float(v)) for g, v in (self.thresholds or credit.DEFAULT_THRESHOLDS)]


class CreditItem(models.Model):
    """A line of the scheme's 评分标准: a kind of good or bad record and its points."""

    class Kind(models.TextChoices):
        GOOD = "good", _("优良信用信息")
        BAD = "bad", _("不良信用信息")

    scheme = models.ForeignKey(CreditScheme, verbose_name=_("信用评价方案"), on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("编码"), max_length=20)
    kind = models.CharField(_("类型"), max_length=4, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    points = models.FloatField(_("分值"))
    serious = models.BooleanField(_("严重失信"), default=False)
    validity_days = models.PositiveIntegerField(_("有效期（天）"), null=True, blank=True)

    class Meta:
        verbose_name = _("信用评分项")
        verbose_name_plural = _("信用评分项")
        ordering = ["scheme_id", "kind", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="property_item_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CreditRecord(models.Model):
    """One good or bad credit record, with its evidence, issuing department and validity."""

    company = models.ForeignKey(Company, verbose_name=_("物业服务企业"), on_delete=models.CASCADE, related_name="records")
    item = models.ForeignKey(CreditItem, verbose_name=_("评分项"), on_delete=models.PROTECT, related_name="records")
    kind = models.CharField(_("类型"), max_length=4, choices=CreditItem.Kind.choices)
    points = models.FloatField(_("分值"))
    serious = models.BooleanField(_("严重失信"), default=False)
    issued_by = models.ForeignKey("geo.Unit", verbose_name=_("认定部门"), on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("认定日期"))
    valid_until = models.DateField(_("有效期至（不含）"), null=True, blank=True)
    rectified_on = models.DateField(_("整改完成日期"), null=True, blank=True)
    evidence = models.TextField(_("事实与证据"))
    compound = models.ForeignKey("geo.Compound", verbose_name=_("小区"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    case = models.OneToOneField("cases.Case", verbose_name=_("来源案件"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    voided = models.BooleanField(_("已撤销"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["company", "issued_on"], name="property_record_company")]

    def __str__(self) -> str:
        return f"{self.company} {self.item.name}"

    def entry(self) -> credit.Entry:
        return credit.Entry(self.kind, self.points, self.issued_on, self.valid_until, self.serious, self.rectified_on, self.voided)


class GradeChange(models.Model):
    """The grade history: one row each time a company's score or grade changes."""

    company = models.ForeignKey(Company, verbose_name=_("物业服务企业"), on_delete=models.CASCADE, related_name="grades")
    on = models.DateField(_("日期"))
    score = models.FloatField(_("信用得分"))
    grade = models.CharField(_("信用等级"), max_length=10, choices=GRADE_CHOICES)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("信用等级变化")
        verbose_name_plural = _("信用等级变化")
        ordering = ["company_id", "on", "id"]


class Measure(models.Model):
    """A consequence of the red or black board, recorded: 约谈, 加密抽查, 限制评优, 政策支持…"""

    class Kind(models.TextChoices):
        INTERVIEW = "interview", _("约谈")
        SPOT_CHECKS = "spot_checks", _("加密抽查")
        RECTIFICATION = "rectification", _("限期整改")
        NO_AWARDS = "no_awards", _("限制评优和招投标")
        SUPPORT = "support", _("政策支持")
        PROMOTION = "promotion", _("经验推广")

    company = models.ForeignKey(Company, verbose_name=_("物业服务企业"), on_delete=models.CASCADE, related_name="measures")
    board = models.CharField(_("红黑榜"), max_length=5, choices=[("red", _("红榜")), ("black", _("黑榜"))])
    kind = models.CharField(_("措施"), max_length=16, choices=Kind.choices)
    decided_on = models.DateField(_("决定日期"))
    unit = models.ForeignKey("geo.Unit", verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("红黑榜措施")
        verbose_name_plural = _("红黑榜措施")
        ordering = ["-decided_on", "-id"]


class AssessmentSheet(models.Model):
    """The configurable quality sheet: items with their maximum, pass mark, survey rules."""

    class Period(models.TextChoices):
        QUARTER = "quarter", _("季度")
        HALF = "half", _("半年")

    name = models.CharField(_("名称"), max_length=100)
    active = models.BooleanField(_("启用"), default=True)
    period = models.CharField(_("考核周期"), max_length=8, choices=Period.choices, default=Period.QUARTER)
    # [{"code", "name", "max", "survey": bool}]: a survey item is scored from the owner survey.
    items = models.JSONField(_("考核项目"), default=list)
    pass_mark = models.FloatField(_("合格分"), default=60)
    phone_proxy_max = models.FloatField(_("电话代答比例上限"), default=0.05)
    min_sample = models.PositiveIntegerField(_("最少样本户数"), default=20)
    rank_share = models.FloatField(_("优秀/需改进榜比例"), default=0.2)

    class Meta:
        verbose_name = _("物业服务质量考核表")
        verbose_name_plural = _("物业服务质量考核表")

    def __str__(self) -> str:
        return self.name

    @property
    def total_max(self) -> float:
        return sum(float(i["max"]) for i in self.items)


class Assessment(models.Model):
    """One compound's quality assessment for one period, with its owner survey."""

    sheet = models.ForeignKey(AssessmentSheet, verbose_name=_("考核表"), on_delete=models.PROTECT, related_name="assessments")
    compound = models.ForeignKey("geo.Compound", verbose_name=_("小区"), on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, verbose_name=_("物业服务企业"), null=True, blank=True, on_delete=models.SET_NULL, related_name="assessments")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("考核期"), max_length=8)
    scores = models.JSONField(_("分项得分"), default=dict)
    total = models.FloatField(_("总分"))
    passed = models.BooleanField(_("合格"))
    survey_sample = models.PositiveIntegerField(_("调查户数"), default=0)
    survey_phone = models.PositiveIntegerField(_("电话代答户数"), default=0)
    survey_satisfied = models.PositiveIntegerField(_("满意户数"), default=0)
    # Failed this period and the one before (two consecutive failures: replace the project team).
    flagged = models.BooleanField(_("连续两期不合格"), default=False)
    assessed_on = models.DateField(_("考核日期"))
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("物业服务质量考核")
        verbose_name_plural = _("物业服务质量考核")
        ordering = ["-period", "-total"]
        constraints = [models.UniqueConstraint(fields=["compound", "period"], name="property_assessment_once")]


class CoverageFile(models.Model):
    """建档立卡: the file of one compound without property management, until 销号."""

    number = models.CharField(_("档案编号"), max_length=20, unique=True)
    compound = models.OneToOneField("geo.Compound", verbose_name=_("小区"), on_delete=models.CASCADE, related_name="coverage_file")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=16, choices=list(workflow.STATES.items()), default=workflow.FILED)
    path = models.CharField(_("覆盖路径"), max_length=16, choices=list(workflow.PATHS.items()), blank=True)
    target_date = models.DateField(_("计划完成日期"))
    owner_unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField(_("建档日期"))
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    note = models.TextField(_("情况说明"), blank=True)

    class Meta:
        verbose_name = _("物业覆盖档案")
        verbose_name_plural = _("物业覆盖档案")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.compound}"

    def get_absolute_url(self) -> str:
        return reverse("property:file", args=[self.pk])

    @property
    def overdue(self) -> bool:
        from django.utils import timezone

        return self.state in workflow.OPEN_STATES and self.target_date < timezone.localdate()


class CoverageEvent(models.Model):
    file = models.ForeignKey(CoverageFile, verbose_name=_("档案"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=16, choices=list(workflow.EVENT_LABELS.items()))
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    on = models.DateField(_("日期"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("档案记录")
        verbose_name_plural = _("档案记录")
        ordering = ["file_id", "on", "id"]
