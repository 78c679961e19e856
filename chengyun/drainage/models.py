"""The drainage network (排水管网): nodes, pipes, inspections, misconnections, renovation.

Points are kept as lng/lat floats and pipe lines as GeoJSON text in WGS84/CGCS2000, as the
geo app does, so SQLite and PostgreSQL store the same thing; tracing and spatial joins run
on in-memory indexes (index.py), rebuilt when the network's ChangeStamp moves.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from shapely.geometry import shape


class Node(models.Model):
    class Kind(models.TextChoices):
        MANHOLE = "manhole", _("检查井")
        OUTFALL = "outfall", _("排放口")
        PUMP = "pump", _("泵站")
        PLANT = "plant", _("污水处理厂进口")
        JUNCTION = "junction", _("连接点")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.MANHOLE)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    ground_m = models.FloatField(_("地面高程（米）"), null=True, blank=True)
    owner = models.ForeignKey("geo.Unit", verbose_name=_("权属单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("单元网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("管网节点")
        verbose_name_plural = _("管网节点")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Pipe(models.Model):
    class Type(models.TextChoices):
        RAIN = "rain", _("雨水")
        SEWAGE = "sewage", _("污水")
        COMBINED = "combined", _("合流")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    type = models.CharField(_("管道类别"), max_length=10, choices=Type.choices)
    diameter_mm = models.PositiveIntegerField(_("管径（毫米）"))
    material = models.CharField(_("材质"), max_length=20, blank=True)
    install_year = models.PositiveSmallIntegerField(_("建设年份"), null=True, blank=True)
    length_m = models.FloatField(_("长度（米）"))
    from_node = models.ForeignKey(Node, verbose_name=_("起点（上游）"), on_delete=models.PROTECT, related_name="out_pipes")
    to_node = models.ForeignKey(Node, verbose_name=_("终点（下游）"), on_delete=models.PROTECT, related_name="in_pipes")
    up_invert_m = models.FloatField(_("上游管底高程（米）"), null=True, blank=True)
    down_invert_m = models.FloatField(_("下游管底高程（米）"), null=True, blank=True)
    road_name = models.CharField(_("所在道路"), max_length=100, blank=True)
    # K of CJJ 181 (地区重要性) and T (土质影响); blank when unknown.
    area_class = models.CharField(_("地区类别"), max_length=20, blank=True)
    soil = models.CharField(_("土质"), max_length=20, blank=True)
    owner = models.ForeignKey("geo.Unit", verbose_name=_("权属单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    geometry = models.TextField(_("线形（GeoJSON）"))
    grid = models.ForeignKey("geo.Grid", verbose_name=_("单元网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Condition from the latest inspection (CJJ 181), denormalised for the map and the plan.
    inspected_on = models.DateField(_("最近检测日期"), null=True, blank=True)
    structural_grade = models.PositiveSmallIntegerField(_("结构性缺陷等级"), null=True, blank=True, db_index=True)
    functional_grade = models.PositiveSmallIntegerField(_("功能性缺陷等级"), null=True, blank=True)
    ri = models.FloatField(_("修复指数 RI"), null=True, blank=True)
    mi = models.FloatField(_("养护指数 MI"), null=True, blank=True)

    class Meta:
        verbose_name = _("管段")
        verbose_name_plural = _("管段")
        ordering = ["code"]
        indexes = [models.Index(fields=["type", "structural_grade"])]

    def __str__(self) -> str:
        return self.code

    @cached_property
    def shape(self):
        return shape(json.loads(self.geometry))


class Source(models.Model):
    """A connected discharger (接户): a residential compound, an enterprise, a public building."""

    class Kind(models.TextChoices):
        COMPOUND = "compound", _("住宅小区")
        ENTERPRISE = "enterprise", _("企业")
        PUBLIC = "public", _("公共建筑")
        CATERING = "catering", _("餐饮")
        OTHER = "other", _("其他")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    node = models.ForeignKey(Node, verbose_name=_("接入节点"), on_delete=models.CASCADE, related_name="sources")
    permit_no = models.CharField(_("排水许可证号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("排水户")
        verbose_name_plural = _("排水户")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Inspection(models.Model):
    """One CCTV/QV (or other) inspection of one pipe, graded by CJJ 181."""

    class Method(models.TextChoices):
        CCTV = "CCTV", _("电视检测（CCTV）")
        QV = "QV", _("管道潜望镜（QV）")
        SONAR = "SONAR", _("声呐检测")
        VISUAL = "VISUAL", _("目视/传统方法")

    pipe = models.ForeignKey(Pipe, verbose_name=_("管段"), on_delete=models.CASCADE, related_name="inspections")
    inspected_on = models.DateField(_("检测日期"))
    method = models.CharField(_("检测方法"), max_length=10, choices=Method.choices)
    operator = models.CharField(_("检测人员"), max_length=50, blank=True)
    report_no = models.CharField(_("报告编号"), max_length=60, blank=True)
    structural_grade = models.PositiveSmallIntegerField(_("结构性缺陷等级"))
    functional_grade = models.PositiveSmallIntegerField(_("功能性缺陷等级"))
    ri = models.FloatField(_("修复指数 RI"))
    mi = models.FloatField(_("养护指数 MI"))
    assessment = models.JSONField(_("评估结果"), default=dict)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("管道检测")
        verbose_name_plural = _("管道检测")
        ordering = ["-inspected_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["pipe", "inspected_on", "method"], name="drainage_inspection_once")]

    def __str__(self) -> str:
        return f"{self.pipe_id} {self.inspected_on} {self.method}"


class Defect(models.Model):
    inspection = models.ForeignKey(Inspection, verbose_name=_("检测"), on_delete=models.CASCADE, related_name="defects")
    code = models.CharField(_("缺陷代码"), max_length=4)
    grade = models.PositiveSmallIntegerField(_("缺陷等级"))
    position_m = models.FloatField(_("距离（米）"))
    length_m = models.FloatField(_("长度（米）"), default=0)
    clock = models.CharField(_("环向位置"), max_length=10, blank=True)
    photo = models.CharField(_("照片"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("缺陷")
        verbose_name_plural = _("缺陷")
        ordering = ["inspection", "position_m"]


class OverflowRecord(models.Model):
    """满溢/冒溢: a manhole or outfall that overflowed. At a monitored outfall the record is fed
    from water's overflow alert (``overflow_feed``: opened, extended and closed with it); an
    overflow seen where nothing measures it (a manhole on patrol) is entered by hand."""

    node = models.ForeignKey(Node, verbose_name=_("节点"), on_delete=models.CASCADE, related_name="overflows")
    occurred_at = models.DateTimeField(_("发生时间"))
    source = models.CharField(_("来源"), max_length=30, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("最后溢流时间"), null=True, blank=True)
    peak_lps = models.FloatField(_("峰值流量（L/s）"), null=True, blank=True)
    # The water alert it comes from (water's id: drainage reads water, not the other way round).
    water_alert_id = models.BigIntegerField(_("来源告警"), null=True, blank=True, unique=True)
    closed_at = models.DateTimeField(_("结束确认时间"), null=True, blank=True)
    evidence = models.JSONField(_("证据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("冒溢记录")
        verbose_name_plural = _("冒溢记录")
        ordering = ["-occurred_at"]

    @property
    def from_alert(self) -> bool:
        return self.water_alert_id is not None

    @property
    def alert_url(self) -> str:
        return f"/water/alerts/{self.water_alert_id}/" if self.water_alert_id else ""

    @property
    def is_open(self) -> bool:
        """Still overflowing as far as its alert knows (a hand-entered record is never open)."""
        return self.from_alert and self.closed_at is None

    @property
    def duration(self) -> dt.timedelta | None:
        return self.ended_at - self.occurred_at if self.ended_at else None

    @property
    def duration_min(self) -> int | None:
        return int(self.duration.total_seconds() // 60) if self.duration is not None else None


class Misconnection(models.Model):
    """混接错接: a suspected wrong connection, with the evidence that raised it."""

    class Kind(models.TextChoices):
        SEWAGE_TO_RAIN = "sewage_to_rain", _("污水接入雨水")
        RAIN_TO_SEWAGE = "rain_to_sewage", _("雨水接入污水")
        DRY_WEATHER_FLOW = "dry_weather_flow", _("雨水口旱天出流")

    class Status(models.TextChoices):
        OPEN = "open", _("待处置")
        CASE = "case", _("已立案")
        TASK = "task", _("已转督办")
        DISMISSED = "dismissed", _("已排除")

    key = models.CharField(_("识别键"), max_length=120, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    pipe = models.ForeignKey(Pipe, verbose_name=_("管段"), null=True, blank=True, on_delete=models.CASCADE, related_name="misconnections")
    node = models.ForeignKey(Node, verbose_name=_("节点"), null=True, blank=True, on_delete=models.CASCADE, related_name="misconnections")
    evidence = models.TextField(_("依据"))
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("单元网格"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey("geo.Unit", verbose_name=_("权属单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detected_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    case_number = models.CharField(_("案件编号"), max_length=40, blank=True)
    case_id = models.BigIntegerField(_("案件ID"), null=True, blank=True)
    task_id = models.BigIntegerField(_("督办任务ID"), null=True, blank=True)
    note = models.CharField(_("处置说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("混接错接")
        verbose_name_plural = _("混接错接")
        ordering = ["status", "-detected_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pipe_id or self.node_id}"

    @property
    def subject_code(self) -> str:
        return self.pipe.code if self.pipe_id else (self.node.code if self.node_id else "")


class RenovationPlan(models.Model):
    """A yearly renovation plan: the pipes chosen within a budget, with their scores frozen."""

    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=100)
    budget_yuan = models.DecimalField(_("预算（元）"), max_digits=14, decimal_places=0)
    total_cost_yuan = models.DecimalField(_("计划投资（元）"), max_digits=14, decimal_places=0, default=0)
    weights = models.JSONField(_("权重"), default=dict)
    unit_costs = models.JSONField(_("单价表"), default=dict)
    candidates = models.PositiveIntegerField(_("候选管段数"), default=0)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("编制单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("编制人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("编制时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("改造计划")
        verbose_name_plural = _("改造计划")
        ordering = ["-year", "-created_at"]

    def __str__(self) -> str:
        return self.name


class PlanItem(models.Model):
    plan = models.ForeignKey(RenovationPlan, verbose_name=_("计划"), on_delete=models.CASCADE, related_name="items")
    pipe = models.ForeignKey(Pipe, verbose_name=_("管段"), on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField(_("序号"))
    score = models.FloatField(_("优先分"))
    factors = models.JSONField(_("分项"), default=dict)
    method = models.CharField(_("改造方式"), max_length=20)
    unit_cost_yuan = models.FloatField(_("单价（元/米）"))
    cost_yuan = models.FloatField(_("费用（元）"))

    class Meta:
        verbose_name = _("计划管段")
        verbose_name_plural = _("计划管段")
        ordering = ["plan", "rank"]


class SeparationProject(models.Model):
    """雨污分流改造项目: its pipes, and progress as the length finished over the length planned."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("计划")
        ACTIVE = "active", _("施工中")
        DONE = "done", _("已完工")

    code = models.CharField(_("项目编号"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("实施单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_on = models.DateField(_("计划完成日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("雨污分流项目")
        verbose_name_plural = _("雨污分流项目")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ProjectPipe(models.Model):
    project = models.ForeignKey(SeparationProject, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="project_pipes")
    pipe = models.ForeignKey(Pipe, verbose_name=_("管段"), on_delete=models.CASCADE, related_name="project_links")
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("项目管段")
        verbose_name_plural = _("项目管段")
        constraints = [models.UniqueConstraint(fields=["project", "pipe"], name="drainage_project_pipe_once")]
