"""The demo district's property governance: ~60 companies over every grade, every compound with a
mode, a campaign half done, four quarters of assessments; deterministic and skipped when present."""
import pytest

from chengyun.demo.context import DemoContext
from chengyun.geo import demo as geo_demo
from chengyun.geo.models import Compound
from chengyun.property import credit, demo
from chengyun.property.models import Assessment, Company, CoverageFile, CreditRecord, Management, Measure
from chengyun.renewal import demo as renewal_demo

pytestmark = pytest.mark.django_db


def test_demo_property():
    ctx = DemoContext(log=lambda s: None)
    geo_demo.generate(ctx)
    renewal_demo._compounds(ctx.rng("renewal"))
    demo.generate(ctx)
    assert Company.objects.count() == 60
    assert set(Company.objects.values_list("grade", flat=True)) == set(credit.GRADE_ORDER)
    assert Company.objects.filter(board="red").exists() and Company.objects.filter(board="black").exists()
    assert Measure.objects.filter(board="black").count() == Company.objects.filter(board="black").count()
    assert CreditRecord.objects.filter(kind="good").exists() and CreditRecord.objects.filter(serious=True).exists()
    assert not Compound.objects.filter(management_mode="").exists()
    pro = Compound.objects.filter(management_mode="professional")
    assert Management.objects.filter(compound__in=pro, company__isnull=False).count() == pro.count()
    files = CoverageFile.objects.count()
    closed = CoverageFile.objects.filter(state="closed").count()
    assert files > 20 and closed == files // 2
    assert set(CoverageFile.objects.values_list("state", flat=True)) == {"filed", "path_chosen", "implementing", "reported", "closed"}
    periods = sorted(set(Assessment.objects.values_list("period", flat=True)))
    assert len(periods) == 4
    assert Assessment.objects.filter(flagged=True).exists() and Assessment.objects.filter(passed=True).exists()
    # Deterministic: the same companies and grades again; and a second run adds nothing.
    before = list(Company.objects.order_by("name").values_list("name", "credit_code", "grade"))
    demo.generate(ctx)
    assert list(Company.objects.order_by("name").values_list("name", "credit_code", "grade")) == before
