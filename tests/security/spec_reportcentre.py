"""Matrix declarations for /api/v1/reports/ (the report centre), /api/v1/notifications/ and /api/v1/research/."""
from __future__ import annotations

import datetime as dt

from matrix import List, Open, Read, Write, by_results
from chengyun.reports.services import GENERATORS
from chengyun.research.access import RESEARCHERS

PLAN = "research.ResearchPlan"
TODAY = dt.date.today()


def report_run(world, scope):
    def make():
        from chengyun.core import current
        from chengyun.reports import kinds, services

        with current.acting(None, source="job"):
            return services.archive(None, kind="matrix", generated=kinds.Generated(title=f"矩阵报告{scope}", period="2026-05", docx=b"PK"))

    return world.once(("report_run", scope), make)


def plan(world, scope, state="in_field"):
    """A plan whose leader is nobody of the matrix world: only RESEARCHERS may work on it."""
    def make():
        from chengyun.people.models import Person
        from chengyun.research import services

        leader = Person.objects.create(name=f"矩阵领导{scope}{state}", unit=world.unit(scope))
        p = services.create_plan(world.users["district_leader"], topic=f"矩阵调研 {scope} {state}", leader=leader, lead_unit=world.unit(scope),
                                 start_date=TODAY - dt.timedelta(days=5), end_date=TODAY + dt.timedelta(days=5))
        services.transition(world.users["district_leader"], p, "start")
        if state == "reported":
            services.add_visit(world.users["district_leader"], p, date=TODAY, place="某村", findings="发现")
            services.transition(world.users["district_leader"], p, "report", report_title="报告", report_summary="情况", report_problems="问题")
        return p

    return world.once(("research_plan", scope, state), make)


SPEC = {
    # reports: the archive is circulated to everyone; generating and scheduling are the desk's and the leaders'
    "chengyun_reports_api_report_kinds": Open(),
    "chengyun_reports_api_generate": Open(gate=GENERATORS, body=lambda w, s, o: {"kind": "district-daily", "options": {"date": "2026-05-04"}}),
    "chengyun_reports_api_run_detail": Read(model="reports.ReportRun", make=report_run, path=lambda r: {"run_id": r.pk}),
    "chengyun_reports_api_download": Read(model="reports.ReportRun", make=report_run, path=lambda r: {"run_id": r.pk}),
    "chengyun_reports_api_set_schedule": Open(gate=GENERATORS, path=lambda o: {"kind": "district-weekly"},
                                              body=lambda w, s, o: {"frequency": "weekly", "day": 5, "at": "16:00"}),
    # notifications: each user's own inbox and preferences
    "chengyun_notifications_api_inbox": Open(),
    "chengyun_notifications_api_unread_count": Open(),
    "chengyun_notifications_api_mark_read": Open(path=lambda o: {"notification_id": 987654321}, ok=frozenset({404})),
    "chengyun_notifications_api_mark_all_read": Open(),
    "chengyun_notifications_api_preferences": Open(),
    "chengyun_notifications_api_set_preferences": Open(body=lambda w, s, o: {"kind": "report_ready", "email": False}),
    # research: the district-wide roles read it; the leaders and the ops centre's shift leader run it
    "chengyun_research_api_plans": List(model=PLAN, make=plan, found=by_results("code", "code"), query=lambda w, s, o: {"limit": 500}),
    "chengyun_research_api_create_plan": Open(gate=RESEARCHERS, body=lambda w, s, o: {
        "topic": "新调研", "leader_id": w.users["district_leader"].person.pk, "lead_unit_id": w.unit(s).pk,
        "start_date": TODAY.isoformat(), "end_date": (TODAY + dt.timedelta(days=10)).isoformat()}),
    "chengyun_research_api_plan_detail": Read(model=PLAN, make=plan, path=lambda p: {"plan_id": p.pk}),
    "chengyun_research_api_plan_action": Write(model=PLAN, make=plan, path=lambda p: {"plan_id": p.pk}, body=lambda w, s, o: {"action": "cancel"}),
    "chengyun_research_api_visits": Read(model=PLAN, make=plan, path=lambda p: {"plan_id": p.pk}),
    "chengyun_research_api_add_visit": Write(model=PLAN, make=plan, path=lambda p: {"plan_id": p.pk},
                                             body=lambda w, s, o: {"date": TODAY.isoformat(), "place": "某村", "findings": "发现"}),
    "chengyun_research_api_measures": Read(model=PLAN, make=plan, path=lambda p: {"plan_id": p.pk}),
    "chengyun_research_api_add_measure": Write(model=PLAN, make=lambda w, s: plan(w, s, "reported"), path=lambda p: {"plan_id": p.pk},
                                               body=lambda w, s, o: {"text": "对策", "outcome": "task", "owner_unit_id": w.unit(s).pk,
                                                                     "deadline": (TODAY + dt.timedelta(days=30)).isoformat()}),
}
