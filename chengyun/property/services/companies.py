"""Companies, their project managers, their projects (the compounds they manage) and the
consequences of the red and black boards. Kept by the property office (services.access)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.dates import parse_date
from chengyun.core.errors import Invalid
from chengyun.people.lookup import referenced
from chengyun.standards import gb32100

from ..models import Company, Management, Measure, ProjectManager
from .access import require_office

COMPANY_FIELDS = ("name", "credit_code", "legal_representative", "phone", "address", "base_score", "active")


def check_credit_code(value: Any) -> str:
    code = gb32100.normalise(str(value or ""))
    if not code:
        raise Invalid("请填写统一社会信用代码", code="missing_credit_code", detail={"field": "credit_code"})
    found = gb32100.problem(code)
    if found is not None:
        raise Invalid(found.message, code=f"credit_code_{found.code}", detail={"field": "credit_code", "rule": "GB 32100-2015"})
    return code


def _company_values(values: dict[str, Any], scheme: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    unknown = set(values) - set(COMPANY_FIELDS)
    if unknown:
        raise Invalid(f"未知的字段：{'、'.join(sorted(unknown))}", code="unknown_field", detail={"fields": sorted(unknown)})
    if "name" in values:
        out["name"] = str(values["name"] or "").strip()[:100]
        if not out["name"]:
            raise Invalid("请填写企业名称", code="missing_name", detail={"field": "name"})
    if "credit_code" in values:
        out["credit_code"] = check_credit_code(values["credit_code"])
    for f in ("legal_representative", "phone", "address"):
        if f in values:
            out[f] = str(values[f] or "").strip()[:200 if f == "address" else 50]
    if "base_score" in values:
        try:
            base = float(values["base_score"])
        except (TypeError, ValueError):
            raise Invalid("基础信息分应为数字", code="bad_base_score", detail={"field": "base_score"}) from None
        if not 0 <= base <= scheme.base_max:  # also refuses NaN
            raise Invalid(f"基础信息分应在 0 到 {scheme.base_max:g} 之间", code="base_score_out_of_range",
                          detail={"field": "base_score", "max": scheme.base_max})
        out["base_score"] = base
    if "active" in values:
        out["active"] = bool(values["active"])
    return out


def _unique(model, field: str, value: Any, exclude_pk: int | None, message: str) -> None:
    qs = model.objects.filter(**{field: value})
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise Invalid(message, code=f"duplicate_{field}", detail={"field": field})


def create_company(user: Any, **values: Any) -> Company:
    from .scoring import active_scheme, refresh

    require_office(user)
    scheme = active_scheme()
    v = _company_values(values, scheme)
    for f in ("name", "credit_code"):
        if f not in v:
            raise Invalid(f"缺少必填项：{Company._meta.get_field(f).verbose_name}", code=f"missing_{f}", detail={"field": f})
    _unique(Company, "credit_code", v["credit_code"], None, f"统一社会信用代码 {v['credit_code']} 已登记")
    _unique(Company, "name", v["name"], None, f"企业 {v['name']} 已登记")
    with transaction.atomic():
        company = Company.objects.create(**v)
        audit.created(company)
        refresh(company, reason="登记企业")
    return company


def update_company(user: Any, company: Company, **changes: Any) -> Company:
    from .scoring import active_scheme, refresh

    require_office(user)
    v = _company_values(changes, active_scheme())
    if "credit_code" in v:
        _unique(Company, "credit_code", v["credit_code"], company.pk, f"统一社会信用代码 {v['credit_code']} 已登记")
    if "name" in v:
        _unique(Company, "name", v["name"], company.pk, f"企业 {v['name']} 已登记")
    with transaction.atomic():
        audit.save_changes(company, v)
        if "base_score" in v:
            refresh(company, reason="基础信息分调整")
    return company


def add_manager(user: Any, company: Company, *, name: str, phone: str = "", certificate: str = "") -> ProjectManager:
    require_office(user)
    name = str(name or "").strip()[:50]
    if not name:
        raise Invalid("请填写项目经理姓名", code="missing_name", detail={"field": "name"})
    with transaction.atomic():
        m = ProjectManager.objects.create(company=company, name=name, phone=str(phone or "")[:30], certificate=str(certificate or "")[:50])
        audit.created(m)
    return m


def _date(value: Any, field: str, label: str) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value) if value not in (None, "") else "", f"{label}格式有误（YYYY-MM-DD）", field=field, optional=True)


def set_management(user: Any, compound: Any, *, mode: str | None = None, company: Any = None, manager: Any = None,
                   contract_start: Any = None, contract_end: Any = None, fee_per_m2: Any = None) -> Management:
    """Record who manages a compound and under which contract; the mode goes to the register.

    A company (and its contract dates) only with 专业物业; a manager only of that company."""
    from chengyun.geo import compounds
    from chengyun.geo.models import Compound

    require_office(user)
    modes = dict(Compound.ManagementMode.choices)
    mode = mode or compound.management_mode
    if mode not in modes:
        raise Invalid(f"未知的物业管理方式：{mode}", code="bad_management_mode", detail={"field": "mode", "allowed": list(modes)})
    company = company if isinstance(company, Company) or company is None else referenced(Company.objects.all(), company, field="company",
                                                                                           what="物业服务企业", optional=True)
    if mode == Compound.ManagementMode.PROFESSIONAL and company is None:
        raise Invalid("专业物业须填写物业服务企业", code="company_required", detail={"field": "company"})
    if mode != Compound.ManagementMode.PROFESSIONAL and company is not None:
        raise Invalid("只有专业物业填写物业服务企业", code="company_not_allowed", detail={"field": "company"})
    if manager is not None and not isinstance(manager, ProjectManager):
        manager = referenced(ProjectManager.objects.filter(company=company) if company else ProjectManager.objects.none(), manager,
                             field="manager", what="该企业的项目经理", optional=True)
    start = _date(contract_start, "contract_start", "合同开始日期")
    end = _date(contract_end, "contract_end", "合同到期日期")
    if start and end and end <= start:
        raise Invalid("合同到期日期应晚于开始日期", code="contract_dates", detail={"field": "contract_end"})
    fee = None
    if fee_per_m2 not in (None, ""):
        try:
            fee = Decimal(str(fee_per_m2)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise Invalid("物业费应为数字", code="bad_fee", detail={"field": "fee_per_m2"}) from None
        if not fee.is_finite() or not Decimal("0") <= fee <= Decimal("99"):
            raise Invalid("物业费应在 0 到 99 元/平方米·月之间", code="bad_fee", detail={"field": "fee_per_m2"})
    with transaction.atomic():
        mgmt, made = Management.objects.get_or_create(compound=compound)
        before = audit.snapshot(mgmt)
        mgmt.company, mgmt.manager, mgmt.contract_start, mgmt.contract_end, mgmt.fee_per_m2 = company, manager, start, end, fee
        mgmt.save()
        audit.created(mgmt) if made else audit.updated(mgmt, before)
        if compound.management_mode != mode or compound.property_company != (company.name if company else ""):
            compounds.update_compound(None, compound, management_mode=mode, property_company=company.name if company else "")
    return mgmt


def record_measure(user: Any, company: Company, *, kind: str, note: str = "", decided_on: Any = None, unit: Any = None) -> Measure:
    """Record a consequence of the board the company is on (约谈 for the black board, …)."""
    from chengyun.geo.models import Unit

    from .access import office_unit

    require_office(user)
    if kind not in Measure.Kind.values:
        raise Invalid(f"未知的措施：{kind}", code="bad_measure", detail={"field": "kind", "allowed": list(Measure.Kind.values)})
    if not company.board:
        raise Invalid("该企业不在红榜或黑榜上", code="not_on_board", detail={"field": "company"})
    red_only = {Measure.Kind.SUPPORT, Measure.Kind.PROMOTION}
    if (kind in red_only) != (company.board == "red"):
        raise Invalid(f"“{Measure.Kind(kind).label}”不适用于{company.get_board_display()}企业", code="measure_board", detail={"field": "kind"})
    on = _date(decided_on, "decided_on", "决定日期") or timezone.localdate()
    if unit is None:
        person = getattr(user, "person", None) if user is not None else None
        unit = person.unit if person is not None and person.unit_id else office_unit()
    elif not isinstance(unit, Unit):
        unit = referenced(Unit.objects.all(), unit, field="unit", lookup="code", what="实施部门", optional=False)
    with transaction.atomic():
        m = Measure.objects.create(company=company, board=company.board, kind=kind, decided_on=on, unit=unit, note=str(note or "")[:2000])
        audit.created(m)
    return m
