"""Monitoring devices and what they send.

A device is known by its MN (HJ 212 设备唯一标识). Its readings are kept per
(device, CN, data time, factor): a device that resends a packet after a lost
reply must not double a value, so that key is unique and writes are upserts.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    class SiteKind(models.TextChoices):
        NONE = "", _("未关联")
        SECTION = "section", _("监测断面")
        OUTFALL = "outfall", _("入河排污口")

    class Kind(models.TextChoices):
        ONLINE = "online", _("在线监测")
        MANUAL = "manual", _("手工监测")

    mn = models.CharField(_("设备编码 MN"), max_length=24, unique=True)
    password = models.CharField(_("访问密码 PW"), max_length=32)
    st = models.CharField(_("系统编码 ST"), max_length=5, default="21")
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.ONLINE)
    # [{"code": "w01018", "unit": "mg/L"}, ...]: what the device is expected to report.
    # Factors outside this list are still stored: a reading is never dropped for being unexpected.
    factors = models.JSONField(_("监测因子"), default=list, blank=True)
    # A generic link: the water app owns sections and outfalls and sets these by code,
    # so monitoring does not depend on water.
    site_kind = models.CharField(_("站点类型"), max_length=8, choices=SiteKind.choices, default="", blank=True)
    site_code = models.CharField(_("站点编码"), max_length=32, default="", blank=True)
    # Known vendor deviations, accepted for this device only (off by default).
    tolerate_lowercase_crc = models.BooleanField(_("容忍小写 CRC"), default=False)
    tolerate_swapped_modbus_crc = models.BooleanField(_("容忍字节交换的 Modbus CRC"), default=False)
    last_seen_at = models.DateTimeField(_("最后上报时间"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("监测设备")
        verbose_name_plural = _("监测设备")
        ordering = ["mn"]
        indexes = [models.Index(fields=["site_kind", "site_code"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.mn}）"

    @property
    def factor_codes(self) -> list[str]:
        return [f.get("code", "") for f in self.factors or []]

    def unit_of(self, code: str) -> str:
        for f in self.factors or []:
            if f.get("code") == code:
                return f.get("unit", "")
        return ""


class Reading(models.Model):
    """One factor's value for one period (CN) at one data time.

    ``value`` is Rtd for real-time data (CN 2011) and Avg for minute/hour/day data
    (2051/2061/2031); ``flag`` is the HJ 212 data flag (N normal; F/M/S/D/C/T/B are kept
    but are not valid for evaluation). Laboratory (手工监测) results carry cn ``LAB``.
    """

    LAB = "LAB"
    CN_CHOICES = [("2011", _("实时数据")), ("2051", _("分钟数据")), ("2061", _("小时数据")), ("2031", _("日数据")), (LAB, _("手工监测"))]

    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.PROTECT, related_name="readings")
    cn = models.CharField(_("数据类型 CN"), max_length=4, choices=CN_CHOICES)
    factor = models.CharField(_("因子编码"), max_length=16)
    data_time = models.DateTimeField(_("数据时间"))
    value = models.FloatField(_("值"), null=True, blank=True)
    min = models.FloatField(_("最小值"), null=True, blank=True)
    max = models.FloatField(_("最大值"), null=True, blank=True)
    cou = models.FloatField(_("累计值"), null=True, blank=True)
    flag = models.CharField(_("数据标记"), max_length=4, default="N", blank=True)
    received_at = models.DateTimeField(_("接收时间"))
    source = models.CharField(_("来源"), max_length=8, default="hj212")  # hj212 | mqtt | lab | seed

    class Meta:
        verbose_name = _("监测数据")
        verbose_name_plural = _("监测数据")
        ordering = ["-data_time", "factor"]
        constraints = [
            models.UniqueConstraint(fields=["device", "cn", "data_time", "factor"], name="monitoring_reading_unique_key"),
        ]
        indexes = [models.Index(fields=["device", "factor", "data_time"], name="monitoring_reading_series")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.cn} {self.factor} {self.data_time:%Y-%m-%d %H:%M} = {self.value}"

    @property
    def valid(self) -> bool:
        return self.flag in ("", "N")


class RawFrame(models.Model):
    """Every frame as received, kept for audit for a configurable number of days."""

    class Outcome(models.TextChoices):
        STORED = "stored", _("已入库")
        REJECTED = "rejected", _("已拒绝")
        MALFORMED = "malformed", _("格式错误")

    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    device = models.ForeignKey(Device, verbose_name=_("设备"), null=True, blank=True, on_delete=models.SET_NULL, related_name="raw_frames", db_constraint=False)
    mn = models.CharField(_("设备编码 MN"), max_length=24, blank=True)
    channel = models.CharField(_("通道"), max_length=8, default="hj212")
    peer = models.CharField(_("来源地址"), max_length=64, blank=True)
    frame = models.TextField(_("原始报文"))
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, default=Outcome.STORED)

    class Meta:
        verbose_name = _("原始报文")
        verbose_name_plural = _("原始报文")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["device", "received_at"], name="monitoring_rawframe_device")]


class IngestLog(models.Model):
    """A packet or message that was refused, and why: the operator's first stop when a device is missing data.

    Also records, with reason ``deviation``, that a device sends a tolerated deviation from the standard.
    """

    class Reason(models.TextChoices):
        UNKNOWN_MN = "unknown_mn", _("未登记的设备")
        WRONG_PASSWORD = "wrong_pw", _("密码错误")
        INACTIVE = "inactive", _("设备已停用")
        MALFORMED = "malformed", _("报文格式错误")
        # The packet parses but its data time is impossible or absurd (before 2000, more than a day ahead).
        BAD_TIME = "bad_time", _("数据时间不可信")
        # One factor of an otherwise stored packet was refused (e.g. a code longer than the column).
        BAD_FACTOR = "bad_factor", _("因子编码有误")
        # Not a refusal: a packet accepted with a vendor deviation that loses no meaning (lower-case
        # CRC, DataTime with milliseconds), recorded at most once per device and kind an hour.
        DEVIATION = "deviation", _("已接受（偏离标准）")

    at = models.DateTimeField(_("时间"), db_index=True)
    channel = models.CharField(_("通道"), max_length=8, default="hj212")  # hj212 | mqtt | http
    peer = models.CharField(_("来源地址"), max_length=64, blank=True)
    mn = models.CharField(_("设备编码 MN"), max_length=24, blank=True, db_index=True)
    reason = models.CharField(_("原因"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("说明"), max_length=255, blank=True)
    frame = models.TextField(_("报文"), blank=True)

    class Meta:
        verbose_name = _("接入拒绝记录")
        verbose_name_plural = _("接入拒绝记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.mn or '?'} {self.get_reason_display()}"
