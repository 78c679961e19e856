from django.db import migrations

CATEGORIES = [
    ("road_collapse", "道路塌陷隐患整改", 10),
    ("sewage_overflow", "污水管网溢流整改", 20),
    ("stalled", "半拉子工程", 30),
    ("city_appearance", "市容环境整治", 40),
    ("river", "河湖治理", 50),
    ("livelihood", "民生实事", 60),
    ("checkup", "城市体检问题整改", 70),
    ("meeting", "会议议定事项", 90),
    ("other", "其他", 100),
]


def seed(apps, schema_editor):
    Category = apps.get_model("supervision", "Category")
    for code, name, order in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
