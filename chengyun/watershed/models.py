"""Watershed governance: small watersheds (生态清洁型小流域) with their measures, indicator sheet and
sediment/runoff record; soil-disturbing projects under soil and water conservation supervision
(水土保持监督); boundary sections shared with neighbouring districts, the data exchange with them
and the joint incidents (跨区域联防联控联治); the ecological-civilization demonstration target sheet.

Geometry is GeoJSON text in WGS84, as in ``geo`` and ``water``.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chengyun.core.fieldcrypto import EncryptedCharField
from chengyun.standards.gb3838 import LABELS

TARGET_CHOICES = [(k, v) for k, v in LABELS.items() if k <= 5]


class Watershed(models.Model):
    class Origin(models.TextChoices):
        IMPORTED = "imported", _("导入")
        DERIVED = "derived", _("按断面推算")
        DRAWN = "drawn", _("手工勾绘")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    water_body = models.ForeignKey("water.WaterBody", verbose_name=_("所属水体"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey("water.Section", verbose_name=_("出口断面"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sections = models.ManyToManyField("water.Section", verbose_name=_("断面"), blank=True, related_name="+")
    reaches = models.ManyToManyField("water.Reach", verbose_name=_("河段"), blank=True, related_name="+")
    boundary = models.TextField(_("边界（GeoJSON）"), blank=True)
    origin = models.CharField(_("边界来源"), max_length=10, choices=Origin.choices, default=Origin.DRAWN)
    area_km2 = models.FloatField(_("面积（平方千米）"), default=0)
    # {"耕地": 32.5, "林地": 40.1, …}: shares of the area in per cent.
    land_use = models.JSONField(_("土地利用（%）"), default=dict, blank=True)
    # The sediment a year may carry out of the watershed, and the runoff kept stable around a baseline.
    sediment_target_t = models.FloatField(_("年泥沙输出目标（吨）"), null=True, blank=True)
    runoff_baseline_m3 = models.FloatField(_("年径流基准（万立方米）"), null=True, blank=True)
    runoff_tolerance_pct = models.FloatField(_("径流允许偏差（%）"), default=20)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("小流域")
        verbose_name_plural = _("小流域")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Measure(models.Model):
    """A treatment measure (治理措施) as a feature with its quantity and date."""

    class Kind(models.TextChoices):
        TERRACE = "terrace", _("梯田")
        CHECK_DAM = "check_dam", _("淤地坝/谷坊")
        VEGETATION = "vegetation", _("林草植被")
        SEWAGE = "sewage", _("污水收集处理")
        BUFFER = "buffer", _("植物缓冲带")
        WASTE = "waste", _("垃圾收集处置")

    UNITS = {"terrace": "公顷", "check_dam": "座", "vegetation": "公顷", "sewage": "户", "buffer": "千米", "waste": "处"}

    watershed = models.ForeignKey(Watershed, verbose_name=_("小流域"), on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("措施类型"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    quantity = models.FloatField(_("数量"))
    unit = models.CharField(_("单位"), max_length=12)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    geometry = models.TextField(_("位置（GeoJSON）"), blank=True)

    class Meta:
        verbose_name = _("治理措施")
        verbose_name_plural = _("治理措施")
        ordering = ["watershed", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One line of the ecologically clean small watershed sheet, with the district's target and the
    range a value may take (a value outside it is refused, naming the indicator)."""

    class Direction(models.TextChoices):
        AT_LEAST = "at_least", _("不低于目标")
        AT_MOST = "at_most", _("不高于目标")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("指标"), max_length=100)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    direction = models.CharField(_("判定方向"), max_length=8, choices=Direction.choices)
    target = models.FloatField(_("目标值"))
    min_value = models.FloatField(_("下限"), default=0)
    max_value = models.FloatField(_("上限"), null=True, blank=True)
    # "sediment": the year's sediment per km² (土壤侵蚀模数) from the hydrological record.
    computed_from = models.CharField(_("计算来源"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=100)

    class Meta:
        verbose_name = _("小流域评价指标")
        verbose_name_plural = _("小流域评价指标")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class IndicatorValue(models.Model):
    class Source(models.TextChoices):
        ENTERED = "entered", _("填报")
        COMPUTED = "computed", _("计算")

    watershed = models.ForeignKey(Watershed, verbose_name=_("小流域"), on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.FloatField(_("数值"))
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.ENTERED)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("指标值")
        verbose_name_plural = _("指标值")
        ordering = ["watershed", "year", "indicator__order"]
        constraints = [models.UniqueConstraint(fields=["watershed", "indicator", "year"], name="watershed_value_unique")]


class HydroRecord(models.Model):
    """Sediment and runoff of a watershed for one day (from the outlet's SS and flow readings) or one
    year (the days summed, or entered where no station exists)."""

    class Period(models.TextChoices):
        DAY = "day", _("日")
        YEAR = "year", _("年")

    class Source(models.TextChoices):
        MONITORING = "monitoring", _("在线监测")
        ENTERED = "entered", _("填报")

    watershed = models.ForeignKey(Watershed, verbose_name=_("小流域"), on_delete=models.CASCADE, related_name="hydro")
    period = models.CharField(_("周期"), max_length=4, choices=Period.choices)
    start = models.DateField(_("开始日期"))
    sediment_t = models.FloatField(_("泥沙输出量（吨）"))
    runoff_m3 = models.FloatField(_("径流量（立方米）"))
    hours = models.PositiveSmallIntegerField(_("有效小时数"), default=0)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)

    class Meta:
        verbose_name = _("泥沙与径流")
        verbose_name_plural = _("泥沙与径流")
        ordering = ["watershed", "period", "start"]
        constraints = [models.UniqueConstraint(fields=["watershed", "period", "start"], name="watershed_hydro_unique")]


# ---------------------------------------------------------------- soil and water conservation supervision

class ErosionProject(models.Model):
    """生产建设项目: a project that disturbs soil, from its conservation plan to the acceptance."""

    code = models.CharField(_("项目编号"), max_length=32, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    developer = models.CharField(_("建设单位"), max_length=200)
    watershed = models.ForeignKey(Watershed, verbose_name=_("所在小流域"), null=True, blank=True, on_delete=models.SET_NULL, related_name="projects")
    street = models.ForeignKey("geo.Street", verbose_name=_("所在街道"), on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey("geo.Unit", verbose_name=_("监管单位"), on_delete=models.PROTECT, related_name="+")
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    disturbed_area = models.TextField(_("扰动范围（GeoJSON）"), blank=True)
    disturbed_ha = models.FloatField(_("扰动面积（公顷）"), default=0)
    state = models.CharField(_("阶段"), max_length=16, default="registered")
    plan_number = models.CharField(_("水土保持方案批复文号"), max_length=60, blank=True)
    plan_approved_on = models.DateField(_("方案批复日期"), null=True, blank=True)
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    accepted_on = models.DateField(_("设施验收日期"), null=True, blank=True)
    acceptance_note = models.TextField(_("验收意见"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("生产建设项目")
        verbose_name_plural = _("生产建设项目")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class SupervisionCheck(models.Model):
    class Verdict(models.TextChoices):
        COMPLIANT = "compliant", _("符合要求")
        RECTIFY = "rectify", _("限期整改")
        VIOLATION = "violation", _("违法违规")

    class Source(models.TextChoices):
        SITE = "site", _("现场检查")
        DRONE = "drone", _("无人机识别")

    project = models.ForeignKey(ErosionProject, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="checks")
    checked_on = models.DateField(_("检查日期"))
    inspector = models.CharField(_("检查人"), max_length=60)
    findings = models.TextField(_("检查发现"))
    verdict = models.CharField(_("结论"), max_length=10, choices=Verdict.choices, blank=True)
    source = models.CharField(_("来源"), max_length=6, choices=Source.choices, default=Source.SITE)
    # A drone finding stays a candidate until someone confirms it on site (verdict set).
    candidate = models.BooleanField(_("待核实"), default=False)
    drone_case_id = models.BigIntegerField(_("无人机识别案件 ID"), null=True, blank=True, unique=True)
    photo = models.FileField(_("照片"), upload_to="watershed/checks/%Y/%m/", blank=True)
    case_number = models.CharField(_("案件编号"), max_length=40, blank=True)
    task_code = models.CharField(_("督办任务编号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("监督检查")
        verbose_name_plural = _("监督检查")
        ordering = ["-checked_on", "-id"]


# ---------------------------------------------------------------- cross-boundary joint control

class Neighbour(models.Model):
    """A neighbouring district whose platform we exchange with. ``secret`` signs both directions
    (HMAC-SHA256); ``account`` is the local user whose API token the neighbour calls us with;
    ``token`` is the one they gave us. Both are kept encrypted at rest when CHENGYUN_FIELD_KEY is
    set (chengyun.core.fieldcrypto: AES-256-GCM or SM4): HMAC needs the secret itself, so it cannot
    be stored as a hash the way our own API tokens are."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    base_url = models.CharField(_("平台地址"), max_length=300, blank=True)
    feed_url = models.CharField(_("数据文件或订阅地址"), max_length=300, blank=True)
    secret = EncryptedCharField(_("共享密钥"), max_length=400, plain_max_length=128)
    token = EncryptedCharField(_("对方签发的令牌"), max_length=400, plain_max_length=128, blank=True)
    account = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("对方使用的账号"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="exchange_neighbour")
    contact = models.CharField(_("联络人"), max_length=100, blank=True)
    pulled_up_to = models.BigIntegerField(_("已拉取至"), default=0)
    last_pulled_at = models.DateTimeField(_("最近拉取"), null=True, blank=True)
    pull_error = models.CharField(_("最近一次拉取失败原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("相邻区县")
        verbose_name_plural = _("相邻区县")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BoundarySection(models.Model):
    class Upstream(models.TextChoices):
        NEIGHBOUR = "neighbour", _("对方在上游")
        OURS = "ours", _("本区在上游")

    code = models.CharField(_("断面编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    neighbour = models.ForeignKey(Neighbour, verbose_name=_("相邻区县"), on_delete=models.PROTECT, related_name="sections")
    section = models.ForeignKey("water.Section", verbose_name=_("本区监测断面"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    river = models.CharField(_("河流"), max_length=60)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    upstream = models.CharField(_("上下游"), max_length=10, choices=Upstream.choices)
    target_class = models.PositiveSmallIntegerField(_("考核目标类别"), choices=TARGET_CHOICES)
    our_duty = models.TextField(_("本区责任"), blank=True)
    their_duty = models.TextField(_("对方责任"), blank=True)

    class Meta:
        verbose_name = _("交界断面")
        verbose_name_plural = _("交界断面")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class BoundaryReading(models.Model):
    """A boundary section's judged sample, ours or the neighbour's (monthly compliance reads these)."""

    section = models.ForeignKey(BoundarySection, verbose_name=_("交界断面"), on_delete=models.CASCADE, related_name="readings")
    at = models.DateTimeField(_("监测时间"))
    party = models.CharField(_("监测方"), max_length=100)
    values = models.JSONField(_("监测值"), default=dict)
    water_class = models.PositiveSmallIntegerField(_("水质类别"))
    compliant = models.BooleanField(_("达标"))
    limiting = models.JSONField(_("定类因子"), default=list)
    message_id = models.CharField(_("报文编号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("交界断面监测")
        verbose_name_plural = _("交界断面监测")
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["section", "at", "party"], name="watershed_boundary_reading_unique")]


class ExchangeMessage(models.Model):
    """One message of the open exchange format, sent or received; ``message_id`` makes it idempotent."""

    class Direction(models.TextChoices):
        OUT = "out", _("发出")
        IN = "in", _("收到")

    message_id = models.CharField(_("报文编号"), max_length=64, unique=True)
    neighbour = models.ForeignKey(Neighbour, verbose_name=_("相邻区县"), on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("类型"), max_length=20)
    payload = models.JSONField(_("内容"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("交换报文")
        verbose_name_plural = _("交换报文")
        ordering = ["id"]


class ExchangeRefusal(models.Model):
    """A refused exchange request, kept for the record (nothing of its content is applied)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True)
    neighbour = models.CharField(_("来源"), max_length=100, blank=True)
    reason = models.CharField(_("原因"), max_length=30)
    message_id = models.CharField(_("报文编号"), max_length=64, blank=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("拒收记录")
        verbose_name_plural = _("拒收记录")
        ordering = ["-at", "-id"]


class JointIncident(models.Model):
    """联防联控事件: opened by an upstream exceedance, worked on by both sides, one ``uid`` on both platforms."""

    uid = models.CharField(_("事件编号"), max_length=64, unique=True)
    section = models.ForeignKey(BoundarySection, verbose_name=_("交界断面"), on_delete=models.PROTECT, related_name="incidents")
    neighbour = models.ForeignKey(Neighbour, verbose_name=_("相邻区县"), on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(_("事件"), max_length=200)
    upstream_party = models.CharField(_("上游责任方"), max_length=100)
    state = models.CharField(_("状态"), max_length=12, default="open")
    opened_at = models.DateTimeField(_("发生时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    factor = models.CharField(_("超标因子"), max_length=20, blank=True)
    value = models.FloatField(_("监测值"), null=True, blank=True)
    water_class = models.PositiveSmallIntegerField(_("水质类别"), null=True, blank=True)
    target_class = models.PositiveSmallIntegerField(_("目标类别"), null=True, blank=True)
    alert_id = models.BigIntegerField(_("本区告警 ID"), null=True, blank=True)

    class Meta:
        verbose_name = _("联防联控事件")
        verbose_name_plural = _("联防联控事件")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.title


class JointEntry(models.Model):
    """One line of an incident's shared timeline: an action, a joint patrol, a note or a state change."""

    class Kind(models.TextChoices):
        ACTION = "action", _("处置措施")
        PATROL = "patrol", _("联合巡查")
        NOTE = "note", _("情况通报")
        STATE = "state", _("状态变更")

    uid = models.CharField(_("记录编号"), max_length=64, unique=True)
    incident = models.ForeignKey(JointIncident, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    party = models.CharField(_("记录方"), max_length=100)
    ours = models.BooleanField(_("本区记录"), default=True)
    at = models.DateTimeField(_("时间"))
    text = models.TextField(_("内容"))
    participants = models.CharField(_("参加人员"), max_length=300, blank=True)
    route = models.CharField(_("巡查路线"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("事件记录")
        verbose_name_plural = _("事件记录")
        ordering = ["at", "id"]


# ---------------------------------------------------------------- ecological-civilization demonstration

class DemoTask(models.Model):
    """国家生态文明建设示范区 indicator with its target, actual and responsible unit."""

    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("指标"), max_length=120)
    category = models.CharField(_("领域"), max_length=30)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    direction = models.CharField(_("判定方向"), max_length=8, choices=Indicator.Direction.choices)
    target = models.FloatField(_("目标值"))
    actual = models.FloatField(_("现状值"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    responsible_unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    # Where it overlaps: the health check's indicator code it feeds, the key task it became.
    health_indicator = models.CharField(_("对应体检指标"), max_length=32, blank=True)
    task_code = models.CharField(_("督办任务编号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("示范区建设指标")
        verbose_name_plural = _("示范区建设指标")
        ordering = ["year", "category", "code"]
        constraints = [models.UniqueConstraint(fields=["code", "year"], name="watershed_demotask_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def met(self) -> bool | None:
        if self.actual is None:
            return None
        return self.actual >= self.target if self.direction == Indicator.Direction.AT_LEAST else self.actual <= self.target
