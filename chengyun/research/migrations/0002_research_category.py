from django.db import migrations


def add(apps, schema_editor):
    Category = apps.get_model("supervision", "Category")
    if not Category.objects.filter(code="research").exists():
        Category.objects.create(code="research", name="调研成果转化", order=95)


def remove(apps, schema_editor):
    apps.get_model("supervision", "Category").objects.filter(code="research", tasks__isnull=True).delete()


class Migration(migrations.Migration):
    """The supervision category research measures are tracked in (调研成果转化)."""

    dependencies = [("research", "0001_initial"), ("supervision", "0002_categories")]
    operations = [migrations.RunPython(add, remove)]
