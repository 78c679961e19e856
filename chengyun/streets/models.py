"""街长制 and 夜间经济: who answers for which road segment, the patrols walked along them, and the
night economy's zones, per-street policies (一街一策), outdoor-dining permits and violations.

Road segments are ``roads.RoadSegment`` (shared with sanitation); this app only adds who is
responsible for them. Geometry is GeoJSON text in WGS84 as elsewhere.
"""
from __future__ import annotations

import json
from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from shapely.geometry import shape

ACTIVITIES = {
    "outdoor_dining": _("外摆"),
    "night_market": _("夜市摊位"),
    "barbecue": _("烧烤"),
    "performance": _("演艺"),
}


class SegmentAssignment(models.Model):
    """One road segment's street chief (a leader) and team from ``valid_from``; the row open at
    ``valid_to`` None is the current one, closed rows are the history."""

    segment = models.ForeignKey("roads.RoadSegment", verbose_name=_("路段"), on_delete=models.CASCADE, related_name="+")
    chief = models.ForeignKey("people.Person", verbose_name=_("街长"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("geo.Unit", verbose_name=_("责任队伍"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    communities = models.JSONField(_("途经社区"), default=list, blank=True)
    grids = models.JSONField(_("途经网格"), default=list, blank=True)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("路段责任")
        verbose_name_plural = _("路段责任")
        ordering = ["segment_id", "-valid_from", "-id"]
        constraints = [models.UniqueConstraint(fields=["segment"], condition=models.Q(valid_to__isnull=True), name="streets_one_current_assignment")]

    def __str__(self) -> str:
        return f"{self.segment_id} → {self.chief}"


class PatrolRule(models.Model):
    """A frequency rule (e.g. a leader at least once a week on each of their segments), versioned:
    a change adds a row, and a period is judged by the row in force at its start."""

    class Kind(models.TextChoices):
        LEADER = "leader", _("街长巡街")
        TEAM = "team", _("队伍巡查")

    class Period(models.TextChoices):
        WEEK = "week", _("每周")
        MONTH = "month", _("每月")

    kind = models.CharField(_("巡查类型"), max_length=8, choices=Kind.choices)
    period = models.CharField(_("周期"), max_length=8, choices=Period.choices)
    min_patrols = models.PositiveSmallIntegerField(_("每个路段最少次数"))
    min_share = models.FloatField(_("一次算走过的最小覆盖比例"), default=0.5)
    effective_from = models.DateField(_("生效日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("巡查频次规则")
        verbose_name_plural = _("巡查频次规则")
        ordering = ["kind", "-effective_from", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_period_display()}≥{self.min_patrols}"


class Patrol(models.Model):
    class Status(models.TextChoices):
        ONGOING = "ongoing", _("巡查中")
        FINISHED = "finished", _("已结束")

    kind = models.CharField(_("巡查类型"), max_length=8, choices=PatrolRule.Kind.choices)
    patroller = models.ForeignKey("people.Person", verbose_name=_("巡查人"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("geo.Unit", verbose_name=_("队伍"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ONGOING)
    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    track = models.TextField(_("轨迹（GeoJSON）"), blank=True)
    track_times = models.JSONField(_("轨迹时间"), default=list, blank=True)
    distance_m = models.FloatField(_("里程（米）"), default=0)
    points_received = models.PositiveIntegerField(_("收到轨迹点"), default=0)
    dropped = models.JSONField(_("剔除的轨迹点"), default=list, blank=True)
    source = models.CharField(_("来源"), max_length=10, default="phone")  # phone | gpx | entered
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("巡街记录")
        verbose_name_plural = _("巡街记录")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.patroller} {self.started_at:%Y-%m-%d %H:%M}"

    @cached_property
    def shape(self):
        return shape(json.loads(self.track)) if self.track else None


class PatrolCoverage(models.Model):
    """How much of a segment one patrol walked (metres of the segment within the track's buffer),
    computed once when the track arrives so coverage over weeks is a sum, not a geometry job."""

    patrol = models.ForeignKey(Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE, related_name="coverage")
    segment = models.ForeignKey("roads.RoadSegment", verbose_name=_("路段"), on_delete=models.CASCADE, related_name="+")
    covered_m = models.FloatField(_("覆盖长度（米）"))
    share = models.FloatField(_("覆盖比例"))
    intervals = models.JSONField(_("覆盖区间（米）"), default=list)

    class Meta:
        verbose_name = _("巡查覆盖")
        verbose_name_plural = _("巡查覆盖")
        constraints = [models.UniqueConstraint(fields=["patrol", "segment"], name="streets_coverage_once")]


class PatrolFinding(models.Model):
    """A problem reported on the way; filed as a case at once (``case_number``)."""

    class Kind(models.TextChoices):
        # The 十无 list of 街巷 environment problems, plus night-economy violations.
        BUILDING = "building", _("私搭乱建")
        OCCUPY = "occupy", _("乱占道")
        PARKING = "parking", _("乱停车")
        ADS = "ads", _("违规广告牌匾")
        ROAD = "road", _("道路破损")
        PILING = "piling", _("堆物堆料")
        FACADE = "facade", _("外立面破损")
        NIGHT = "night", _("夜间经营违规")

    patrol = models.ForeignKey(Patrol, verbose_name=_("巡查"), on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("问题类型"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("描述"), max_length=500)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    found_at = models.DateTimeField(_("发现时间"))
    case_id = models.IntegerField(_("案件"), null=True, blank=True)
    case_number = models.CharField(_("案件编号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("巡查发现")
        verbose_name_plural = _("巡查发现")
        ordering = ["-found_at"]


# ------------------------------------------------------------------ night economy


class NightZone(models.Model):
    class Kind(models.TextChoices):
        FORBIDDEN = "forbidden", _("严禁区域")
        CONTROLLED = "controlled", _("控制区域")
        OPEN = "open", _("开放区域")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("管控类别"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("划定理由"), max_length=100, blank=True)
    geometry = models.TextField(_("范围（GeoJSON）"))
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("夜间经济管控区")
        verbose_name_plural = _("夜间经济管控区")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def shape(self):
        return shape(json.loads(self.geometry))


class NightPolicy(models.Model):
    """一街一策: one street's or business district's rules, its area, season and limits."""

    class Kind(models.TextChoices):
        BUSINESS = "business", _("商圈")
        TOURIST = "tourist", _("旅游街区")
        STREET = "street", _("特色街道")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    geometry = models.TextField(_("范围（GeoJSON）"))
    # Season as month-day pairs ("04-10" … "09-30"); may wrap over the new year.
    season_start = models.CharField(_("经营季开始（月-日）"), max_length=5, default="01-01")
    season_end = models.CharField(_("经营季结束（月-日）"), max_length=5, default="12-31")
    tourist_start = models.DateField(_("旅游旺季开始"), null=True, blank=True)
    tourist_end = models.DateField(_("旅游旺季结束"), null=True, blank=True)
    min_passage_m = models.FloatField(_("最小人行通道宽度（米）"), default=2.0)
    tactile_buffer_m = models.FloatField(_("距盲道最小距离（米）"), default=0.5)
    max_depth_m = models.FloatField(_("距建筑线最大进深（米）"), default=3.0)
    noise_class = models.CharField(_("声环境功能区类别"), max_length=2, default="2")
    publicity_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=7)
    strikes_to_revoke = models.PositiveSmallIntegerField(_("违规几次撤销当季许可"), default=3)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("一街一策")
        verbose_name_plural = _("一街一策")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def shape(self):
        return shape(json.loads(self.geometry))


class PolicyWindow(models.Model):
    """A daily time window for one activity. ``end_minute`` may be 1440 (24:00); an end not
    after the start runs past midnight into the next morning."""

    class DayType(models.TextChoices):
        REGULAR = "regular", _("平日（经营季内）")
        HOLIDAY = "holiday", _("法定节假日")
        TOURIST = "tourist", _("旅游旺季")

    policy = models.ForeignKey(NightPolicy, verbose_name=_("一街一策"), on_delete=models.CASCADE, related_name="windows")
    activity = models.CharField(_("经营活动"), max_length=16, choices=list(ACTIVITIES.items()))
    day_type = models.CharField(_("适用日"), max_length=8, choices=DayType.choices, default=DayType.REGULAR)
    start_minute = models.PositiveSmallIntegerField(_("开始（分钟）"))
    end_minute = models.PositiveSmallIntegerField(_("结束（分钟）"))

    class Meta:
        verbose_name = _("经营时段")
        verbose_name_plural = _("经营时段")
        ordering = ["policy_id", "activity", "day_type", "start_minute"]

    @staticmethod
    def hhmm(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    @property
    def label(self) -> str:
        return f"{self.hhmm(self.start_minute)}–{self.hhmm(self.end_minute)}"


class Shop(models.Model):
    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("店名"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(NightPolicy, verbose_name=_("一街一策"), null=True, blank=True, on_delete=models.SET_NULL, related_name="shops")

    class Meta:
        verbose_name = _("商户")
        verbose_name_plural = _("商户")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Permit(models.Model):
    """外摆许可: the state is one of ``permit_workflow.STATES``; moves only through its table."""

    number = models.CharField(_("许可编号"), max_length=40, unique=True)
    shop = models.ForeignKey(Shop, verbose_name=_("商户"), on_delete=models.PROTECT, related_name="permits")
    policy = models.ForeignKey(NightPolicy, verbose_name=_("一街一策"), on_delete=models.PROTECT, related_name="permits")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=12, default="applied", db_index=True)
    season = models.PositiveSmallIntegerField(_("经营年度"))
    area_m2 = models.FloatField(_("外摆面积（平方米）"))
    tables = models.PositiveSmallIntegerField(_("桌数"))
    depth_m = models.FloatField(_("距建筑线进深（米）"))
    passage_m = models.FloatField(_("保留人行通道（米）"))
    tactile_m = models.FloatField(_("距盲道（米）"), null=True, blank=True)
    geometry = models.TextField(_("外摆位置（GeoJSON）"))
    applied_at = models.DateTimeField(_("申请时间"))
    publicity_from = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_until = models.DateField(_("公示截止"), null=True, blank=True)
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_to = models.DateField(_("有效期止"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("外摆许可")
        verbose_name_plural = _("外摆许可")
        ordering = ["-applied_at"]

    def __str__(self) -> str:
        return self.number

    @cached_property
    def shape(self):
        return shape(json.loads(self.geometry))


class PermitEvent(models.Model):
    permit = models.ForeignKey(Permit, verbose_name=_("外摆许可"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12)
    at = models.DateTimeField(_("时间"))
    actor_name = models.CharField(_("操作人"), max_length=50, blank=True)
    note = models.CharField(_("意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("许可办理记录")
        verbose_name_plural = _("许可办理记录")
        ordering = ["at", "id"]


class Violation(models.Model):
    """A night-economy violation found on patrol (or desk-filed), citing the rule it broke."""

    shop = models.ForeignKey(Shop, verbose_name=_("商户"), null=True, blank=True, on_delete=models.PROTECT, related_name="violations")
    permit = models.ForeignKey(Permit, verbose_name=_("外摆许可"), null=True, blank=True, on_delete=models.SET_NULL, related_name="violations")
    policy = models.ForeignKey(NightPolicy, verbose_name=_("一街一策"), null=True, blank=True, on_delete=models.SET_NULL, related_name="violations")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    finding = models.OneToOneField(PatrolFinding, verbose_name=_("巡查发现"), null=True, blank=True, on_delete=models.SET_NULL, related_name="violation")
    activity = models.CharField(_("经营活动"), max_length=16, choices=list(ACTIVITIES.items()))
    rule_code = models.CharField(_("违反规则"), max_length=30)
    rule_text = models.CharField(_("规则说明"), max_length=300)
    found_at = models.DateTimeField(_("发现时间"), db_index=True)
    season = models.PositiveSmallIntegerField(_("经营年度"))
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    case_id = models.IntegerField(_("案件"), null=True, blank=True)
    case_number = models.CharField(_("案件编号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("夜间经营违规")
        verbose_name_plural = _("夜间经营违规")
        ordering = ["-found_at"]
