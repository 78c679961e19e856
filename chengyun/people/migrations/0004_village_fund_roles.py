from django.db import migrations, models


def seed(apps, schema_editor):
    # The village fund's roles: the village committee's cadre, the street (town) office's officer.
    Role = apps.get_model("people", "Role")
    for code, name in (("village_cadre", "村干部"), ("street_officer", "街道（镇）工作人员")):
        Role.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0003_account_security'),
    ]

    operations = [
        migrations.AlterField(
            model_name='role',
            name='code',
            field=models.CharField(choices=[('district_leader', '区领导'), ('ops_acceptor', '受理员'), ('ops_shift_leader', '值班长'), ('ops_dispatcher', '派遣员'), ('dept_handler', '部门处置人员'), ('street_chief', '街长'), ('community_grid_worker', '社区网格员'), ('ops_grid_worker', '城运中心网格员（监督员）'), ('drone_operator', '无人机飞手'), ('river_chief', '河长'), ('auditor', '审计员'), ('sysadmin', '系统管理员'), ('security_admin', '安全管理员'), ('village_cadre', '村干部'), ('street_officer', '街道（镇）工作人员')], max_length=32, primary_key=True, serialize=False, verbose_name='编码'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
