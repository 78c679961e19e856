"""The case catalogue (部件/事件 classes and their filing conditions): import, export, the seeded standard."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from chengyun.core import audit
from chengyun.core.errors import Invalid
from chengyun.core.importing import ImportOutcome
from chengyun.people import policy
from chengyun.people import roles as R

from .. import standard
from ..models import Case, Category, FilingCondition


def get_category(code: str, kind: str = standard.KIND_EVENT) -> Category:
    kind = standard.KIND_BY_NAME.get(kind, kind)
    try:
        return Category.objects.get(kind=kind, code=str(code), active=True)
    except Category.DoesNotExist:
        # An emptied catalogue (a flushed database) is reseeded on first use.
        if load_seed_catalogue():
            return get_category(code, kind)
        raise Invalid(f"案件类别不存在：{standard.KIND_NAMES.get(kind, kind)} {code}", code="unknown_category",
                      detail={"category_code": code, "category_kind": kind}) from None


@dataclass
class CatalogueReport(ImportOutcome):
    dry_run: bool
    classes: int = 0
    conditions: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "written": self.written, "classes": self.classes, "conditions": self.conditions,
                "created": len(self.created), "updated": len(self.updated), "errors": self.errors, "warnings": self.warnings}

    def as_text(self) -> str:
        return self.lines_text(f"案件类别标准导入{self.outcome()}：{self.classes} 个小类，{self.conditions} 条立案条件；"
                               f"新增 {len(self.created)}，更新 {len(self.updated)}")


def read_standard_table(data: bytes, filename: str = "") -> list[dict[str, str]]:
    try:
        if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
            return standard.read_xlsx(data)
        return standard.read_csv(data)
    except standard.TableError as exc:
        raise Invalid(str(exc), code="bad_table") from None


def import_catalogue(user: Any, data: bytes, filename: str = "", *, dry_run: bool = False) -> CatalogueReport:
    """Import a city's standard table (CSV or Excel). Any row error: nothing is written."""
    if user is not None:
        policy.require_role(user, {R.SYSADMIN}, "只有系统管理员可以导入案件类别标准")
    parsed = standard.parse_rows(read_standard_table(data, filename))
    report = CatalogueReport(dry_run=dry_run, classes=len(parsed.classes), conditions=sum(len(c.conditions) for c in parsed.classes), errors=list(parsed.errors))
    if not parsed.classes and not report.errors:
        report.errors.append("文件中没有任何数据行")
    if not report.ok or dry_run:
        return report
    with transaction.atomic():
        existing = {(c.kind, c.code): c for c in Category.objects.prefetch_related("conditions")}
        for mc in parsed.classes:
            cat = existing.get(mc.key)
            values = {"name": mc.name, "major_code": mc.major_code, "major_name": mc.major_name, "active": True}
            if mc.responsible_specialty:
                values["responsible_specialty"] = mc.responsible_specialty
            if mc.duplicate_radius_m is not None:
                values["duplicate_radius_m"] = mc.duplicate_radius_m
            if mc.duplicate_window_hours is not None:
                values["duplicate_window_hours"] = mc.duplicate_window_hours
            label = f"{standard.KIND_NAMES[mc.kind]}{mc.code}"
            if cat is None:
                cat = Category.objects.create(kind=mc.kind, code=mc.code, **values)
                audit.created(cat, verb="import_catalogue")
                report.created.append(label)
                old_conditions = {}
            else:
                if audit.save_changes(cat, values, verb="import_catalogue"):
                    report.updated.append(label)
                old_conditions = {c.text: c for c in cat.conditions.all()}
            kept = set()
            for seq, cond in enumerate(mc.conditions, start=1):
                fc = old_conditions.get(cond.text)
                if fc is None:
                    fc = FilingCondition.objects.create(category=cat, seq=seq, text=cond.text, limit_amount=cond.limit_amount,
                                                        limit_unit=cond.limit_unit, closing_condition=cond.closing)
                    audit.created(fc, verb="import_catalogue")
                else:
                    before = audit.snapshot(fc)
                    fc.seq, fc.limit_amount, fc.limit_unit, fc.closing_condition = seq, cond.limit_amount, cond.limit_unit, cond.closing
                    fc.save()
                    audit.updated(fc, before, verb="import_catalogue")
                kept.add(fc.pk)
            for text, fc in old_conditions.items():
                if fc.pk in kept:
                    continue
                if Case.objects.filter(condition=fc).exists():
                    report.warnings.append(f"{label} 的立案条件“{text}”已有案件引用，予以保留")
                    continue
                audit.deleted(fc, verb="import_catalogue")
                fc.delete()
        audit.action(None, "import_catalogue", otype="cases.category", object_repr=filename or "standard table", after=report.to_dict())
        report.written = True
    return report


SEED_CATALOGUE = __import__("pathlib").Path(__file__).resolve().parent.parent / "data" / "catalogue.csv"


def load_seed_catalogue() -> int:
    """Load the project's seeded catalogue into an empty catalogue (first use, demo, tests).

    The data migration does the same on install; this is for databases emptied since.
    """
    if Category.objects.exists():
        return 0
    parsed = standard.parse_rows(standard.read_csv(SEED_CATALOGUE.read_bytes()))
    with transaction.atomic():
        for mc in parsed.classes:
            extra = {k: v for k, v in (("duplicate_radius_m", mc.duplicate_radius_m), ("duplicate_window_hours", mc.duplicate_window_hours)) if v is not None}
            cat = Category.objects.create(kind=mc.kind, code=mc.code, name=mc.name, major_code=mc.major_code, major_name=mc.major_name,
                                          responsible_specialty=mc.responsible_specialty, **extra)
            FilingCondition.objects.bulk_create([
                FilingCondition(category=cat, seq=n, text=c.text, limit_amount=c.limit_amount, limit_unit=c.limit_unit, closing_condition=c.closing)
                for n, c in enumerate(mc.conditions, start=1)])
        audit.action(None, "load_seed_catalogue", otype="cases.category", object_repr="seeded catalogue", after={"classes": len(parsed.classes)})
    return len(parsed.classes)


def catalogue_classes() -> list[standard.MinorClass]:
    out = []
    for cat in Category.objects.prefetch_related("conditions").order_by("kind", "code"):
        mc = standard.MinorClass(cat.kind, cat.major_code, cat.major_name, cat.code, cat.name, cat.responsible_specialty,
                                 cat.duplicate_radius_m, cat.duplicate_window_hours)
        mc.conditions = [standard.Condition(c.text, c.limit_amount, c.limit_unit, c.closing_condition) for c in cat.conditions.all()]
        out.append(mc)
    # 部件 first, as published standards list them.
    return sorted(out, key=lambda m: (m.kind != standard.KIND_COMPONENT, m.code))


def export_catalogue(fmt: str = "csv") -> bytes:
    rows = standard.to_rows(catalogue_classes())
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "案件类别标准"
        for row in rows:
            ws.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8-sig")
