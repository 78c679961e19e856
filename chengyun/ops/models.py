from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """A long-running receiver (HJ 212 server, MQTT ingester) saying it is alive, every few seconds.

    One row per receiver identity (kind, listening address or client id, host): the worker
    processes of one HJ 212 server beat on the same row. A clean stop sets ``stopped_at``;
    a killed process simply stops beating, which readiness reports as stale. Operational
    state rather than a domain record, so it is not audited."""

    name = models.CharField(_("名称"), max_length=120, unique=True)
    kind = models.CharField(_("类别"), max_length=40)
    host = models.CharField(_("主机"), max_length=120, blank=True)
    pid = models.IntegerField(_("进程号"), null=True, blank=True)
    started_at = models.DateTimeField(_("启动时间"))
    beat_at = models.DateTimeField(_("最近心跳"), db_index=True)
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)
    detail = models.JSONField(_("说明"), default=dict, blank=True)

    class Meta:
        verbose_name = _("服务心跳")
        verbose_name_plural = _("服务心跳")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JobFailure(models.Model):
    """One background job run that raised. ``final`` rows are jobs that used up their retries:
    those are failed for good and counted on /metrics (``chengyun_jobs_failed``); the others
    record each retry with when the next attempt is due, so backoff is visible after the fact.
    Written by the Huey error signal (chengyun.ops.jobs), never by users, so not audited."""

    task = models.CharField(_("任务"), max_length=200, db_index=True)
    task_id = models.CharField(_("任务编号"), max_length=64, db_index=True)
    arguments = models.TextField(_("参数"), blank=True)
    error = models.TextField(_("错误"))
    retries_left = models.IntegerField(_("剩余重试次数"))
    next_attempt_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    final = models.BooleanField(_("最终失败"), default=False, db_index=True)
    failed_at = models.DateTimeField(_("失败时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("后台任务失败")
        verbose_name_plural = _("后台任务失败")
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task} {self.task_id}"


class JobInFlight(models.Model):
    """A job a worker has started and not yet finished (chengyun.ops.inflight): what is left of
    it after the worker dies is put back on the queue. Operational state, not audited."""

    task_id = models.CharField(_("任务编号"), max_length=64, unique=True)
    task = models.CharField(_("任务"), max_length=200)
    message = models.BinaryField(_("任务消息"))
    host = models.CharField(_("主机"), max_length=120)
    pid = models.IntegerField(_("进程号"))
    started_at = models.DateTimeField(_("开始时间"), db_index=True)

    class Meta:
        verbose_name = _("进行中的后台任务")
        verbose_name_plural = _("进行中的后台任务")

    def __str__(self) -> str:
        return f"{self.task} {self.task_id}"
