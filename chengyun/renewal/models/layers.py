"""Spatial layers the health check computes its coverage indicators from (not typed in).

Parks (with area), residential land parcels, facilities by kind and the road network are
imported from GeoJSON / Shapefile; geometry is GeoJSON text in WGS84 like everywhere else.
"""
from __future__ import annotations

import json
from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape


class Layer(models.Model):
    class Kind(models.TextChoices):
        PARK = "park", _("公园绿化活动场地")
        RESIDENTIAL = "residential", _("居住用地")
        FACILITY = "facility", _("公共服务设施")
        ROAD = "road", _("道路网")

    code = models.CharField(_("图层编码"), max_length=40, unique=True)
    name = models.CharField(_("图层名称"), max_length=100)
    kind = models.CharField(_("图层类型"), max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("现状年份"), null=True, blank=True)
    unit = models.ForeignKey("geo.Unit", verbose_name=_("提供单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_name = models.CharField(_("来源文件"), max_length=200, blank=True)
    feature_count = models.PositiveIntegerField(_("要素数"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now=True)

    class Meta:
        verbose_name = _("体检图层")
        verbose_name_plural = _("体检图层")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class FacilityKind(models.TextChoices):
    FIRE_STATION = "fire_station", _("消防站")
    MIDDLE_SCHOOL = "middle_school", _("中学")
    PRIMARY_SCHOOL = "primary_school", _("小学")
    KINDERGARTEN = "kindergarten", _("幼儿园")
    ELDERLY_CARE = "elderly_care", _("养老服务设施")
    CLINIC = "clinic", _("社区卫生服务站")
    COMMUNITY_SERVICE = "community_service", _("社区综合服务站")
    MARKET = "market", _("便民商业（菜市场、超市）")
    SPORTS = "sports", _("体育活动场地")
    CULTURE = "culture", _("文化活动中心")


class Feature(models.Model):
    layer = models.ForeignKey(Layer, verbose_name=_("图层"), on_delete=models.CASCADE, related_name="features")
    code = models.CharField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    facility_kind = models.CharField(_("设施类型"), max_length=20, choices=FacilityKind.choices, blank=True, db_index=True)
    area_m2 = models.FloatField(_("面积（平方米）"), default=0)
    length_m = models.FloatField(_("长度（米）"), default=0)
    geometry = models.TextField(_("几何（GeoJSON）"))
    lng = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    properties = models.JSONField(_("属性"), default=dict, blank=True)

    class Meta:
        verbose_name = _("图层要素")
        verbose_name_plural = _("图层要素")
        ordering = ["layer", "code"]
        constraints = [models.UniqueConstraint(fields=["layer", "code"], name="renewal_feature_code")]

    def __str__(self) -> str:
        return self.name or self.code

    @cached_property
    def shape(self):
        return shape(json.loads(self.geometry))
