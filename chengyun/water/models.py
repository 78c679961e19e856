"""Water environment: the registry (water bodies, reaches, sections, outfalls), evaluation
aggregates, alerts, the river-chief system (河湖长制) and visual monitoring of outfalls.

Locations are WGS84 lng/lat; lines (reaches, patrol tracks) GeoJSON text, as in ``geo``.
"""
from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chengyun.standards.gb3838 import LABELS

from .factors import factor_name

CLASS_CHOICES = [(k, v) for k, v in LABELS.items()]
TARGET_CHOICES = [(k, v) for k, v in LABELS.items() if k <= 5]


class WaterBody(models.Model):
    class Kind(models.TextChoices):
        RIVER = "river", _("河流")
        LAKE = "lake", _("湖泊/水库")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    # River: a LineString of its course; lake/reservoir: its Polygon. Optional (may be drawn later).
    geometry = models.TextField(_("几何（GeoJSON）"), blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("水体")
        verbose_name_plural = _("水体")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def gb3838_body(self) -> str:
        """The water body kind as GB 3838 Table 1 distinguishes it (TP, TN)."""
        return "lake" if self.kind == self.Kind.LAKE else "river"


class ChiefLevel(models.TextChoices):
    DISTRICT = "district", _("区级")
    STREET = "street", _("街道（乡镇）级")
    COMMUNITY = "community", _("社区（村）级")


class RiverChief(models.Model):
    """河湖长: a person appointed at one level; a person holds at most one appointment."""

    person = models.OneToOneField("people.Person", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="river_chief")
    level = models.CharField(_("层级"), max_length=10, choices=ChiefLevel.choices)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    active = models.BooleanField(_("在任"), default=True)

    class Meta:
        verbose_name = _("河湖长")
        verbose_name_plural = _("河湖长")
        ordering = ["level", "person__name"]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.get_level_display()}）"


class Reach(models.Model):
    """河段/湖片: the stretch of a water body one chief owns at one level."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    water_body = models.ForeignKey(WaterBody, verbose_name=_("水体"), on_delete=models.PROTECT, related_name="reaches")
    level = models.CharField(_("层级"), max_length=10, choices=ChiefLevel.choices)
    chief = models.ForeignKey(RiverChief, verbose_name=_("河湖长"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reaches")
    street = models.ForeignKey("geo.Street", verbose_name=_("所在街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=_("所在社区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    geometry = models.TextField(_("几何（GeoJSON）"), blank=True)
    length_m = models.FloatField(_("长度（米）"), default=0)

    class Meta:
        verbose_name = _("河段")
        verbose_name_plural = _("河段")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """What sections and outfalls share: a code, a point, the grid it lies in."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey("geo.Grid", verbose_name=_("所在网格"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=_("所在街道"), on_delete=models.PROTECT, related_name="+")
    water_body = models.ForeignKey(WaterBody, verbose_name=_("水体"), on_delete=models.PROTECT, related_name="+")
    reach = models.ForeignKey(Reach, verbose_name=_("河段"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Section(Site):
    """监测断面, with the class its water is meant to meet (水功能区目标)."""

    SITE_KIND = "section"
    target_class = models.PositiveSmallIntegerField(_("目标水质类别"), choices=TARGET_CHOICES)
    chief = models.ForeignKey(RiverChief, verbose_name=_("责任河长"), null=True, blank=True, on_delete=models.SET_NULL, related_name="sections")
    # Set while a target-class change waits for its history to be re-judged by a background
    # job (``services.targets``); the pages and the API say so meanwhile.
    rejudge_pending = models.BooleanField(_("历史复核中"), default=False)

    class Meta(Site.Meta):
        verbose_name = _("监测断面")
        verbose_name_plural = _("监测断面")

    @property
    def target_label(self) -> str:
        return LABELS[self.target_class]


class Outfall(Site):
    """入河排污口."""

    SITE_KIND = "outfall"

    class Kind(models.TextChoices):
        INDUSTRIAL = "industrial", _("工业")
        WWTP = "wwtp", _("城镇污水处理厂")
        RAIN = "rain", _("雨水")
        COMBINED = "combined", _("合流")
        OTHER = "other", _("其他")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")

    class Meta(Site.Meta):
        verbose_name = _("入河排污口")
        verbose_name_plural = _("入河排污口")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Aggregate(models.Model):
    """A section's (or outfall's) mean values over an hour, day or month, with the class.

    ``sums`` holds {factor: [sum, count]} of the valid readings in GB 3838 units, so a day
    is rebuilt from its hours and a month from its days; every rebuild recomputes from
    stored data, which makes evaluation idempotent however often a reading arrives.
    """

    class Period(models.TextChoices):
        HOUR = "hour", _("小时")
        DAY = "day", _("日")
        MONTH = "month", _("月")

    site_kind = models.CharField(_("站点类型"), max_length=8)
    site_code = models.CharField(_("站点编码"), max_length=32)
    period = models.CharField(_("周期"), max_length=5, choices=Period.choices)
    start = models.DateTimeField(_("开始时间"))
    sums = models.JSONField(_("累计"), default=dict)
    means = models.JSONField(_("均值"), default=dict)
    water_class = models.PositiveSmallIntegerField(_("水质类别"), null=True, blank=True, choices=CLASS_CHOICES)
    limiting = models.JSONField(_("定类因子"), default=list)
    target_class = models.PositiveSmallIntegerField(_("目标类别"), null=True, blank=True)
    compliant = models.BooleanField(_("达标"), null=True)
    excluded = models.PositiveIntegerField(_("剔除的标记数据"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("水质评价汇总")
        verbose_name_plural = _("水质评价汇总")
        ordering = ["site_kind", "site_code", "period", "start"]
        constraints = [models.UniqueConstraint(fields=["site_kind", "site_code", "period", "start"], name="water_aggregate_unique")]

    @property
    def label(self) -> str:
        return LABELS.get(self.water_class, "") if self.water_class else ""

    @property
    def limiting_names(self) -> list[str]:
        return [factor_name(k) for k in self.limiting]


class Alert(models.Model):
    class Kind(models.TextChoices):
        TARGET_EXCEEDED = "target_exceeded", _("超目标水质类别")
        SUDDEN_JUMP = "sudden_jump", _("数据突变")
        DEVICE_SILENT = "device_silent", _("设备离线")
        DEVICE_STALE = "device_stale", _("数据停更")
        DRY_WEATHER_FLOW = "dry_weather_flow", _("雨水口旱天出流")
        # Flow over the weir of a combined-sewer outfall (合流制溢流): storm sewage reaching the river.
        OUTFALL_OVERFLOW = "outfall_overflow", _("排口溢流")

    class Status(models.TextChoices):
        NEW = "new", _("新告警")
        ACKNOWLEDGED = "acknowledged", _("已确认")
        DISPOSED = "disposed", _("已处置")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default=Status.NEW)
    section = models.ForeignKey(Section, verbose_name=_("断面"), null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    outfall = models.ForeignKey(Outfall, verbose_name=_("排污口"), null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    # Denormalised from the site, for the policy's area scope.
    grid = models.ForeignKey("geo.Grid", verbose_name=_("所在网格"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=_("所在街道"), on_delete=models.PROTECT, related_name="+")
    device_mn = models.CharField(_("设备 MN"), max_length=32, blank=True)
    factor = models.CharField(_("因子"), max_length=20, blank=True)
    value = models.FloatField(_("监测值"), null=True, blank=True)
    threshold = models.FloatField(_("阈值"), null=True, blank=True)
    message = models.CharField(_("描述"), max_length=500)
    first_seen_at = models.DateTimeField(_("首次发现"))
    last_seen_at = models.DateTimeField(_("最近发现"))
    occurrences = models.PositiveIntegerField(_("次数"), default=1)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    disposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处置人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    disposed_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    disposal_note = models.TextField(_("处置说明"), blank=True)
    # Where the alert went: a city-management case or a supervision task.
    case_id = models.BigIntegerField(_("案件 ID"), null=True, blank=True)
    case_number = models.CharField(_("案件编号"), max_length=40, blank=True)
    task_id = models.BigIntegerField(_("督办任务 ID"), null=True, blank=True)
    # One open alert per site, kind and factor: repeats count on it instead of flooding the list.
    open_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("水环境告警")
        verbose_name_plural = _("水环境告警")
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [models.CheckConstraint(condition=Q(section__isnull=False) | Q(outfall__isnull=False), name="water_alert_has_site")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.site_code}"

    @property
    def site(self):
        return self.section or self.outfall

    @property
    def site_kind(self) -> str:
        return "section" if self.section_id else "outfall"

    @property
    def site_code(self) -> str:
        return self.site.code


class RainDay(models.Model):
    """A day with rain (or an explicitly dry day), kept by the ops center: flow at a rain
    outfall on a dry day is a sign of illicit discharge or a misconnection."""

    date = models.DateField(_("日期"), unique=True)
    rained = models.BooleanField(_("有降雨"), default=True)
    precipitation_mm = models.FloatField(_("降雨量（毫米）"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("降雨记录")
        verbose_name_plural = _("降雨记录")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {'雨' if self.rained else '晴'}"


class PatrolRule(models.Model):
    """How often and how thoroughly chiefs of one level must patrol (巡河要求)."""

    level = models.CharField(_("层级"), max_length=10, choices=ChiefLevel.choices, unique=True)
    patrols_per_month = models.PositiveSmallIntegerField(_("每月最少巡河次数"))
    min_duration_min = models.PositiveSmallIntegerField(_("单次最短时长（分钟）"))
    min_distance_m = models.PositiveIntegerField(_("单次最短距离（米）"))

    class Meta:
        verbose_name = _("巡河规则")
        verbose_name_plural = _("巡河规则")
        ordering = ["level"]

    def __str__(self) -> str:
        return str(self.get_level_display())


class PatrolRuleVersion(models.Model):
    """A patrol rule as it stood from ``effective_from`` on: every change of a ``PatrolRule`` adds
    one, so a past month is judged by the rule in force then (``services.patrols.rule_in_force``)."""

    level = models.CharField(_("层级"), max_length=10, choices=ChiefLevel.choices)
    effective_from = models.DateTimeField(_("生效时间"))
    patrols_per_month = models.PositiveSmallIntegerField(_("每月最少巡河次数"))
    min_duration_min = models.PositiveSmallIntegerField(_("单次最短时长（分钟）"))
    min_distance_m = models.PositiveIntegerField(_("单次最短距离（米）"))

    class Meta:
        verbose_name = _("巡河规则版本")
        verbose_name_plural = _("巡河规则版本")
        ordering = ["level", "-effective_from", "-id"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.effective_from:%Y-%m-%d}"


class Patrol(models.Model):
    class Status(models.TextChoices):
        ONGOING = "ongoing", _("巡河中")
        FINISHED = "finished", _("已结束")
        # Abandoned (e.g. too few GPS points to submit a track): kept for the record, never counted.
        CANCELLED = "cancelled", _("已放弃")

    chief = models.ForeignKey(RiverChief, verbose_name=_("河湖长"), on_delete=models.PROTECT, related_name="patrols")
    reach = models.ForeignKey(Reach, verbose_name=_("河段"), null=True, blank=True, on_delete=models.SET_NULL, related_name="patrols")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ONGOING)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # GeoJSON LineString of [lng, lat] points; timestamps of points are not kept.
    track = models.TextField(_("轨迹（GeoJSON）"), blank=True)
    duration_s = models.PositiveIntegerField(_("时长（秒）"), default=0)
    distance_m = models.FloatField(_("距离（米）"), default=0)
    note = models.TextField(_("巡河记录"), blank=True)

    class Meta:
        verbose_name = _("巡河记录")
        verbose_name_plural = _("巡河记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.chief.person.name} {self.started_at:%Y-%m-%d}"

    @property
    def points(self) -> list[list[float]]:
        return json.loads(self.track)["coordinates"] if self.track else []


class PatrolProblem(models.Model):
    class Kind(models.TextChoices):
        # 四乱
        ENCROACHMENT = "encroachment", _("乱占")
        MINING = "mining", _("乱采")
        DUMPING = "dumping", _("乱堆")
        CONSTRUCTION = "construction", _("乱建")
        # Water problems
        POLLUTION = "pollution", _("水体污染")
        DISCHARGE = "discharge", _("违法排污")
        FLOATING = "floating", _("水面漂浮物")

    patrol = models.ForeignKey(Patrol, verbose_name=_("巡河记录"), on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(_("问题类型"), max_length=14, choices=Kind.choices)
    description = models.TextField(_("描述"))
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey("geo.Grid", verbose_name=_("所在网格"), null=True, on_delete=models.PROTECT, related_name="+")
    photo = models.FileField(_("照片"), upload_to="water/patrols/%Y/%m/", blank=True)
    found_at = models.DateTimeField(_("发现时间"))
    case_id = models.BigIntegerField(_("案件 ID"), null=True, blank=True)
    case_number = models.CharField(_("案件编号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("巡河问题")
        verbose_name_plural = _("巡河问题")
        ordering = ["found_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description[:20]}"


class Camera(models.Model):
    """A camera watching an outfall; it uploads snapshots with its own account's API token."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    outfall = models.ForeignKey(Outfall, verbose_name=_("排污口"), on_delete=models.PROTECT, related_name="cameras")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("设备账号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("视频监控点")
        verbose_name_plural = _("视频监控点")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Snapshot(models.Model):
    camera = models.ForeignKey(Camera, verbose_name=_("监控点"), on_delete=models.PROTECT, related_name="snapshots")
    outfall = models.ForeignKey(Outfall, verbose_name=_("排污口"), on_delete=models.PROTECT, related_name="snapshots")
    taken_at = models.DateTimeField(_("拍摄时间"), db_index=True)
    image = models.FileField(_("图片"), upload_to="water/snapshots/%Y/%m/")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("抓拍")
        verbose_name_plural = _("抓拍")
        ordering = ["-taken_at", "-id"]

    def __str__(self) -> str:
        return f"{self.camera.code} {self.taken_at:%Y-%m-%d %H:%M}"
