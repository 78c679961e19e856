"""Input checks every write shares: amounts, dates, counts, choices. Each failure is a 422 naming
the field, before anything is written."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from chengyun.core.errors import Invalid


def money(value: Any, field: str, label: str, *, positive: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise Invalid(f"{label}应为金额（万元）", code="bad_amount", detail={"field": field}) from None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise Invalid(f"{label}应{'大于' if positive else '不小于'} 0", code="bad_amount", detail={"field": field})
    if amount >= Decimal("1e10"):
        raise Invalid(f"{label}过大", code="bad_amount", detail={"field": field})
    return amount


def count(value: Any, field: str, label: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{label}应为整数", code="bad_count", detail={"field": field}) from None
    if n < 0 or n > 1_000_000 or (isinstance(value, float) and value != n):
        raise Invalid(f"{label}应为非负整数", code="bad_count", detail={"field": field})
    return n


def day(value: Any, field: str, label: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise Invalid(f"请填写{label}", code="missing_date", detail={"field": field})
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{label}应为日期（YYYY-MM-DD）", code="bad_date", detail={"field": field}) from None


def choice(value: Any, options: Mapping[str, Any], field: str, label: str) -> str:
    code = str(value or "").strip()
    if code in options:
        return code
    by_label = {str(v): k for k, v in options.items()}
    if code in by_label:
        return by_label[code]
    raise Invalid(f"未知的{label}：{code}（可选：{'、'.join(by_label)}）", code=f"bad_{field}", detail={"field": field})


def text(value: Any, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    out = str(value or "").strip()
    if required and not out:
        raise Invalid(f"请填写{label}", code=f"missing_{field}", detail={"field": field})
    if len(out) > max_length:
        raise Invalid(f"{label}不超过 {max_length} 字", code="too_long", detail={"field": field})
    return out


def year(value: Any, field: str = "year") -> int:
    try:
        y = int(value)
    except (TypeError, ValueError):
        raise Invalid("年度应为四位年份", code="bad_year", detail={"field": field}) from None
    if not 2000 <= y <= 2100:
        raise Invalid(f"年度 {y} 不合理", code="bad_year", detail={"field": field})
    return y


def user_of(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None
