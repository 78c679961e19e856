"""The research plan page with its 成果转化 table, the report centre, and the notification badge."""
import datetime as dt

import pytest

from browser_support import login, screenshot
from chengyun.core.notify import notify
from chengyun.people import roles as R

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_research_page_report_centre_and_inbox_badge(page, live_server, make_user, units):
    from chengyun.research import services

    leader = make_user(R.DISTRICT_LEADER)
    today = dt.date.today()
    plan = services.create_plan(leader, topic="壮大村集体经济", leader=leader.person, lead_unit=units["OPS"], start_date=today - dt.timedelta(days=3),
                                end_date=today + dt.timedelta(days=3), places="一村\n二村", questions="收入构成\n资源盘活")
    services.transition(leader, plan, "start")
    services.add_visit(leader, plan, date=today, place="一村集体经济合作社", people_met="村两委", findings="闲置厂房两处未盘活")
    services.transition(leader, plan, "report", report_title="关于壮大村集体经济的调研报告", report_summary="总体增长", report_problems="收入单一")
    services.add_measure(leader, plan, text="盘活闲置厂房建设仓储项目", outcome="project", owner_unit=units["D02"], deadline=today + dt.timedelta(days=90))
    notify([leader], "报告已生成", kind="report_ready")
    login(page, live_server, leader.username)
    page.goto(f"{live_server.url}/research/{plan.pk}/")
    assert "盘活闲置厂房建设仓储项目" in page.inner_text("main")
    assert page.inner_text(".notice-link .badge") == "1"
    screenshot(page, "research-plan")
    page.goto(f"{live_server.url}/reports/centre/")
    assert "城运月度通报" in page.inner_text("main") or "城市运行月度通报" in page.inner_text("main")
    screenshot(page, "report-centre")
