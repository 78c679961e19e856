"""Every registered panel: its numbers equal the filtered lists they link to, for the user
looking; the screen and the API show every panel; a failing panel does not blank the screen."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chengyun.cockpit.collect import collect, make_scope
from chengyun.core.registry import cockpit_panels

from counts import list_count

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("period_days,street", [(0, None), (45, None), (0, "630109001"), (365, "630109002")])
def test_every_counted_figure_equals_the_list_it_links_to(filled, client, period_days, street):
    leader = filled["leader"]
    client.force_login(leader)
    today = timezone.localdate()
    scope = make_scope(leader, (today - dt.timedelta(days=period_days)).isoformat(), today.isoformat(), street)
    checked, nonzero = 0, 0
    for result in collect(scope):
        assert not result.error, (result.panel.key, result.error)
        for f in result.data.figures:
            assert f.url, f"{result.panel.key}: {f.label} links nowhere"
            if not f.counted:
                assert client.get(f.url).status_code == 200
                continue
            assert list_count(client, f.url) == f.value, (result.panel.key, str(f.label), f.url)
            checked += 1
            nonzero += f.value > 0
        for row in result.data.rows:
            assert client.get(row["url"]).status_code in (200, 302), (result.panel.key, row)
    assert checked >= 20 and nonzero >= 5  # the fixture puts something in most panels


def test_the_module_panels_are_registered():
    keys = {p.key for p in cockpit_panels()}
    assert {"cases.today", "supervision.keytasks", "water.quality", "drainage.hazards", "roads.collapse",
            "renewal.projects", "renewal.healthcheck", "cockpit.leader", "cockpit.rankings"} <= keys


def test_the_drives_are_pinned_and_the_leader_sees_stale_red_tasks(filled):
    from chengyun.core.registry import PanelScope

    today = timezone.localdate()
    scope = PanelScope(filled["leader"], today, today)
    (keytasks,) = collect(scope, "supervision.keytasks")
    assert [r["label"] for r in keytasks.data.rows] == ["任务0", "任务1", "任务2"]  # road collapse, sewage overflow, stalled housing
    (leader,) = collect(scope, "cockpit.leader")
    figures = {str(f.label): f.value for f in leader.data.figures}
    assert figures["督办案件未结"] == 4 and figures["会议议定事项在办"] == 1
    assert figures["红色任务 7 天无进展"] == 1  # 任务3; 任务0 reported yesterday
    assert [r["label"] for r in leader.data.rows if r["group"] == "无进展的红色任务"] == ["任务3"]


def test_rankings_carry_the_month_movement(filled):
    from chengyun.core.registry import PanelScope

    today = timezone.localdate()
    (result,) = collect(PanelScope(filled["leader"], today, today), "cockpit.rankings")
    groups = {r["group"] for r in result.data.rows}
    assert len(groups) == 3
    for row in result.data.rows:
        assert row["place"] >= 1 and (row["move"] is None or isinstance(row["move"], int))


def test_the_screen_renders_every_panel_with_links(filled, client):
    client.force_login(filled["leader"])
    page = client.get("/cockpit/?street=630109001").content.decode()
    for p in cockpit_panels():
        assert f'data-key="{p.key}"' in page
    assert 'href="/cases/?start=' in page and 'hx-trigger="every' in page
    fragment = client.get("/cockpit/panels/cases.today/?street=630109001")
    assert fragment.status_code == 200 and 'data-key="cases.today"' in fragment.content.decode()
    assert client.get("/cockpit/panels/nope/").status_code == 404
    # A date it cannot read is said, and the screen shows today instead of failing.
    r = client.get("/cockpit/?start=2026-13-40")
    assert r.status_code == 200 and "格式有误" in r.content.decode()


def test_a_failing_panel_shows_its_error_and_the_rest_still_render(filled, client, monkeypatch):
    from chengyun.cases import cockpit as cases_cockpit

    def broken(scope):
        raise RuntimeError("boom")

    monkeypatch.setattr(cases_cockpit, "today", broken)
    client.force_login(filled["leader"])
    page = client.get("/cockpit/").content.decode()
    assert "本面板数据暂不可用" in page and 'data-key="water.quality"' in page


def test_only_the_leadership_and_the_ops_center_reach_the_cockpit(filled, client, make_user):
    for role, allowed in (("district_leader", True), ("ops_dispatcher", True), ("dept_handler", False), ("community_grid_worker", False),
                          ("auditor", False)):
        client.force_login(make_user(role))
        assert (client.get("/cockpit/").status_code == 200) is allowed, role
        assert (client.get("/api/v1/cockpit/panels").status_code == 200) is allowed, role
