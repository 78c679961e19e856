from pathlib import Path

import pytest

from chengyun.cases import services, standard
from chengyun.cases.models import Category, FilingCondition
from chengyun.core.errors import Forbidden

SAMPLE = Path(__file__).parent / "data" / "case-standards-sample.csv"


def test_parse_limit_units():
    assert standard.parse_limit("2紧急工作时") == (2.0, "urgent_hour", "")
    assert standard.parse_limit("4小时") == (4.0, "work_hour", "")
    assert standard.parse_limit("5天") == (5.0, "work_day", "")
    assert standard.parse_limit("1紧急工作日") == (1.0, "natural_day", "")
    assert standard.parse_limit("1紧急工作时制止") == (1.0, "urgent_hour", "制止")
    assert standard.parse_limit("3工作日") == (3.0, "work_day", "")
    assert standard.parse_limit("7自然日") == (7.0, "natural_day", "")
    with pytest.raises(ValueError):
        standard.parse_limit("尽快")
    with pytest.raises(ValueError):
        standard.parse_limit("3周")


def test_sample_standard_parses_with_shared_codes():
    parsed = standard.parse_rows(standard.read_csv(SAMPLE.read_bytes()))
    assert parsed.ok, parsed.errors[:3]
    keys = {mc.key: mc for mc in parsed.classes}
    # 0101 is both a 部件 and an 事件: two distinct minor classes.
    assert keys[("component", "0101")].name == "上水井盖"
    assert keys[("event", "0101")].name == "私搭乱建"
    assert len(keys[("component", "0101")].conditions) == 4
    first = keys[("component", "0101")].conditions[0]
    assert (first.limit_amount, first.limit_unit) == (2.0, "urgent_hour")


@pytest.mark.django_db
def test_seeded_catalogue_has_the_agreed_classes():
    for kind, code, name in [("event", "0126", "河道污染"), ("event", "0130", "乱倒乱排污水、废水"), ("event", "0181", "河道违建"),
                             ("event", "0182", "河道违采、乱堆"), ("event", "0113", "道路破损"), ("component", "0101", "上水井盖"),
                             ("component", "0102", "污水井盖"), ("component", "0103", "雨水井盖")]:
        cat = Category.objects.get(kind=kind, code=code)
        assert cat.name == name
        assert cat.conditions.exists()
        assert cat.responsible_specialty
    assert Category.objects.get(kind="component", code="0101").responsible_specialty == "供水"
    assert Category.objects.get(kind="component", code="0102").responsible_specialty == "排水"
    assert Category.objects.get(kind="event", code="0126").duplicate_radius_m == 200


def test_bad_rows_are_named_by_row_and_column():
    text = ("类型,大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件\n"
            "事件,01,市容环境,0113,道路破损,破损,5天,修复\n"
            "物件,01,市容环境,0114,道路遗撒,遗撒,1天,清除\n"
            "事件,01,市容环境,113,道路破损,开裂,5天,修复\n"
            "事件,01,市容环境,0115,测试,条件,很快,完成\n"
            "事件,01,市容环境,0116,测试二,,1天,完成\n")
    parsed = standard.parse_rows(standard.read_csv(text))
    joined = "\n".join(parsed.errors)
    assert "第 3 行：“类型”应为 部件 或 事件" in joined
    assert "第 4 行：“小类代码”应为 4 位数字" in joined
    assert "第 5 行：“处置时限”" in joined
    assert "第 6 行：“立案条件”不能为空" in joined
    assert len(parsed.errors) == 4


def test_missing_columns_refused():
    with pytest.raises(standard.TableError, match="缺少列"):
        standard.read_csv("类型,小类代码\n事件,0101\n")


@pytest.mark.django_db
def test_import_is_all_or_nothing(crew):
    before = Category.objects.count()
    bad = ("类型,大类代码,大类名称,小类代码,小类名称,立案条件,处置时限,结案条件\n"
           "事件,07,新增大类,0701,新类一,条件一,2天,完成\n"
           "事件,07,新增大类,0702,新类二,条件二,两天,完成\n").encode()
    report = services.import_catalogue(crew["admin"], bad, "city.csv")
    assert not report.ok and not report.written
    assert "第 3 行" in report.errors[0]
    assert Category.objects.count() == before
    good = bad.replace("两天".encode(), "2天".encode())
    report = services.import_catalogue(crew["admin"], good, "city.csv")
    assert report.ok and report.written, report.errors
    assert Category.objects.count() == before + 2
    assert FilingCondition.objects.get(category__code="0702", category__kind="event").limit_unit == "work_day"


@pytest.mark.django_db
def test_import_requires_sysadmin(crew):
    with pytest.raises(Forbidden):
        services.import_catalogue(crew["acceptor"], SAMPLE.read_bytes(), "s.csv")


@pytest.mark.django_db
def test_export_reimports_identically(crew):
    for fmt, name in (("csv", "x.csv"), ("xlsx", "x.xlsx")):
        data = services.export_catalogue(fmt)
        report = services.import_catalogue(crew["admin"], data, name, dry_run=True)
        assert report.ok, report.errors[:3]
        assert report.classes == Category.objects.count()
        assert report.conditions == FilingCondition.objects.count()
    # Importing the export changes nothing.
    report = services.import_catalogue(crew["admin"], services.export_catalogue("csv"), "x.csv")
    assert report.ok and report.created == [] and report.updated == []


@pytest.mark.django_db
def test_import_sample_standard_into_seeded_catalogue(crew):
    report = services.import_catalogue(crew["admin"], SAMPLE.read_bytes(), "yuncheng.csv")
    assert report.ok and report.written
    assert report.classes == 190
    # The seed's specialty survives an import of a table without that column.
    assert Category.objects.get(kind="component", code="0101").responsible_specialty == "供水"
