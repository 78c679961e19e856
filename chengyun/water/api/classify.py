"""GB 3838-2002 classification of values given in the request (no site, nothing stored)."""
from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from chengyun.core.errors import Invalid
from chengyun.standards import gb3838

from .common import router


class ClassifyIn(Schema):
    values: dict[str, Any] = Field(..., description="因子 → 浓度，键为 GB 3838 键（COD、NH3N、TP…）或 HJ 212 编码（w01018…）")
    water_body: str = Field("river", description="river（河流）或 lake（湖泊、水库）")


class ClassifyOut(Schema):
    water_body: str
    water_class: int
    label: str
    quality: str
    limiting: list[str]
    exceedance: dict[str, float]
    factor_classes: dict[str, int]
    ignored: list[str]
    values: dict[str, float]


def classify_values(values: dict[str, Any], water_body: str) -> gb3838.Classification:
    """gb3838.classify with its errors turned into Chinese 422s naming the factor."""
    if water_body not in gb3838.WATER_BODIES:
        raise Invalid(f"水体类型 {water_body!r} 无效，应为 river（河流）或 lake（湖泊、水库）", code="invalid_water_body", detail={"field": "water_body"})
    if not values:
        raise Invalid("请至少提供一个因子的监测值", code="no_values", detail={"field": "values"})
    given_as: dict[str, str] = {}
    for key, value in values.items():
        try:
            canonical = gb3838.canonical_key(key)
        except ValueError:
            raise Invalid(f"未知的水质因子：{key}", code="unknown_factor", detail={"factor": key}) from None
        try:
            gb3838.to_standard_unit(key, value)
        except ValueError:
            raise Invalid(f"因子 {key} 的值 {value!r} 不是有效的非负数值", code="invalid_value", detail={"factor": key, "value": value}) from None
        if canonical in given_as:
            raise Invalid(f"因子 {canonical} 重复给出（{given_as[canonical]} 与 {key}）", code="duplicate_factor",
                          detail={"factor": canonical, "keys": [given_as[canonical], key]})
        given_as[canonical] = key
    if not any(k in gb3838.LIMITS[water_body] for k in given_as):
        body = "河流" if water_body == "river" else "湖泊、水库"
        raise Invalid(f"所给因子（{'、'.join(values)}）均不参与{body}的水质类别评价", code="no_classifiable_factor",
                      detail={"factors": list(values), "water_body": water_body})
    try:
        return gb3838.classify(values, water_body)
    except ValueError as e:  # the checks above mirror classify's; this is only a safety net
        raise Invalid(f"无法评价：{e}", code="cannot_classify") from None


@router.post("/classify", response=ClassifyOut, summary="按 GB 3838-2002 评价水质类别")
def classify(request, body: ClassifyIn):
    return classify_values(body.values, body.water_body).to_dict()
