"""Roads (道路): segments, ground-penetrating-radar hazard surveys and collapse risk.

Geometry is GeoJSON text in WGS84/CGCS2000 as elsewhere; the pipes beneath a road are found
with an in-memory STRtree over the drainage network (services.collapse_risk).
"""
from __future__ import annotations

import json
from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from shapely.geometry import shape


class RoadSegment(models.Model):
    class RoadClass(models.TextChoices):
        EXPRESSWAY = "expressway", _("快速路")
        ARTERIAL = "arterial", _("主干路")
        SECONDARY = "secondary", _("次干路")
        BRANCH = "branch", _("支路")

    class Traffic(models.TextChoices):
        # CJJ 37 交通等级 (light … extra heavy): how hard the traffic loads the ground above a cavity.
        LIGHT = "light", _("轻交通")
        MEDIUM = "medium", _("中等交通")
        HEAVY = "heavy", _("重交通")
        EXTRA_HEAVY = "extra_heavy", _("特重交通")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("道路名称"), max_length=100)
    road_class = models.CharField(_("道路等级"), max_length=12, choices=RoadClass.choices)
    traffic = models.CharField(_("交通等级"), max_length=12, choices=Traffic.choices, default=Traffic.MEDIUM)
    width_m = models.FloatField(_("路幅宽度（米）"), default=12)
    length_m = models.FloatField(_("长度（米）"))
    geometry = models.TextField(_("线形（GeoJSON）"))
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey("geo.Unit", verbose_name=_("管养单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Collapse risk, recomputed by services.recompute_risk; the factors are kept to show why.
    risk_score = models.FloatField(_("塌陷风险分"), default=0, db_index=True)
    risk_level = models.CharField(_("风险等级"), max_length=8, blank=True)
    risk_factors = models.JSONField(_("风险分项"), default=dict, blank=True)
    risk_at = models.DateTimeField(_("风险计算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("道路路段")
        verbose_name_plural = _("道路路段")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @cached_property
    def shape(self):
        return shape(json.loads(self.geometry))


class HazardSurvey(models.Model):
    """道路隐患排查: a survey campaign over the district's roads with a deadline."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("计划")
        ACTIVE = "active", _("排查中")
        DONE = "done", _("已完成")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    method = models.CharField(_("方法"), max_length=30, default="GPR")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("实施单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField(_("开始日期"))
    deadline = models.DateField(_("完成期限"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("隐患排查")
        verbose_name_plural = _("隐患排查")
        ordering = ["-started_on"]

    def __str__(self) -> str:
        return self.name


class SurveyedSegment(models.Model):
    survey = models.ForeignKey(HazardSurvey, verbose_name=_("排查"), on_delete=models.CASCADE, related_name="surveyed")
    segment = models.ForeignKey(RoadSegment, verbose_name=_("路段"), on_delete=models.CASCADE, related_name="surveys")
    surveyed_on = models.DateField(_("排查日期"))
    operator = models.CharField(_("排查人员"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("已排查路段")
        verbose_name_plural = _("已排查路段")
        constraints = [models.UniqueConstraint(fields=["survey", "segment"], name="roads_surveyed_once")]


class HazardFinding(models.Model):
    """A ground-penetrating-radar finding under the road: 空洞, 脱空 or 疏松."""

    class Kind(models.TextChoices):
        CAVITY = "cavity", _("空洞")
        VOID = "void", _("脱空")
        LOOSE = "loose", _("疏松")

    class Status(models.TextChoices):
        OPEN = "open", _("待处置")
        TREATED = "treated", _("已处置")

    survey = models.ForeignKey(HazardSurvey, verbose_name=_("排查"), null=True, blank=True, on_delete=models.SET_NULL, related_name="findings")
    segment = models.ForeignKey(RoadSegment, verbose_name=_("路段"), on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(_("编号"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    depth_m = models.FloatField(_("顶板埋深（米）"))
    length_m = models.FloatField(_("长（米）"))
    width_m = models.FloatField(_("宽（米）"))
    height_m = models.FloatField(_("净高（米）"), default=0)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    found_on = models.DateField(_("发现日期"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("隐患点")
        verbose_name_plural = _("隐患点")
        ordering = ["-found_on", "code"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"


class RiskRun(models.Model):
    """When the collapse risk was last computed, and from which inputs (to tell when it is stale)."""

    signature = models.CharField(_("输入签名"), max_length=200)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)
    segments = models.PositiveIntegerField(_("路段数"), default=0)
    high = models.PositiveIntegerField(_("高风险路段数"), default=0)

    class Meta:
        verbose_name = _("风险计算记录")
        verbose_name_plural = _("风险计算记录")
        ordering = ["-computed_at", "-id"]
