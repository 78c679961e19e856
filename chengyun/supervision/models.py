"""督查督办: key tasks, their milestones and daily entries, weekly consultations and their
decisions, stalled projects. Status (红黄绿) is computed by chengyun.supervision.status."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """Kinds of key work; the district adds its own beside the three rectification drives."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    order = models.PositiveIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("任务类别")
        verbose_name_plural = _("任务类别")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    GREEN = "green", _("绿")
    YELLOW = "yellow", _("黄")
    RED = "red", _("红")


class KeyTask(models.Model):
    class Source(models.TextChoices):
        SUPERIOR = "superior", _("上级交办")
        LEADER = "leader", _("领导批示")
        RECTIFICATION = "rectification", _("整改要求")
        MEETING = "meeting", _("会议议定")
        CHECKUP = "checkup", _("体检问题")

    class State(models.TextChoices):
        ACTIVE = "active", _("推进中")
        COMPLETED = "completed", _("已完成")
        CANCELLED = "cancelled", _("已撤销")

    code = models.CharField(_("编号"), max_length=32, unique=True)
    title = models.CharField(_("任务名称"), max_length=200)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="tasks")
    description = models.TextField(_("任务内容"), blank=True)
    lead_unit = models.ForeignKey("geo.Unit", verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="lead_tasks")
    responsible_leader = models.ForeignKey("people.Person", verbose_name=_("责任领导"), null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="supervised_tasks")
    cooperating_units = models.ManyToManyField("geo.Unit", verbose_name=_("配合单位"), blank=True, related_name="cooperating_tasks")
    start_date = models.DateField(_("开始日期"))
    deadline = models.DateField(_("完成时限"))
    state = models.CharField(_("办理状态"), max_length=16, choices=State.choices, default=State.ACTIVE)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    state_note = models.TextField(_("办结/撤销说明"), blank=True)
    # A measurable target read from another module's data (chengyun.supervision.metrics).
    metric_key = models.CharField(_("量化指标"), max_length=64, blank=True)
    metric_street = models.CharField(_("指标范围（街道编码，空为全区）"), max_length=15, blank=True)
    # Last evaluation of the 红黄绿 rule; StatusHistory keeps every change.
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.GREEN, db_index=True)
    status_reason = models.CharField(_("状态原因"), max_length=300, blank=True)
    planned_progress = models.FloatField(_("计划进度"), default=0)
    actual_progress = models.FloatField(_("实际进度"), default=0)
    status_on = models.DateField(_("评定日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("重点任务")
        verbose_name_plural = _("重点任务")
        ordering = ["deadline", "code"]
        indexes = [models.Index(fields=["state", "status"]), models.Index(fields=["lead_unit", "state"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return f"/supervision/tasks/{self.pk}/"


class Milestone(models.Model):
    task = models.ForeignKey(KeyTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("节点名称"), max_length=200)
    planned_date = models.DateField(_("计划完成日期"))
    weight = models.PositiveIntegerField(_("权重"), default=1)
    progress = models.PositiveSmallIntegerField(_("完成百分比"), default=0)
    done_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    order = models.PositiveIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["task", "planned_date", "order", "id"]

    def __str__(self) -> str:
        return self.name


class TaskLink(models.Model):
    """A pointer to a record of another module: ("cases.case", number), ("drainage.pipe", code)…"""

    task = models.ForeignKey(KeyTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(_("对象类型"), max_length=64)
    code = models.CharField(_("对象编号"), max_length=100)
    label = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("关联对象")
        verbose_name_plural = _("关联对象")
        constraints = [models.UniqueConstraint(fields=["task", "kind", "code"], name="supervision_link_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"


class StatusHistory(models.Model):
    task = models.ForeignKey(KeyTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="status_history")
    on = models.DateField(_("评定日期"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices)
    previous = models.CharField(_("原状态"), max_length=8, choices=Status.choices, blank=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    planned_progress = models.FloatField(_("计划进度"), default=0)
    actual_progress = models.FloatField(_("实际进度"), default=0)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("状态变化")
        verbose_name_plural = _("状态变化")
        ordering = ["task", "on", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.on} {self.status}"


class DailyEntry(models.Model):
    """日调度: a lead unit's report on one task for one working day."""

    task = models.ForeignKey(KeyTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="daily_entries")
    date = models.DateField(_("日期"))
    unit = models.ForeignKey("geo.Unit", verbose_name=_("填报单位"), on_delete=models.PROTECT, related_name="+")
    work_done = models.TextField(_("当日工作"))
    problems = models.TextField(_("存在问题"), blank=True)
    coordination = models.TextField(_("需协调事项"), blank=True)
    # {milestone id: percent} as reported that day.
    milestone_progress = models.JSONField(_("节点进度"), default=dict, blank=True)
    late = models.BooleanField(_("逾时填报"), default=False)
    submitted_at = models.DateTimeField(_("填报时间"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填报人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("日调度填报")
        verbose_name_plural = _("日调度填报")
        ordering = ["-date", "task"]
        constraints = [models.UniqueConstraint(fields=["task", "date"], name="supervision_daily_unique")]

    def __str__(self) -> str:
        return f"{self.task.code} {self.date}"


class Meeting(models.Model):
    """周会商 (or any consultation): the generated agenda, the record, the decisions."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("周会商")
        SPECIAL = "special", _("专题会")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.WEEKLY)
    title = models.CharField(_("会议名称"), max_length=200)
    date = models.DateField(_("会议日期"))
    week_start = models.DateField(_("会商周起"), null=True, blank=True)
    chair = models.CharField(_("主持人"), max_length=50, blank=True)
    attendees = models.TextField(_("参会人员"), blank=True)
    location = models.CharField(_("地点"), max_length=100, blank=True)
    summary = models.TextField(_("会议综述"), blank=True)
    held = models.BooleanField(_("已召开"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会商")
        verbose_name_plural = _("会商")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(_("序号"), default=0)
    task = models.ForeignKey(KeyTask, verbose_name=_("任务"), null=True, blank=True, on_delete=models.SET_NULL, related_name="agenda_items")
    topic = models.CharField(_("议题"), max_length=300)
    # Why it is on the agenda: the status and reason, or the coordination request, at generation time.
    reason = models.TextField(_("上会原因"), blank=True)
    status = models.CharField(_("上会时状态"), max_length=8, choices=Status.choices, blank=True)
    discussion = models.TextField(_("讨论情况"), blank=True)

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["meeting", "order", "id"]

    def __str__(self) -> str:
        return self.topic


class Decision(models.Model):
    """议定事项: becomes an action item — a KeyTask of source 会议议定 — tracked like any task."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="decisions")
    item = models.ForeignKey(AgendaItem, verbose_name=_("议题"), null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions")
    text = models.TextField(_("议定内容"))
    owner_unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("完成时限"))
    action_task = models.OneToOneField(KeyTask, verbose_name=_("督办事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="decision")
    related_task = models.ForeignKey(KeyTask, verbose_name=_("所涉任务"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class StalledProject(models.Model):
    """半拉子工程: a stalled building project, its blockers and what is being done about it."""

    class Blocker(models.TextChoices):
        FUNDING = "funding", _("资金缺口")
        LEGAL = "legal", _("法律纠纷")
        PERMIT = "permit", _("手续不全")
        DEVELOPER = "developer", _("开发企业失联或破产")
        OTHER = "other", _("其他")

    name = models.CharField(_("项目名称"), max_length=200)
    address = models.CharField(_("位置"), max_length=200, blank=True)
    street = models.ForeignKey("geo.Street", verbose_name=_("所在街道"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    developer = models.CharField(_("开发企业"), max_length=200)
    contractor = models.CharField(_("施工单位"), max_length=200, blank=True)
    households = models.PositiveIntegerField(_("涉及户数"), default=0)
    blockers = models.JSONField(_("停工原因"), default=list, blank=True)
    blocker_note = models.TextField(_("停工情况"), blank=True)
    funding_gap = models.DecimalField(_("资金缺口（万元）"), max_digits=12, decimal_places=2, default=0)
    stalled_since = models.DateField(_("停工日期"), null=True, blank=True)
    lead_unit = models.ForeignKey("geo.Unit", verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="stalled_projects")
    task = models.OneToOneField(KeyTask, verbose_name=_("督办任务"), null=True, blank=True, on_delete=models.SET_NULL, related_name="stalled_project")
    resumed_on = models.DateField(_("复工日期"), null=True, blank=True)
    delivered_on = models.DateField(_("交付日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("半拉子工程")
        verbose_name_plural = _("半拉子工程")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def blocker_labels(self) -> list[str]:
        names = dict(self.Blocker.choices)
        return [str(names.get(b, b)) for b in self.blockers]


class ProjectMeasure(models.Model):
    class Kind(models.TextChoices):
        SPECIAL_LOAN = "special_loan", _("保交楼专项借款")
        COMMERCIAL_LOAN = "commercial_loan", _("商业贷款")
        BANK_MATCHING = "bank_matching", _("银企对接")
        ASSET_DISPOSAL = "asset_disposal", _("资产处置")
        OTHER = "other", _("其他")

    project = models.ForeignKey(StalledProject, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("措施"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("金额（万元）"), max_digits=12, decimal_places=2, default=0)
    date = models.DateField(_("日期"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("纾困措施")
        verbose_name_plural = _("纾困措施")
        ordering = ["project", "date", "id"]


class Mediation(models.Model):
    project = models.ForeignKey(StalledProject, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="mediations")
    date = models.DateField(_("日期"))
    parties = models.CharField(_("当事方"), max_length=300)
    outcome = models.TextField(_("调解结果"))
    resolved = models.BooleanField(_("已化解"), default=False)

    class Meta:
        verbose_name = _("纠纷调解")
        verbose_name_plural = _("纠纷调解")
        ordering = ["project", "date", "id"]


class JudicialSupport(models.Model):
    project = models.ForeignKey(StalledProject, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="judicial")
    date = models.DateField(_("日期"))
    court = models.CharField(_("法院"), max_length=100)
    kind = models.CharField(_("司法措施"), max_length=50, help_text=_("如 破产重整、执行和解、诉前调解、预重整"))
    case_number = models.CharField(_("案号"), max_length=100, blank=True)
    note = models.TextField(_("情况"), blank=True)

    class Meta:
        verbose_name = _("司法支持")
        verbose_name_plural = _("司法支持")
        ordering = ["project", "date", "id"]
