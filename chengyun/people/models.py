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

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
