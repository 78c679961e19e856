"""City-management cases (案件) and their catalogue of 部件/事件 classes."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from chengyun.core.fieldcrypto import EncryptedCharField

from . import standard, workflow

DEFAULT_DUPLICATE_RADIUS_M = 50.0
DEFAULT_DUPLICATE_WINDOW_HOURS = 72.0


class Category(models.Model):
    """A minor class (小类) of the city standard; (kind, code) is its natural key."""

    class Kind(models.TextChoices):
        COMPONENT = standard.KIND_COMPONENT, _("部件")
        EVENT = standard.KIND_EVENT, _("事件")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    code = models.CharField(_("小类代码"), max_length=4)
    name = models.CharField(_("小类名称"), max_length=60)
    major_code = models.CharField(_("大类代码"), max_length=2)
    major_name = models.CharField(_("大类名称"), max_length=30)
    # Matches geo.Unit.specialty: which kind of unit handles this class by default.
    responsible_specialty = models.CharField(_("默认责任单位类型"), max_length=30, blank=True)
    duplicate_radius_m = models.FloatField(_("查重半径（米）"), default=DEFAULT_DUPLICATE_RADIUS_M)
    duplicate_window_hours = models.FloatField(_("查重时窗（小时）"), default=DEFAULT_DUPLICATE_WINDOW_HOURS)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("案件小类")
        verbose_name_plural = _("案件小类")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="case_category_kind_code")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} {self.name}"

    @property
    def service_code(self) -> str:
        """Open311 service_code: 事件 keep the bare 4-digit code, 部件 carry a 'B' (部件) prefix."""
        return self.code if self.kind == standard.KIND_EVENT else f"B{self.code}"


class FilingCondition(models.Model):
    """立案条件 with its 处置时限 and 结案条件."""

    category = models.ForeignKey(Category, verbose_name=_("小类"), on_delete=models.CASCADE, related_name="conditions")
    seq = models.PositiveSmallIntegerField(_("序号"), default=1)
    text = models.CharField(_("立案条件"), max_length=300)
    limit_amount = models.FloatField(_("处置时限"))
    limit_unit = models.CharField(_("时限单位"), max_length=12, choices=list(standard.UNIT_NAMES.items()))
    closing_condition = models.CharField(_("结案条件"), max_length=200)

    class Meta:
        verbose_name = _("立案条件")
        verbose_name_plural = _("立案条件")
        ordering = ["category_id", "seq"]

    def __str__(self) -> str:
        return f"{self.text}（{self.limit_text}）"

    @property
    def limit_text(self) -> str:
        return standard.Condition(self.text, self.limit_amount, self.limit_unit, self.closing_condition).limit_text


class Responsibility(models.Model):
    """A row of the category × area responsibility table: who gets this class of case here.

    A blank category covers every class of the given specialty's unit; a blank area covers the
    district. The most specific row wins (community > street > district, category > none).
    """

    category = models.ForeignKey(Category, verbose_name=_("小类"), null=True, blank=True, on_delete=models.CASCADE, related_name="responsibilities")
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("责任分工")
        verbose_name_plural = _("责任分工")
        constraints = [models.UniqueConstraint(fields=["category", "street", "community"], name="case_responsibility_unique")]


class Case(models.Model):
    number = models.CharField(_("案件编号"), max_length=20, unique=True)
    category = models.ForeignKey(Category, verbose_name=_("小类"), on_delete=models.PROTECT, related_name="cases")
    condition = models.ForeignKey(FilingCondition, verbose_name=_("立案条件"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("来源"), max_length=24, choices=list(workflow.SOURCES.items()))
    status = models.CharField(_("状态"), max_length=16, choices=list(workflow.STATES.items()), default=workflow.REPORTED)
    description = models.TextField(_("问题描述"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("单元网格"), on_delete=models.PROTECT, related_name="+")

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上报人账号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The person behind the report, whether or not they have a login (evaluation counts people).
    reporter_person = models.ForeignKey("people.Person", verbose_name=_("上报人员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reporter_name = models.CharField(_("上报人"), max_length=50, blank=True)
    # Encrypted at rest when CHENGYUN_FIELD_KEY is set (docs/security.md §7); masked on every output.
    reporter_phone = EncryptedCharField(_("联系电话"), max_length=200, plain_max_length=30, blank=True)
    reporter_count = models.PositiveIntegerField(_("上报次数"), default=1)
    external_id = models.CharField(_("外部编号"), max_length=80, null=True, blank=True)
    needs_verification = models.BooleanField(_("需核实"), default=False)
    verified = models.BooleanField(_("已核实"), default=False)

    occurred_at = models.DateTimeField(_("发现时间"))
    reported_at = models.DateTimeField(_("上报时间"))
    filed_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("首次派遣时间"), null=True, blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    suggested_unit = models.ForeignKey("geo.Unit", verbose_name=_("建议责任单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    merged_into = models.ForeignKey("self", verbose_name=_("合并至"), null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates")

    # Clocks. The stage clock restarts on each step; the overall clock starts at the first
    # dispatch and only an approved postponement moves it.
    stage_started_at = models.DateTimeField(_("本环节开始"), null=True, blank=True)
    stage_deadline = models.DateTimeField(_("本环节期限"), null=True, blank=True)
    stage_limit_amount = models.FloatField(null=True, blank=True)
    stage_limit_unit = models.CharField(max_length=12, blank=True)
    stage_warning_at = models.DateTimeField(null=True, blank=True)
    overall_deadline = models.DateTimeField(_("处置期限"), null=True, blank=True)
    overall_warning_at = models.DateTimeField(null=True, blank=True)
    pauses = models.JSONField(_("挂账区间"), default=list, blank=True)
    pending_request = models.JSONField(_("待审批申请"), null=True, blank=True)

    class Clock(models.TextChoices):
        NORMAL = "normal", _("正常")
        WARNING = "warning", _("预警")
        OVERDUE = "overdue", _("超期")

    clock_status = models.CharField(_("时限状态"), max_length=8, choices=Clock.choices, default=Clock.NORMAL)
    was_overdue = models.BooleanField(_("曾超期"), default=False)
    returned_count = models.PositiveSmallIntegerField(_("回退次数"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    postpone_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    extra = models.JSONField(_("附加信息"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], condition=models.Q(external_id__isnull=False), name="case_source_external_id"),
        ]
        # Composite indexes for the list page's filters, each ending in the sort key.
        indexes = [
            models.Index(fields=["reported_at", "id"], name="case_reported"),
            models.Index(fields=["status", "reported_at"], name="case_status_reported"),
            models.Index(fields=["street", "status", "reported_at"], name="case_street_status"),
            models.Index(fields=["street", "reported_at"], name="case_street_reported"),
            models.Index(fields=["community", "reported_at"], name="case_community"),
            models.Index(fields=["grid", "reported_at"], name="case_grid"),
            models.Index(fields=["category", "reported_at"], name="case_category"),
            models.Index(fields=["unit", "status", "reported_at"], name="case_unit_status"),
            models.Index(fields=["unit", "reported_at"], name="case_unit_reported"),
            models.Index(fields=["source", "reported_at"], name="case_source"),
            models.Index(fields=["clock_status", "status"], name="case_clock"),
            models.Index(fields=["clock_status", "reported_at"], name="case_clock_reported"),
            models.Index(fields=["status", "lng", "lat"], name="case_open_position"),
            # Closures in a period (the cockpit's cases panel, rankings, the monthly report): without
            # it every such count scans the table.
            models.Index(fields=["closed_at"], name="case_closed"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category.name if self.category_id else ''}"

    def get_absolute_url(self) -> str:
        return f"/cases/{self.pk}/"

    @property
    def status_label(self) -> str:
        return workflow.label(self.status)

    @property
    def is_open(self) -> bool:
        return self.status in workflow.OPEN


class CaseEvent(models.Model):
    """One entry of a case's timeline: a transition, a report, a move, a merge."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    action = models.CharField(_("操作"), max_length=24)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_person = models.ForeignKey("people.Person", verbose_name=_("操作人员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("操作人姓名"), max_length=50, blank=True)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    # The stage deadline in force when the step was taken, and whether it was met.
    stage_deadline = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True)

    class Meta:
        verbose_name = _("案件流转记录")
        verbose_name_plural = _("案件流转记录")
        ordering = ["case_id", "at", "id"]
        indexes = [models.Index(fields=["action", "at"], name="case_event_action"), models.Index(fields=["actor_person", "action", "at"], name="case_event_person")]

    @property
    def label(self) -> str:
        return workflow.EVENT_LABELS.get(self.action, self.action)

    @property
    def to_status_label(self) -> str:
        return workflow.label(self.to_status)


def _upload_to(instance: "Attachment", filename: str) -> str:
    return f"cases/{instance.uploaded_at:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class Attachment(models.Model):
    class Stage(models.TextChoices):
        REPORT = "report", _("上报")
        VERIFY = "verify", _("核实")
        FEEDBACK = "feedback", _("处置反馈")
        CHECK = "check", _("核查")

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="attachments")
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices, default=Stage.REPORT)
    file = models.FileField(_("文件"), upload_to=_upload_to, max_length=200)
    content_type = models.CharField(_("类型"), max_length=20)
    extension = models.CharField(max_length=5)
    size = models.PositiveIntegerField(_("大小"))
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    gps_lng = models.FloatField(_("拍摄经度"), null=True, blank=True)
    gps_lat = models.FloatField(_("拍摄纬度"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("案件照片")
        verbose_name_plural = _("案件照片")
        ordering = ["case_id", "uploaded_at", "id"]


class DroneFlight(models.Model):
    """One imported patrol flight; importing it again finds this row and changes nothing."""

    flight_id = models.CharField(_("架次编号"), max_length=80, unique=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detections = models.PositiveIntegerField(_("识别数"), default=0)
    created = models.PositiveIntegerField(_("新建案件"), default=0)
    duplicates = models.PositiveIntegerField(_("重复"), default=0)
    outside = models.PositiveIntegerField(_("区外"), default=0)

    class Meta:
        verbose_name = _("无人机巡查架次")
        verbose_name_plural = _("无人机巡查架次")


class CaseCounter(models.Model):
    """Last sequence number used for case numbers of one day (YYYYMMDD + 5 digits)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
