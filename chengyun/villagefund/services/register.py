"""The register: villages with their collective economic organisation, and the yearly batches."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Conflict, Invalid
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.standards import gb32100

from ..models import Batch, Village
from . import checks
from .access import require_district

VILLAGE_FIELDS = ("name", "organisation", "credit_code", "households", "population", "representatives", "party_members", "base_income_wan")


def credit_code(value: Any) -> str:
    code = gb32100.normalise(str(value or ""))
    found = gb32100.problem(code)
    if found is not None:
        raise Invalid(found.message, code=f"credit_code_{found.code}", detail={"field": "credit_code", "rule": "GB 32100-2015"})
    return code


def _village_values(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(VILLAGE_FIELDS)
    if unknown:
        raise Invalid(f"未知字段：{'、'.join(sorted(unknown))}", code="unknown_field", detail={"fields": sorted(unknown)})
    out: dict[str, Any] = {}
    if "name" in values:
        out["name"] = checks.text(values["name"], "name", "村名", max_length=60)
    if "organisation" in values:
        out["organisation"] = checks.text(values["organisation"], "organisation", "村集体经济组织名称", max_length=100)
    if "credit_code" in values:
        out["credit_code"] = credit_code(values["credit_code"])
    for name, label in (("households", "户数"), ("population", "人口"), ("representatives", "村民代表人数"), ("party_members", "党员人数")):
        if name in values:
            out[name] = checks.count(values[name], name, label)
    if "base_income_wan" in values:
        out["base_income_wan"] = checks.money(values["base_income_wan"], "base_income_wan", "上年集体经营性收入")
    return out


def create_village(user: Any, *, community: Any, **values: Any) -> Village:
    """Register a village on its community-level area: the street's officers (or an administrator)."""
    if user is not None:
        policy.require_role(user, {R.STREET_OFFICER, R.SYSADMIN}, "只有街道（镇）工作人员可以登记本街道的村")
        policy.require_create(user, Village, community_id=community.pk, message="只能登记本街道（镇）的村")
    for required in ("name", "organisation", "credit_code"):
        if not values.get(required):
            raise Invalid(f"请填写{ {'name': '村名', 'organisation': '村集体经济组织名称', 'credit_code': '统一社会信用代码'}[required] }",
                          code=f"missing_{required}", detail={"field": required})
    clean = _village_values(values)
    if Village.objects.filter(community=community).exists():
        raise Conflict(f"{community.name}已登记为村", code="village_exists", detail={"field": "community"})
    if Village.objects.filter(credit_code=clean["credit_code"]).exists():
        raise Invalid("该统一社会信用代码已被其他村集体经济组织使用", code="duplicate_credit_code", detail={"field": "credit_code"})
    with transaction.atomic():
        village = Village.objects.create(community=community, **clean)
        audit.created(village)
    return village


def update_village(user: Any, village: Village, **values: Any) -> Village:
    if user is not None:
        policy.require_write(user, village, "您无权修改该村的登记信息")
    clean = _village_values(values)
    if "credit_code" in clean and Village.objects.filter(credit_code=clean["credit_code"]).exclude(pk=village.pk).exists():
        raise Invalid("该统一社会信用代码已被其他村集体经济组织使用", code="duplicate_credit_code", detail={"field": "credit_code"})
    with transaction.atomic():
        audit.save_changes(village, clean)
    return village


def create_batch(user: Any, *, year: Any, name: str, document: str = "", central_wan: Any = 0, province_wan: Any = 0,
                 city_wan: Any = 0, district_wan: Any = 0) -> Batch:
    """A year's allocation by source (中央、省、市、区): the district's joint-review departments."""
    if user is not None:
        require_district(user, "只有区级联审部门可以登记资金批次")
    values = {"year": checks.year(year), "name": checks.text(name, "name", "批次名称", max_length=100),
              "document": checks.text(document, "document", "下达文号", max_length=100, required=False)}
    labels = {"central_wan": "中央资金", "province_wan": "省级资金", "city_wan": "市级资金", "district_wan": "区级资金"}
    amounts = {"central_wan": central_wan, "province_wan": province_wan, "city_wan": city_wan, "district_wan": district_wan}
    for key, raw in amounts.items():
        values[key] = checks.money(raw, key, labels[key])
    if not any(values[k] for k in labels):
        raise Invalid("资金批次至少应有一个来源的金额", code="empty_batch", detail={"field": "central_wan"})
    with transaction.atomic():
        batch = Batch.objects.create(**values)
        audit.created(batch)
    return batch
