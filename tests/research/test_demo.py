"""The demo's research plans and six months of report archive, on the demo district."""
from chengyun.core import current
from chengyun.demo.context import DemoContext


def test_research_and_archive_demo(db, settings, tmp_path):
    from chengyun.briefing.demo import generate as briefing
    from chengyun.geo.demo import generate as geo
    from chengyun.people.demo import generate as people
    from chengyun.reports.models import ReportRun
    from chengyun.research import services, workflow
    from chengyun.research.demo import generate as research
    from chengyun.research.models import ResearchPlan
    from chengyun.supervision.demo import generate as supervision

    settings.MEDIA_ROOT = tmp_path
    log = []
    ctx = DemoContext(log=log.append)
    with current.acting(None, source="cli"):
        geo(ctx)
        people(ctx)
        supervision(ctx)
        research(ctx)
        briefing(ctx)
    village = ResearchPlan.objects.get(topic="壮大村集体经济")
    assert village.state == workflow.REPORTED and village.visits.count() == 4 and village.report_title
    rows = services.conversions(village)
    assert len(rows) == 3 and {r.measure.outcome for r in rows} == {"policy", "project", "task"}
    assert [r.status for r in rows].count("done") == 1 and all(r.measure.action_task for r in rows)
    assert ResearchPlan.objects.get(topic="背街小巷环境长效管理").state == workflow.IN_FIELD
    monthly = ReportRun.objects.filter(kind="district-monthly")
    assert monthly.count() == 6 and len({r.generated_at.date() for r in monthly}) == 6  # stamped when each would have run
    assert ReportRun.objects.filter(kind="district-weekly").count() == 4 and ReportRun.objects.filter(kind="district-daily").count() == 5
    assert ReportRun.objects.filter(kind="research-report", params={"plan": village.code}).exists()
    # Running again adds nothing.
    research(ctx)
    briefing(ctx)
    assert ResearchPlan.objects.count() == 2 and ReportRun.objects.filter(kind="district-monthly").count() == 6
