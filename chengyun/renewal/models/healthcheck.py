"""城市体检: indicator sets by year, measurements per spatial unit, and the problem ledger.

An indicator is identified across years by its code: the 2024 and 2025 sets both hold
IND-HOUSE-001, and year-on-year comparison pairs measurements by (code, unit kind, unit code).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import workflow


class Dimension(models.TextChoices):
    HOUSING = "housing", _("住房")
    COMPOUND = "compound", _("小区(社区)")
    BLOCK = "block", _("街区")
    CITY = "city", _("城区(城市)")


class SpatialUnit(models.TextChoices):
    BUILDING = "building", _("楼栋")
    COMPOUND = "compound", _("小区")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道(街区)")
    DISTRICT = "district", _("区")


class IndicatorSet(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=100)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("体检指标体系")
        verbose_name_plural = _("体检指标体系")
        ordering = ["-year", "name"]
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="renewal_set_year_name")]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class Indicator(models.Model):
    class Kind(models.TextChoices):
        BASELINE = "baseline", _("底线")
        GUIDANCE = "guidance", _("导向")

    class ValueKind(models.TextChoices):
        COUNT = "count", _("问题数量")
        RATE = "rate", _("比率")
        NUMBER = "number", _("数值")

    class Direction(models.TextChoices):
        LOWER = "lower", _("越低越好")
        HIGHER = "higher", _("越高越好")

    class Source(models.TextChoices):
        NATIONAL = "national", _("国家")
        PROVINCIAL = "provincial", _("省")
        MUNICIPAL = "municipal", _("市")
        DISTRICT = "district", _("区特色")

    indicator_set = models.ForeignKey(IndicatorSet, verbose_name=_("指标体系"), on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("指标编码"), max_length=32)
    order = models.PositiveIntegerField(_("序号"), default=0)
    dimension = models.CharField(_("维度"), max_length=10, choices=Dimension.choices)
    aspect = models.CharField(_("二级维度"), max_length=30, blank=True)
    name = models.CharField(_("指标名称"), max_length=120)
    unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    kind = models.CharField(_("指标类型"), max_length=10, choices=Kind.choices, default=Kind.BASELINE)
    value_kind = models.CharField(_("取值类型"), max_length=10, choices=ValueKind.choices, default=ValueKind.COUNT)
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices, default=Direction.LOWER)
    source = models.CharField(_("指标来源"), max_length=12, choices=Source.choices, default=Source.NATIONAL)
    responsible_unit = models.ForeignKey("geo.Unit", verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data_source = models.CharField(_("数据来源"), max_length=100, blank=True)
    target_value = models.FloatField(_("目标值"), null=True, blank=True)
    # Key of a registered provider (renewal.providers) that computes it from platform data;
    # blank when the responsible department enters it.
    computed_by = models.CharField(_("计算方式"), max_length=64, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("体检指标")
        verbose_name_plural = _("体检指标")
        ordering = ["indicator_set", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["indicator_set", "code"], name="renewal_indicator_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Measurement(models.Model):
    class Origin(models.TextChoices):
        ENTERED = "entered", _("填报")
        COMPUTED = "computed", _("平台计算")

    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="measurements")
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    unit_kind = models.CharField(_("空间单元类型"), max_length=10, choices=SpatialUnit.choices)
    unit_code = models.CharField(_("空间单元编码"), max_length=40)
    # Denormalised from the unit so that area-scoped reads filter in one join.
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=_("街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    value = models.FloatField(_("数值"))
    origin = models.CharField(_("来源"), max_length=10, choices=Origin.choices, default=Origin.ENTERED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填报人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("填报时间"), auto_now=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("体检指标值")
        verbose_name_plural = _("体检指标值")
        ordering = ["indicator", "unit_kind", "unit_code"]
        constraints = [models.UniqueConstraint(fields=["indicator", "unit_kind", "unit_code"], name="renewal_measurement_unique")]
        indexes = [models.Index(fields=["year", "unit_kind"], name="renewal_meas_year_kind")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.unit_code} {self.year}: {self.value}"


class Problem(models.Model):
    class Origin(models.TextChoices):
        INDICATOR = "indicator", _("指标不达标")
        FINDING = "finding", _("现场发现")

    class LocationKind(models.TextChoices):
        BUILDING = "building", _("楼栋")
        COMPOUND = "compound", _("小区")
        POINT = "point", _("点位")
        AREA = "area", _("片区")

    class Severity(models.TextChoices):
        MINOR = "minor", _("一般")
        MAJOR = "major", _("较重")
        SEVERE = "severe", _("严重")

    code = models.CharField(_("问题编号"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("体检年度"), db_index=True)
    origin = models.CharField(_("来源"), max_length=10, choices=Origin.choices)
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), null=True, blank=True, on_delete=models.PROTECT, related_name="problems")
    # The failing value a generated problem came from; one problem per failing measurement.
    measurement = models.OneToOneField(Measurement, verbose_name=_("不达标指标值"), null=True, blank=True, on_delete=models.SET_NULL, related_name="problem")
    problem_type = models.CharField(_("问题类型"), max_length=60, blank=True)
    title = models.CharField(_("问题"), max_length=200)
    description = models.TextField(_("问题描述"), blank=True)
    location_kind = models.CharField(_("位置类型"), max_length=10, choices=LocationKind.choices, default=LocationKind.AREA)
    compound = models.ForeignKey("geo.Compound", verbose_name=_("小区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    building = models.CharField(_("楼栋"), max_length=40, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=_("街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, default=Severity.MINOR)
    responsible_unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("整改时限"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=list(workflow.STATES.items()), default=workflow.PENDING, db_index=True)
    supervision_task = models.CharField(_("督办任务编号"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("体检问题")
        verbose_name_plural = _("体检问题")
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


def _photo_to(instance: "ProblemPhoto", filename: str) -> str:
    return f"renewal/problems/{instance.problem.code}/{filename}"


class ProblemPhoto(models.Model):
    problem = models.ForeignKey(Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=_photo_to, max_length=200)
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("问题照片")
        verbose_name_plural = _("问题照片")
        ordering = ["problem", "id"]


class ProblemRemedy(models.Model):
    """What fixes a problem: a case of the case module, or a renewal project.

    Projects are referred to by a string key ("renewal.project:<id>") so the ledger does not
    depend on the portfolio's models. A problem leaves 整改中 only by an accepted remedy.
    """

    class Kind(models.TextChoices):
        CASE = "case", _("案件")
        PROJECT = "project", _("更新项目")

    problem = models.ForeignKey(Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="remedies")
    kind = models.CharField(_("整改方式"), max_length=8, choices=Kind.choices)
    case = models.ForeignKey("cases.Case", verbose_name=_("案件"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    project_key = models.CharField(_("项目"), max_length=64, blank=True, db_index=True)
    linked_at = models.DateTimeField(_("关联时间"), auto_now_add=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("关联人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("验收人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Set when the re-check returned the problem: this acceptance no longer counts.
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改措施")
        verbose_name_plural = _("整改措施")
        ordering = ["problem", "id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "case"], condition=models.Q(kind="case"), name="renewal_remedy_case_once"),
            models.UniqueConstraint(fields=["problem", "project_key"], condition=models.Q(kind="project"), name="renewal_remedy_project_once"),
            models.CheckConstraint(condition=(models.Q(kind="case", case__isnull=False, project_key="")
                                              | models.Q(kind="project", case__isnull=True) & ~models.Q(project_key="")),
                                   name="renewal_remedy_kind_target"),
        ]

    def __str__(self) -> str:
        return self.project_key if self.kind == self.Kind.PROJECT else f"case:{self.case_id}"

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None and self.returned_at is None


class ProblemEvent(models.Model):
    """One transition of a problem, for its history."""

    problem = models.ForeignKey(Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=12)
    to_state = models.CharField(_("新状态"), max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("问题处理记录")
        verbose_name_plural = _("问题处理记录")
        ordering = ["problem", "at", "id"]
