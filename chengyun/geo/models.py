"""The district's administrative tiling and its responsible units.

Geometry is kept as GeoJSON text in WGS84/CGCS2000 (lng, lat) so that SQLite and PostgreSQL
store the same thing without a spatial extension; spatial queries run on a Shapely STRtree
built in memory (see index.py) and refreshed when boundaries change.
"""
from __future__ import annotations

import json
from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from shapely.geometry import shape


class Area(models.Model):
    code = models.CharField(_("编码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    geometry = models.TextField(_("边界（GeoJSON）"))
    area_m2 = models.FloatField(_("面积（平方米）"), default=0)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def shape(self):
        return shape(json.loads(self.geometry))

    @property
    def area_km2(self) -> float:
        return self.area_m2 / 1e6


class District(Area):
    class Meta(Area.Meta):
        verbose_name = _("区")
        verbose_name_plural = _("区")


class Street(Area):
    district = models.ForeignKey(District, verbose_name=_("所属区"), on_delete=models.PROTECT, related_name="streets")

    class Meta(Area.Meta):
        verbose_name = pgettext_lazy("行政区划", "街道")
        verbose_name_plural = pgettext_lazy("行政区划（复数）", "街道")


class Community(Area):
    street = models.ForeignKey(Street, verbose_name=_("所属街道"), on_delete=models.PROTECT, related_name="communities")

    class Meta(Area.Meta):
        verbose_name = _("社区")
        verbose_name_plural = _("社区")


class Grid(Area):
    """单元网格 (GB/T 30428.1): the smallest area of city-management responsibility."""

    community = models.ForeignKey(Community, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="grids")
    # Denormalised from the community so that every scoped query filters in one join.
    street = models.ForeignKey(Street, verbose_name=_("所属街道"), on_delete=models.PROTECT, related_name="grids")

    class Meta(Area.Meta):
        verbose_name = _("单元网格")
        verbose_name_plural = _("单元网格")


class Unit(models.Model):
    """责任单位: who is responsible for fixing what, where."""

    class Kind(models.TextChoices):
        OPS_CENTER = "ops_center", _("城运中心")
        DEPARTMENT = "department", _("区直部门")
        STREET_OFFICE = "street_office", _("街道办事处")
        COMMUNITY = "community", _("社区居委会")
        UTILITY = "utility", _("公用事业单位")
        PROPERTY = "property", _("物业服务企业")
        CONTRACTOR = "contractor", _("作业单位")
        OTHER = "other", _("其他")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    # 城管, 住建, 水务, 供水, 排水, 燃气 … — what the case catalogue's "default responsible
    # unit type" refers to when suggesting a dispatch.
    specialty = models.CharField(_("专业"), max_length=30, blank=True, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    district_wide = models.BooleanField(_("全区负责"), default=False)
    streets = models.ManyToManyField(Street, verbose_name=_("负责街道"), blank=True, related_name="units")
    communities = models.ManyToManyField(Community, verbose_name=_("负责社区"), blank=True, related_name="units")
    grids = models.ManyToManyField(Grid, verbose_name=_("负责网格"), blank=True, related_name="units")
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class UnitContact(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("联系人"), max_length=50)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=30)
    on_duty = models.BooleanField(_("值班联系人"), default=False)

    class Meta:
        verbose_name = _("单位联系人")
        verbose_name_plural = _("单位联系人")
        ordering = ["unit", "-on_duty", "name"]

    def __str__(self) -> str:
        return f"{self.name} {self.phone}"


class Compound(models.Model):
    """住宅小区: the platform-wide register of residential compounds.

    Shared by every module that works per compound (city health check, renewal, property
    management); it says what a compound is, not what any one module does with it.
    """

    class ManagementMode(models.TextChoices):
        PROFESSIONAL = "professional", _("专业物业")
        COMMUNITY_CLEANING = "community_cleaning", _("社区保洁")
        COMMUNITY_QUASI = "community_quasi", _("社区准物业")
        NONE = "none", _("无物业")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("小区名称"), max_length=100)
    community = models.ForeignKey(Community, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="compounds")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    buildings = models.PositiveIntegerField(_("楼栋数"), default=0)
    households = models.PositiveIntegerField(_("户数"), default=0)
    floor_area_m2 = models.FloatField(_("建筑面积（平方米）"), default=0)
    management_mode = models.CharField(_("物业管理方式"), max_length=20, choices=ManagementMode.choices, default=ManagementMode.NONE)
    property_company = models.CharField(_("物业服务企业"), max_length=100, blank=True)
    geometry = models.TextField(_("范围（GeoJSON）"), blank=True)
    lng = models.FloatField(_("中心点经度"), null=True, blank=True)
    lat = models.FloatField(_("中心点纬度"), null=True, blank=True)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("住宅小区")
        verbose_name_plural = _("住宅小区")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def shape(self):
        return shape(json.loads(self.geometry)) if self.geometry else None
