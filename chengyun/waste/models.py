"""垃圾分类 and 无废城市: demonstration areas, the sorting register per compound (geo.Compound) with
surveys and inspections, and the district's 无废城市 indicators with yearly targets and actuals."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class DemoArea(models.Model):
    """垃圾分类示范片区: a street's (街道's) area of compounds, units and public places built up to the standard."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("区级")
        CITY = "city", _("市级")

    code = models.CharField(_("编号"), max_length=32, unique=True)
    name = models.CharField(_("片区名称"), max_length=100)
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, default=Level.DISTRICT)
    designated_on = models.DateField(_("命名日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("垃圾分类示范片区")
        verbose_name_plural = _("垃圾分类示范片区")
        ordering = ["designated_on", "code"]

    def __str__(self) -> str:
        return self.name


class SortingCompound(models.Model):
    """A compound's place in the sorting programme and its latest rates (kept by services.checks)."""

    compound = models.OneToOneField("geo.Compound", verbose_name=_("小区"), on_delete=models.CASCADE, related_name="sorting")
    community = models.ForeignKey("geo.Community", verbose_name=pgettext_lazy("行政区划", "社区"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), on_delete=models.PROTECT, related_name="+")
    sorting_since = models.DateField(_("实施分类日期"), null=True, blank=True)
    demo_area = models.ForeignKey(DemoArea, verbose_name=_("示范片区"), null=True, blank=True, on_delete=models.SET_NULL, related_name="compounds")
    joined_area_on = models.DateField(_("纳入片区日期"), null=True, blank=True)
    awareness = models.FloatField(_("知晓率（%）"), null=True, blank=True)
    participation = models.FloatField(_("参与率（%）"), null=True, blank=True)
    accuracy = models.FloatField(_("准确率（%）"), null=True, blank=True)
    compliant = models.BooleanField(_("达标小区"), default=False, db_index=True)
    assessed_on = models.DateField(_("评定日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("分类小区")
        verbose_name_plural = _("分类小区")
        ordering = ["compound__code"]

    def __str__(self) -> str:
        return str(self.compound_id)


class SortingCheck(models.Model):
    """A survey (入户问卷: awareness, participation) or an inspection (桶边检查: accuracy, participation)."""

    class Kind(models.TextChoices):
        SURVEY = "survey", _("入户调查")
        INSPECTION = "inspection", _("桶边检查")

    code = models.CharField(_("编号"), max_length=32, unique=True)
    compound = models.ForeignKey("geo.Compound", verbose_name=_("小区"), on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=pgettext_lazy("行政区划", "社区"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    checked_on = models.DateField(_("日期"), db_index=True)
    sample = models.PositiveIntegerField(_("样本户数"))
    aware = models.PositiveIntegerField(_("知晓户数"), null=True, blank=True)
    participating = models.PositiveIntegerField(_("参与户数"), null=True, blank=True)
    correct = models.PositiveIntegerField(_("准确投放户数"), null=True, blank=True)
    inspector = models.CharField(_("调查人"), max_length=50)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("分类调查检查")
        verbose_name_plural = _("分类调查检查")
        ordering = ["-checked_on", "-id"]

    def __str__(self) -> str:
        return self.code

    def rate(self, count: int | None) -> float | None:
        return None if count is None or not self.sample else round(count / self.sample * 100, 2)


class ZeroWasteIndicator(models.Model):
    class Direction(models.TextChoices):
        HIGHER = "higher", _("越高越好")
        LOWER = "lower", _("越低越好")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("指标名称"), max_length=100)
    unit_label = models.CharField(_("计量单位"), max_length=20, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    category = models.CharField(_("类别"), max_length=30, blank=True)  # 5 一级: 源头减量, 资源化利用, 最终处置, 保障能力, 群众获得感
    basis = models.CharField(_("依据"), max_length=200, blank=True)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.PositiveSmallIntegerField(_("顺序"), default=100)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("无废城市指标")
        verbose_name_plural = _("无废城市指标")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class ZeroWasteValue(models.Model):
    indicator = models.ForeignKey(ZeroWasteIndicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField(_("年度"))
    target = models.FloatField(_("目标值"), null=True, blank=True)
    actual = models.FloatField(_("实际值"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("无废城市指标年度值")
        verbose_name_plural = _("无废城市指标年度值")
        ordering = ["indicator__order", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="waste_value_year")]

    @property
    def met(self) -> bool | None:
        if self.target is None or self.actual is None:
            return None
        if self.indicator.direction == ZeroWasteIndicator.Direction.LOWER:
            return self.actual <= self.target
        return self.actual >= self.target
