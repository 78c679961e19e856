"""城市更新项目库: projects with yearly targets, funding, progress and links; 老旧小区改造
resident participation; 加装电梯 per building unit with the owners' vote; parking supply and
charging sites.

A project is referred to from the problem ledger by the key "renewal.project:<id>".
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import project_types as pt
from .. import project_workflow as pw


class Project(models.Model):
    code = models.CharField(_("项目编号"), max_length=20, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    type = models.CharField(_("项目类型"), max_length=20, choices=pt.TYPE_CHOICES, db_index=True)
    state = models.CharField(_("项目阶段"), max_length=12, choices=list(pw.STATES.items()), default=pw.RESERVE, db_index=True)
    description = models.TextField(_("建设内容"), blank=True)
    # 老旧小区改造 contents from project_types.CONTENTS (codes).
    contents = models.JSONField(_("改造内容"), default=list, blank=True)
    # Type-specific quantities, keys from project_types.METRICS, validated per type.
    metrics = models.JSONField(_("建设规模"), default=dict, blank=True)
    responsible_unit = models.ForeignKey("geo.Unit", verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="renewal_projects")
    street = models.ForeignKey("geo.Street", verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    compounds = models.ManyToManyField("geo.Compound", verbose_name=_("涉及小区"), blank=True, related_name="renewal_projects")
    start_year = models.PositiveSmallIntegerField(_("计划开始年度"))
    end_year = models.PositiveSmallIntegerField(_("计划完成年度"))
    total_investment_wan = models.DecimalField(_("总投资（万元）"), max_digits=12, decimal_places=2, default=0)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    supervision_task = models.CharField(_("督办任务编号"), max_length=32, blank=True)
    completed_on = models.DateField(_("竣工验收日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("城市更新项目")
        verbose_name_plural = _("城市更新项目")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def key(self) -> str:
        return f"renewal.project:{self.pk}"

    @property
    def completed(self) -> bool:
        return self.state in pw.COMPLETED_STATES

    @property
    def type_info(self) -> pt.ProjectType:
        return pt.TYPES[self.type]


class ProjectTarget(models.Model):
    """One year of the multi-year plan: what is to be done that year, in the type's main metric."""
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("年度"))
    content = models.CharField(_("年度建设内容"), max_length=200, blank=True)
    quantity = models.FloatField(_("年度目标量"), default=0)
    investment_wan = models.DecimalField(_("年度计划投资（万元）"), max_digits=12, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("年度目标")
        verbose_name_plural = _("年度目标")
        ordering = ["project", "year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="renewal_target_year")]


class ProjectFunding(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="funding")
    source = models.CharField(_("资金来源"), max_length=20, choices=pt.FUNDING_CHOICES)
    year = models.PositiveSmallIntegerField(_("年度"))
    amount_wan = models.DecimalField(_("金额（万元）"), max_digits=12, decimal_places=2)
    secured = models.BooleanField(_("已到位"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("项目资金")
        verbose_name_plural = _("项目资金")
        ordering = ["project", "year", "source"]
        constraints = [models.UniqueConstraint(fields=["project", "source", "year"], name="renewal_funding_source_year")]


class ProgressReport(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="progress_reports")
    reported_on = models.DateField(_("报告日期"))
    percent = models.PositiveSmallIntegerField(_("形象进度（%）"))
    quantity_done = models.FloatField(_("累计完成量"), default=0)
    invested_wan = models.DecimalField(_("累计完成投资（万元）"), max_digits=12, decimal_places=2, default=0)
    note = models.CharField(_("进展情况"), max_length=300, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("报告人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("项目进展")
        verbose_name_plural = _("项目进展")
        ordering = ["project", "-reported_on", "-id"]


class ProjectEvent(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原阶段"), max_length=12, blank=True)
    to_state = models.CharField(_("新阶段"), max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("说明"), max_length=300, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("项目流转记录")
        verbose_name_plural = _("项目流转记录")
        ordering = ["project", "at", "id"]

    @property
    def to_label(self) -> str:
        return str(pw.STATES.get(self.to_state, self.to_state))

    @property
    def action_label(self) -> str:
        t = pw.TRANSITIONS.get(self.action)
        return str(t.label) if t else self.action


class ProjectAsset(models.Model):
    """An asset the project renews: a drainage pipe by its code, or a main (gas, water supply…)
    imported as a feature of a renewal line layer."""

    class Kind(models.TextChoices):
        DRAINAGE_PIPE = "drainage.pipe", _("排水管段")
        LAYER_FEATURE = "renewal.feature", _("管线图层要素")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("资产类型"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("资产编号"), max_length=60)
    label = models.CharField(_("说明"), max_length=200, blank=True)
    length_m = models.FloatField(_("长度（米）"), null=True, blank=True)

    class Meta:
        verbose_name = _("关联资产")
        verbose_name_plural = _("关联资产")
        ordering = ["project", "kind", "code"]
        constraints = [models.UniqueConstraint(fields=["project", "kind", "code"], name="renewal_asset_unique")]


class ResidentConsultation(models.Model):
    """三问于民: one round of asking the residents (needs survey, plan publicity, satisfaction)."""
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="consultations")
    stage = models.CharField(_("征询环节"), max_length=20, choices=list(pt.CONSULTATION_STAGES.items()))
    held_on = models.DateField(_("日期"))
    households_reached = models.PositiveIntegerField(_("征询户数"))
    responses = models.PositiveIntegerField(_("反馈户数"))
    favourable = models.PositiveIntegerField(_("赞成/满意户数"))
    summary = models.TextField(_("主要意见"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("居民征询")
        verbose_name_plural = _("居民征询")
        ordering = ["project", "held_on", "id"]

    @property
    def favourable_rate(self) -> float | None:
        return round(100.0 * self.favourable / self.responses, 1) if self.responses else None


class ResidentSupervisor(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="supervisors")
    name = models.CharField(_("姓名"), max_length=40)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    building = models.CharField(_("楼栋"), max_length=40, blank=True)
    appointed_on = models.DateField(_("聘任日期"))

    class Meta:
        verbose_name = _("居民监督员")
        verbose_name_plural = _("居民监督员")
        ordering = ["project", "id"]


class ProjectAcceptance(models.Model):
    """竣工验收 record; for a 老旧小区改造 resident representatives take part."""
    project = models.OneToOneField(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="acceptance")
    accepted_on = models.DateField(_("验收日期"))
    conclusion = models.CharField(_("验收结论"), max_length=300)
    representatives = models.JSONField(_("居民代表"), default=list, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("竣工验收")
        verbose_name_plural = _("竣工验收")


class LiftProject(models.Model):
    """既有住宅加装电梯, one per building unit (单元): owners vote, 公示, permits, construction,
    acceptance, special-equipment registration, subsidy."""
    code = models.CharField(_("编号"), max_length=24, unique=True)
    project = models.ForeignKey(Project, verbose_name=_("所属更新项目"), null=True, blank=True, on_delete=models.SET_NULL, related_name="lifts")
    compound = models.ForeignKey("geo.Compound", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="+")
    building = models.CharField(_("楼号"), max_length=20)
    unit_no = models.CharField(_("单元"), max_length=20)
    floors = models.PositiveSmallIntegerField(_("层数"))
    responsible_unit = models.ForeignKey("geo.Unit", verbose_name=_("主管部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The last tally (owner_vote.tally + counts) as strings "n/d" and numbers, kept for lists.
    tally = models.JSONField(_("表决结果"), default=dict, blank=True)
    approved = models.BooleanField(_("表决通过"), default=False)
    voted_at = models.DateTimeField(_("计票时间"), null=True, blank=True)
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示结束"), null=True, blank=True)
    planning_permit = models.CharField(_("规划许可证号"), max_length=60, blank=True)
    construction_permit = models.CharField(_("施工许可/备案号"), max_length=60, blank=True)
    permits_on = models.DateField(_("许可日期"), null=True, blank=True)
    construction_started_on = models.DateField(_("开工日期"), null=True, blank=True)
    accepted_on = models.DateField(_("竣工验收日期"), null=True, blank=True)
    registration_no = models.CharField(_("特种设备使用登记证号"), max_length=60, blank=True)
    registered_on = models.DateField(_("使用登记日期"), null=True, blank=True)
    subsidy_yuan = models.DecimalField(_("补贴金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("加装电梯项目")
        verbose_name_plural = _("加装电梯项目")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["compound", "building", "unit_no"], name="renewal_lift_unit")]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.building}号楼{self.unit_no}单元"


class LiftOwner(models.Model):
    """One exclusive part (专有部分) of the building unit, its owner and the owner's vote."""

    class Vote(models.TextChoices):
        AGREE = "agree", _("同意")
        OPPOSE = "oppose", _("反对")
        ABSTAIN = "abstain", _("弃权")
        ABSENT = "absent", _("未参与表决")

    lift = models.ForeignKey(LiftProject, verbose_name=_("加装电梯项目"), on_delete=models.CASCADE, related_name="owners")
    part = models.CharField(_("房号"), max_length=20)
    owner = models.CharField(_("业主"), max_length=60)
    area_m2 = models.DecimalField(_("专有部分面积（平方米）"), max_digits=10, decimal_places=2)
    floor = models.PositiveSmallIntegerField(_("楼层"), null=True, blank=True)
    vote = models.CharField(_("表决意见"), max_length=8, choices=Vote.choices, default=Vote.ABSENT)

    class Meta:
        verbose_name = _("业主表决")
        verbose_name_plural = _("业主表决")
        ordering = ["lift", "part"]
        constraints = [models.UniqueConstraint(fields=["lift", "part"], name="renewal_lift_part")]


class LiftObjection(models.Model):
    lift = models.ForeignKey(LiftProject, verbose_name=_("加装电梯项目"), on_delete=models.CASCADE, related_name="objections")
    raised_on = models.DateField(_("提出日期"))
    objector = models.CharField(_("异议人"), max_length=60)
    content = models.CharField(_("异议内容"), max_length=300)
    mediated_on = models.DateField(_("调解日期"), null=True, blank=True)
    mediation = models.CharField(_("调解结果"), max_length=300, blank=True)
    resolved = models.BooleanField(_("已化解"), default=False)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["lift", "raised_on", "id"]


class ParkingSupply(models.Model):
    """Parking spaces (and charging points among them): a compound's own, a public lot, roadside."""

    class Kind(models.TextChoices):
        COMPOUND = "compound", _("小区内泊位")
        PUBLIC_LOT = "public_lot", _("公共停车场")
        TEMPORARY = "temporary", _("公共临时停车场")
        ROADSIDE = "roadside", _("路内泊位")

    code = models.CharField(_("编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    compound = models.ForeignKey("geo.Compound", verbose_name=_("小区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    spaces = models.PositiveIntegerField(_("泊位数"))
    chargers = models.PositiveIntegerField(_("充电桩数"), default=0)
    project = models.ForeignKey(Project, verbose_name=_("建设项目"), null=True, blank=True, on_delete=models.SET_NULL, related_name="parking")
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)

    class Meta:
        verbose_name = _("停车泊位")
        verbose_name_plural = _("停车泊位")
        ordering = ["community", "code"]


class ChargingSite(models.Model):
    """A charging station in use (existing) or a candidate site for new chargers."""
    code = models.CharField(_("编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    community = models.ForeignKey("geo.Community", verbose_name=_("社区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    capacity = models.PositiveIntegerField(_("可服务车辆（个）"))
    existing = models.BooleanField(_("已建成"), default=False)

    class Meta:
        verbose_name = _("充电设施点位")
        verbose_name_plural = _("充电设施点位")
        ordering = ["code"]
