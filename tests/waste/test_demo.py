"""The demo's waste sorting: every compound registered, rates and verdicts, areas, indicators, the plant relocation task."""
import pytest

from chengyun.demo.context import DemoContext
from chengyun.geo import demo as geo_demo
from chengyun.geo.models import Compound
from chengyun.people import demo as people_demo
from chengyun.waste import demo as waste_demo
from chengyun.waste.models import DemoArea, SortingCompound, ZeroWasteValue

pytestmark = pytest.mark.django_db


def test_demo_waste_sorting():
    ctx = DemoContext(log=lambda s: None)
    geo_demo.generate(ctx)
    people_demo.generate(ctx)
    if not Compound.objects.exists():
        from chengyun.renewal import demo as renewal_demo

        renewal_demo.generate(ctx)
    waste_demo.generate(ctx)
    assert SortingCompound.objects.count() == Compound.objects.filter(active=True).count() > 0
    compliant = SortingCompound.objects.filter(compliant=True).count()
    assert 0 < compliant < SortingCompound.objects.count()
    assert DemoArea.objects.count() == 6 and SortingCompound.objects.exclude(demo_area=None).exists()
    assert ZeroWasteValue.objects.filter(actual__isnull=False).count() >= 18
    from chengyun.supervision.models import KeyTask

    task = KeyTask.objects.get(code=waste_demo.PLANT_TASK_CODE)
    assert task.milestones.count() == 6 and task.milestones.exclude(done_on=None).exists()
