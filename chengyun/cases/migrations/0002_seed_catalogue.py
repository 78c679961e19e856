"""Load the project's seeded catalogue (data/catalogue.csv) so a fresh install can take reports."""
from pathlib import Path

from django.db import migrations

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "catalogue.csv"


def load(apps, schema_editor):
    from chengyun.cases import standard

    Category = apps.get_model("cases", "Category")
    FilingCondition = apps.get_model("cases", "FilingCondition")
    if Category.objects.exists():
        return
    parsed = standard.parse_rows(standard.read_csv(CATALOGUE.read_bytes()))
    if parsed.errors:
        raise RuntimeError("seeded catalogue has errors: " + "; ".join(parsed.errors[:5]))
    for mc in parsed.classes:
        extra = {}
        if mc.duplicate_radius_m is not None:
            extra["duplicate_radius_m"] = mc.duplicate_radius_m
        if mc.duplicate_window_hours is not None:
            extra["duplicate_window_hours"] = mc.duplicate_window_hours
        cat = Category.objects.create(kind=mc.kind, code=mc.code, name=mc.name, major_code=mc.major_code, major_name=mc.major_name,
                                      responsible_specialty=mc.responsible_specialty, **extra)
        FilingCondition.objects.bulk_create([
            FilingCondition(category=cat, seq=n, text=c.text, limit_amount=c.limit_amount, limit_unit=c.limit_unit, closing_condition=c.closing)
            for n, c in enumerate(mc.conditions, start=1)
        ])


def unload(apps, schema_editor):
    apps.get_model("cases", "Category").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
