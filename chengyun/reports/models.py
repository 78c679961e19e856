from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportRun(models.Model):
    """One generated report, kept as it was issued. Regenerating a period adds a new run
    rather than overwriting, so what was circulated on a given day can still be read."""

    kind = models.CharField(_("报告类型"), max_length=64, db_index=True)
    period = models.CharField(_("期间"), max_length=32, db_index=True, help_text=_("如 2026-05 或 2026-05-18"))
    title = models.CharField(_("标题"), max_length=200)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    docx = models.FileField(_("Word 文件"), upload_to="reports/%Y/%m/", blank=True)
    xlsx = models.FileField(_("Excel 文件"), upload_to="reports/%Y/%m/", blank=True)
    summary = models.JSONField(_("要点"), default=dict, blank=True)
    generated_at = models.DateTimeField(_("生成时间"), auto_now_add=True, db_index=True)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("生成人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(_("生成方式"), max_length=16, default="system")

    class Meta:
        verbose_name = _("报告")
        verbose_name_plural = _("报告")
        ordering = ["-generated_at", "-id"]
        indexes = [models.Index(fields=["kind", "period", "generated_at"])]

    def __str__(self) -> str:
        return self.title

    def get_source_display(self):
        from chengyun.core.audit_display import source_label

        return source_label(self.source)
