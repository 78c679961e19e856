"""环卫: sweeping vehicles and their day tracks, the sweeping plan per road segment, coverage per
segment and day, quality inspections (CJJ/T 126-2022) and 环卫示范街 with monthly scores.

Road segments are ``roads.RoadSegment`` (read only here). A day's track is stored compactly
(trackcodec: delta-encoded integers, zlib) because a month of 20 vehicles is millions of points.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from chengyun.standards import cjjt126

GRADE_CHOICES = [(g, _(n)) for g, n in cjjt126.GRADE_NAMES.items()]


class Vehicle(models.Model):
    class Kind(models.TextChoices):
        WASH_SWEEPER = "wash_sweeper", _("洗扫车")
        SWEEPER = "sweeper", _("扫路车")
        WASHER = "washer", _("冲洗车")
        SPRINKLER = "sprinkler", _("洒水车")

    code = models.CharField(_("车载终端编号"), max_length=32, unique=True)
    plate = models.CharField(_("车牌号"), max_length=16, unique=True)
    kind = models.CharField(_("车型"), max_length=16, choices=Kind.choices, default=Kind.WASH_SWEEPER)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("作业单位"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The MQTT feed's password (like a monitoring device's PW); never shown, masked in the audit log.
    feed_password = models.CharField(_("接入密码"), max_length=64, blank=True)
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("机扫车辆")
        verbose_name_plural = _("机扫车辆")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.plate}（{self.get_kind_display()}）"


class SweepPlan(models.Model):
    """A segment's cleaning grade and the mechanized passes a day the plan asks of it."""

    segment = models.OneToOneField("roads.RoadSegment", verbose_name=_("路段"), on_delete=models.CASCADE, related_name="sweep_plan")
    grade = models.PositiveSmallIntegerField(_("保洁等级"), choices=GRADE_CHOICES)
    passes_per_day = models.PositiveSmallIntegerField(_("计划机扫遍数（每日）"))
    unit = models.ForeignKey("geo.Unit", verbose_name=_("作业单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("机扫计划")
        verbose_name_plural = _("机扫计划")
        ordering = ["segment__code"]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.grade}"


class Track(models.Model):
    """One vehicle's points of one (China) day, cleaned; what the cleaning dropped is kept beside."""

    class Source(models.TextChoices):
        IMPORT = "import", _("文件导入")
        API = "api", _("接口上传")
        MQTT = "mqtt", _("MQTT 实时")
        DEMO = "demo", _("演示数据")

    vehicle = models.ForeignKey(Vehicle, verbose_name=_("车辆"), on_delete=models.CASCADE, related_name="tracks")
    day = models.DateField(_("日期"), db_index=True)
    points = models.BinaryField(_("轨迹点（压缩）"))
    n_points = models.PositiveIntegerField(_("点数"), default=0)
    length_m = models.FloatField(_("里程（米）"), default=0)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    dropped_count = models.PositiveIntegerField(_("剔除点数"), default=0)
    # The dropped points (index as received, time, position, reason, speed); the first few hundred.
    dropped = models.JSONField(_("剔除明细"), default=list, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.IMPORT)
    matched = models.BooleanField(_("已匹配路段"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("作业轨迹")
        verbose_name_plural = _("作业轨迹")
        ordering = ["-day", "vehicle__code"]
        constraints = [models.UniqueConstraint(fields=["vehicle", "day"], name="sanitation_track_vehicle_day")]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.day}"


class SegmentDay(models.Model):
    """Mechanized sweeping of one segment on one day, from the day's matched tracks."""

    segment = models.ForeignKey("roads.RoadSegment", verbose_name=_("路段"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"), db_index=True)
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    length_m = models.FloatField(_("路段长度（米）"))
    planned_passes = models.PositiveSmallIntegerField(_("计划遍数"), default=0)
    passes = models.PositiveSmallIntegerField(_("完成遍数"), default=0)
    swept_m = models.FloatField(_("机扫里程（米）"), default=0)
    covered_m = models.FloatField(_("覆盖长度（米）"), default=0)

    class Meta:
        verbose_name = _("路段日机扫")
        verbose_name_plural = _("路段日机扫")
        ordering = ["-day", "segment__code"]
        constraints = [models.UniqueConstraint(fields=["segment", "day"], name="sanitation_segment_day")]

    @property
    def planned_m(self) -> float:
        return self.length_m * self.planned_passes

    @property
    def met(self) -> bool:
        return self.passes >= self.planned_passes


class Inspection(models.Model):
    """A quality inspection of a segment with CJJ/T 126-2022's indicators and the grade reached."""

    code = models.CharField(_("编号"), max_length=32, unique=True)
    segment = models.ForeignKey("roads.RoadSegment", verbose_name=_("路段"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    inspected_on = models.DateField(_("检查日期"), db_index=True)
    inspector = models.CharField(_("检查人"), max_length=50)
    required_grade = models.PositiveSmallIntegerField(_("应达等级"), choices=GRADE_CHOICES)
    sensory = models.FloatField(_("感观质量（分）"))
    litter = models.FloatField(_("可见垃圾（处/1000㎡）"))
    stain = models.FloatField(_("污渍（㎡/1000㎡）"))
    cleanliness = models.FloatField(_("清洁度（%）"))
    dust = models.FloatField(_("尘负荷（g/㎡）"), null=True, blank=True)
    grade_reached = models.PositiveSmallIntegerField(_("达到等级"), choices=GRADE_CHOICES, null=True, blank=True)
    meets = models.BooleanField(_("达标"), default=False, db_index=True)
    failures = models.JSONField(_("未达标指标"), default=list, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保洁质量检查")
        verbose_name_plural = _("保洁质量检查")
        ordering = ["-inspected_on", "-id"]

    def __str__(self) -> str:
        return self.code


class ScoreItem(models.Model):
    """One line of the district's 环卫示范街 score sheet (configurable: add, reweigh, retire)."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("考核内容"), max_length=100)
    max_score = models.PositiveSmallIntegerField(_("分值"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=100)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("示范街评分项")
        verbose_name_plural = _("示范街评分项")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class DemoStreet(models.Model):
    """环卫示范街: a named stretch of road (one or more segments) created and scored monthly."""

    class Status(models.TextChoices):
        CREATING = "creating", _("创建中")
        NAMED = "named", _("已命名")
        REVOKED = "revoked", _("已摘牌")

    code = models.CharField(_("编号"), max_length=32, unique=True)
    name = models.CharField(_("示范街名称"), max_length=100)
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    segments = models.ManyToManyField("roads.RoadSegment", verbose_name=_("路段"), related_name="+")
    length_m = models.FloatField(_("长度（米）"), default=0)
    shops = models.PositiveIntegerField(_("沿街商铺数"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.CREATING, db_index=True)
    since = models.DateField(_("创建日期"))

    class Meta:
        verbose_name = _("环卫示范街")
        verbose_name_plural = _("环卫示范街")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MonthlyScore(models.Model):
    demo_street = models.ForeignKey(DemoStreet, verbose_name=_("示范街"), on_delete=models.CASCADE, related_name="scores")
    month = models.DateField(_("月份"))  # the first of the month
    items = models.JSONField(_("分项得分"), default=dict)  # ScoreItem code -> score
    total = models.FloatField(_("总分"))
    full = models.FloatField(_("满分"))
    passed = models.BooleanField(_("合格"), default=False)
    scored_by = models.CharField(_("评分人"), max_length=50, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("示范街月度评分")
        verbose_name_plural = _("示范街月度评分")
        ordering = ["-month", "demo_street__code"]
        constraints = [models.UniqueConstraint(fields=["demo_street", "month"], name="sanitation_score_month")]
