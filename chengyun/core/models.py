from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import auditchain


class AuditEntry(models.Model):
    """One change of domain data. Append-only: the database refuses UPDATE and DELETE (except
    entries an AuditAnchor covers, which the retention purge removes). Hash-chained in ``seq``
    order (chengyun.core.auditlog)."""

    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        ACTION = "action", _("操作")  # a workflow transition or other named action
        IMPORT = "import", _("导入")
        LOGIN = "login", _("登录")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    request_id = models.CharField(_("请求编号"), max_length=64, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    source = models.CharField(_("来源"), max_length=16, default="system")
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    action = models.CharField(_("动作"), max_length=16, choices=Action.choices)
    verb = models.CharField(_("操作名称"), max_length=64, blank=True, help_text=_("如 dispatch、import_boundaries"))
    object_type = models.CharField(_("对象类型"), max_length=64, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, db_index=True, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    seq = models.BigIntegerField(_("序号"), null=True, unique=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"]), models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '系统'} {self.get_action_display()} {self.object_type}:{self.object_id}"

    @classmethod
    def chain_head(cls) -> tuple[int, str]:
        """(seq, hash) the next entry links to: the last chained entry, else the latest anchor."""
        # (seq__isnull: PostgreSQL sorts NULLs first in DESC order; a row written around the chain must not reset it.)
        last = cls.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
        if last is not None:
            return last
        anchor = AuditAnchor.objects.order_by("-seq").values_list("seq", "hash").first()
        return anchor if anchor is not None else (0, auditchain.GENESIS)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        with auditchain.chain_lock():
            auditchain.link([self])
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit entries are append-only")


class AuditAnchor(models.Model):
    """Where the audit chain starts after a retention purge: the seq and hash of the last
    entry removed, so the remaining chain is still verifiable."""

    seq = models.BigIntegerField(_("截至序号"), unique=True)
    hash = models.CharField(_("哈希"), max_length=64)
    last_at = models.DateTimeField(_("最后一条时间"))
    purged = models.PositiveIntegerField(_("清理条数"))
    retention_days = models.PositiveIntegerField(_("保存天数"))
    created_at = models.DateTimeField(_("清理时间"), default=timezone.now)

    class Meta:
        verbose_name = _("审计链锚点")
        verbose_name_plural = _("审计链锚点")
        ordering = ["-seq"]


class Notification(models.Model):
    """An in-app message to one user; outbound channels (email, webhook) fan out from here."""

    class Level(models.TextChoices):
        INFO = "info", _("通知")
        WARNING = "warning", _("预警")
        DANGER = "danger", _("超期/告警")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    # What the notice asks of the recipient (core.notify.KINDS); "" for older callers that did not say.
    kind = models.CharField(_("类型"), max_length=32, blank=True, default="", db_index=True)
    # Outbound copies wait for the recipient's digest (leaders who asked for one bundle a day).
    held_for_digest = models.BooleanField(default=False)
    digested_at = models.DateTimeField(null=True, blank=True)
    # Lets a periodic job notify once per (subject, reason) however often it runs.
    dedup_key = models.CharField(max_length=200, blank=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedup_key"], condition=~models.Q(dedup_key=""), name="notification_dedup"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """One user's choice for one kind of notice: which channels carry it. The row with kind ""
    is the user's default for every kind without a row of its own, and holds the digest switch."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(_("类型"), max_length=32, blank=True, default="")
    in_app = models.BooleanField(_("站内"), default=True)
    email = models.BooleanField(_("邮件"), default=True)
    webhook = models.BooleanField(_("短信/企业微信"), default=True)
    digest = models.BooleanField(_("每日汇总"), default=False)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind or '*'}"


class CalendarOverride(models.Model):
    """An administrator's correction of one date: whether it is a working day.

    chinese-calendar only knows the years published before its release; each year's
    holiday arrangement is announced around November and entered here.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'}"


class ChangeStamp(models.Model):
    """A counter bumped when shared reference data changes, so every process can tell
    that its in-memory index (e.g. the locate STRtree) is stale."""

    name = models.CharField(max_length=64, primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("变更戳")
        verbose_name_plural = _("变更戳")
