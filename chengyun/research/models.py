from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import workflow


class ResearchPlan(models.Model):
    """调研计划: a topic the leader goes out to study, the team, the schedule, where and what to ask."""

    code = models.CharField(_("编号"), max_length=32, unique=True)
    topic = models.CharField(_("调研课题"), max_length=200)
    leader = models.ForeignKey("people.Person", verbose_name=_("带队领导"), on_delete=models.PROTECT, related_name="+")
    team = models.ManyToManyField("people.Person", verbose_name=_("调研组成员"), blank=True, related_name="research_plans")
    lead_unit = models.ForeignKey("geo.Unit", verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    places = models.TextField(_("调研地点"), blank=True, help_text=_("每行一处"))
    questions = models.TextField(_("调研提纲"), blank=True, help_text=_("每行一个问题"))
    state = models.CharField(_("状态"), max_length=16, default=workflow.PLANNED, db_index=True,
                             choices=[(k, v) for k, v in workflow.STATES.items()])
    report_title = models.CharField(_("调研报告标题"), max_length=200, blank=True)
    report_summary = models.TextField(_("基本情况"), blank=True)
    report_problems = models.TextField(_("存在问题"), blank=True)
    reported_on = models.DateField(_("报告日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("调研计划")
        verbose_name_plural = _("调研计划")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.topic

    def get_absolute_url(self) -> str:
        return f"/research/{self.pk}/"

    @property
    def place_list(self) -> list[str]:
        return [p.strip() for p in self.places.splitlines() if p.strip()]

    @property
    def question_list(self) -> list[str]:
        return [q.strip() for q in self.questions.splitlines() if q.strip()]


class ResearchVisit(models.Model):
    """走访记录: one day at one place, who was met and what was found."""

    plan = models.ForeignKey(ResearchPlan, verbose_name=_("调研计划"), on_delete=models.CASCADE, related_name="visits")
    date = models.DateField(_("走访日期"))
    place = models.CharField(_("走访地点"), max_length=200)
    people_met = models.TextField(_("座谈走访对象"), blank=True)
    findings = models.TextField(_("调研发现"))
    street = models.ForeignKey("geo.Street", verbose_name=pgettext_lazy("行政区划", "街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=_("社区/村"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey("geo.Compound", verbose_name=_("小区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["plan", "date", "id"]

    def __str__(self) -> str:
        return f"{self.date} {self.place}"


def _photo_to(instance: "ResearchPhoto", filename: str) -> str:
    return f"research/{instance.visit.plan_id}/{filename}"


class ResearchPhoto(models.Model):
    visit = models.ForeignKey(ResearchVisit, verbose_name=_("走访记录"), on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=_photo_to, max_length=200)
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["visit", "id"]


class ResearchMeasure(models.Model):
    """对策建议: a measure of the report, turned into an action item (a supervised key task) with
    an owner and a deadline; `outcome` says what it becomes — a policy, a project or a task."""

    class Outcome(models.TextChoices):
        POLICY = "policy", _("出台政策")
        PROJECT = "project", _("实施项目")
        TASK = "task", _("工作任务")

    plan = models.ForeignKey(ResearchPlan, verbose_name=_("调研计划"), on_delete=models.CASCADE, related_name="measures")
    text = models.TextField(_("对策建议"))
    outcome = models.CharField(_("转化方式"), max_length=10, choices=Outcome.choices)
    owner_unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("完成时限"))
    action_task = models.OneToOneField("supervision.KeyTask", verbose_name=_("督办事项"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="research_measure")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("对策建议")
        verbose_name_plural = _("对策建议")
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return self.text[:50]
