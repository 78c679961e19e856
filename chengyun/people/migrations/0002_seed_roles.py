from django.db import migrations

ROLES = {
    "district_leader": "区领导", "ops_acceptor": "受理员", "ops_shift_leader": "值班长", "ops_dispatcher": "派遣员",
    "dept_handler": "部门处置人员", "street_chief": "街长", "community_grid_worker": "社区网格员",
    "ops_grid_worker": "城运中心网格员（监督员）", "drone_operator": "无人机飞手", "river_chief": "河长",
    "auditor": "审计员", "sysadmin": "系统管理员",
}


def seed(apps, schema_editor):
    Role = apps.get_model("people", "Role")
    for code, name in ROLES.items():
        Role.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
