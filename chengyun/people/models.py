from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_NAMES


class Role(models.Model):
    code = models.CharField(_("编码"), max_length=32, primary_key=True, choices=[(k, v) for k, v in ROLE_NAMES.items()])
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["code"]

    def __str__(self) -> str:
        return str(ROLE_NAMES.get(self.code, self.name))


class Person(models.Model):
    """Someone who does the district's work. Many have a login; village river chiefs or
    street chiefs recorded for accountability may not."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="person")
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="people")
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), related_name="people")
    # Area scope (定人定片区): the streets, communities or grids this person is responsible for.
    streets = models.ManyToManyField("geo.Street", verbose_name=_("负责街道"), blank=True, related_name="people")
    communities = models.ManyToManyField("geo.Community", verbose_name=_("负责社区"), blank=True, related_name="people")
    grids = models.ManyToManyField("geo.Grid", verbose_name=_("负责网格"), blank=True, related_name="people")
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["unit_id", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def role_codes(self) -> frozenset[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("code", flat=True))
            self._role_codes = cached
        return cached


class ApiToken(models.Model):
    """A bearer token for a device or an integration. Only a hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100, blank=True)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    # What the token may call (chengyun.people.scopes); ["*"] = everything its owner's roles allow.
    scopes = models.JSONField(_("权限范围"), default=list, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class AccountSecurity(models.Model):
    """Per-login security state: forced password change, password age, the TOTP second factor.

    The TOTP secret is what the authenticator app shares with the server (RFC 6238); recovery
    codes are kept only as hashes, like passwords.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security", primary_key=True)
    must_change_password = models.BooleanField(_("首次登录须改密码"), default=False)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(_("双因素启用时间"), null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)  # a code is accepted once (replay refused)
    recovery_codes = models.JSONField(default=list, blank=True)  # password hashes of unused codes

    class Meta:
        verbose_name = _("账号安全")
        verbose_name_plural = _("账号安全")

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_secret and self.totp_confirmed_at)


class Lockout(models.Model):
    """Failed sign-ins counted per subject (an account, a client address, an API token prefix)
    in a window; at the limit the subject is locked for a period."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("账号")
        ADDRESS = "address", _("客户端地址")
        TOKEN = "token", _("API 令牌")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    subject = models.CharField(_("对象"), max_length=190)
    failures = models.PositiveIntegerField(_("失败次数"), default=0)
    window_start = models.DateTimeField(_("计数开始"))
    last_failure_at = models.DateTimeField(_("最近失败"))
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录锁定")
        verbose_name_plural = _("登录锁定")
        constraints = [models.UniqueConstraint(fields=["kind", "subject"], name="lockout_kind_subject")]
        ordering = ["-last_failure_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}"


class UserSession(models.Model):
    """A signed-in browser session, so a person sees and revokes theirs (and an administrator
    anyone's), and idle and absolute timeouts are enforced on the server."""

    session_key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions")
    user_agent = models.CharField(_("设备"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("登录时间"))
    last_seen_at = models.DateTimeField(_("最近活动"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=16, blank=True)
    mfa_verified = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        ordering = ["-last_seen_at"]
