"""The demo generator on the demo district: volumes, played-forward history, archived reports."""
from chengyun.core import current
from chengyun.demo.context import DemoContext


def test_demo_generator(db, settings, tmp_path):
    from chengyun.geo.demo import generate as geo
    from chengyun.people.demo import generate as people
    from chengyun.reports.models import ReportRun
    from chengyun.supervision.demo import generate as supervision
    from chengyun.supervision.models import DailyEntry, Decision, KeyTask, Meeting, StalledProject, StatusHistory

    settings.MEDIA_ROOT = tmp_path
    log = []
    ctx = DemoContext(log=log.append)
    with current.acting(None, source="cli"):
        geo(ctx)
        people(ctx)
        supervision(ctx)
    titles = set(KeyTask.objects.values_list("title", flat=True))
    assert {"道路塌陷隐患整改", "污水管网溢流整改", "半拉子工程清零行动"} <= titles
    assert KeyTask.objects.exclude(source="meeting").count() >= 30
    assert StalledProject.objects.count() == 4 and StalledProject.objects.filter(task__isnull=False).count() == 4
    assert Meeting.objects.filter(held=True).count() >= 10
    assert Decision.objects.filter(action_task__isnull=False).count() == Decision.objects.count() > 0
    assert DailyEntry.objects.count() > 1500 and DailyEntry.objects.filter(late=True).exists()
    # The history was played forward: statuses changed on many different days, not all today.
    assert StatusHistory.objects.values("on").distinct().count() > 10
    statuses = set(KeyTask.objects.filter(state="active").values_list("status", flat=True))
    assert "green" in statuses and statuses & {"yellow", "red"}
    assert KeyTask.objects.filter(state="completed").exists()
    assert set(ReportRun.objects.values_list("kind", flat=True)) == {"supervision-monthly", "supervision-daily"}
    # A second run leaves the data as it is.
    count = KeyTask.objects.count()
    with current.acting(None, source="cli"):
        supervision(ctx)
    assert KeyTask.objects.count() == count and "督查督办：已存在，跳过" in log
