"""Each role lands on its own work, and its home shows only what it may act on: no link to a page
its role cannot open, and every number is the count of the list it links to."""
from __future__ import annotations

import re

import pytest

from counts import list_count

pytestmark = pytest.mark.django_db

FORBIDDEN_FOR = {  # pages a role may not use: its home must not offer them
    "cases:queue": {"dept_handler", "community_grid_worker", "ops_grid_worker", "street_chief", "river_chief", "drone_operator"},
    "cockpit:screen": {"dept_handler", "community_grid_worker", "ops_grid_worker", "street_chief", "river_chief", "drone_operator", "auditor"},
    "people:audit": {"ops_dispatcher", "dept_handler", "community_grid_worker", "street_chief", "river_chief", "district_leader"},
}


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def _home(client, user):
    client.force_login(user)
    r = client.get("/", follow=True)
    assert r.status_code == 200
    return r, r.content.decode()


def _main(html: str) -> str:
    return html.split("<main", 1)[1]


def _no_forbidden_links(client, role, html):
    from django.urls import reverse

    for name, roles in FORBIDDEN_FOR.items():
        if role in roles:
            assert reverse(name) not in _links(html), (role, name)
    # Every link on the page opens for this role (no 403/404 behind a link).
    for href in _links(_main(html)):
        if href.startswith("/") and not href.startswith(("/static/", "/logout")):
            assert client.get(href).status_code == 200, (role, href)


def _numbers_match(client, html):
    found = re.findall(r'href="([^"]+)" data-value="(\d+)"', html)
    for url, value in found:
        assert list_count(client, url.replace("&amp;", "&")) == int(value), url
    return len(found)


def test_leader_lands_on_the_cockpit(filled, client):
    r, html = _home(client, filled["leader"])
    assert r.redirect_chain[-1][0] == "/cockpit/" and 'data-key="cases.today"' in html


def test_dispatcher_sees_deadlines_about_to_expire(filled, client):
    r, html = _home(client, filled["dispatcher"])
    assert "即将超时与已超时" in html and "/cases/queue/" in _links(html)
    assert "T0001" in html  # the filed drone case whose clock is warning
    assert "T0000" not in html  # reported, its clock normal: not urgent
    assert _numbers_match(client, html) == 4
    _no_forbidden_links(client, "ops_dispatcher", html)


def test_handler_sees_the_units_cases_and_entries_due_today(filled, client, make_user):
    handler = make_user("dept_handler", unit="D01")
    r, html = _home(client, handler)
    assert "本单位待处置案件" in html and "今日待填报的日调度" in html
    assert "T0003" in html  # dispatched to D01
    assert "T0002" not in html  # handled by S01
    assert _numbers_match(client, html) == 2
    _no_forbidden_links(client, "dept_handler", html)


@pytest.mark.parametrize("role", ["community_grid_worker", "ops_grid_worker"])
def test_grid_worker_sees_the_grids_open_items_and_the_report_button(filled, client, make_user, role):
    from chengyun.cases.models import Case

    case = Case.objects.get(number="T0007")  # checking: the grid worker's to check
    worker = make_user(role, unit="S01", grids=[case.grid.code])
    r, html = _home(client, worker)
    assert "phone-home" in html and 'href="/cases/report/"' in html and "上报问题" in html
    assert "T0007" in html
    others = set(Case.objects.exclude(grid=case.grid).values_list("number", flat=True))
    assert not any(n in html for n in others)
    _no_forbidden_links(client, role, html)


def test_street_chief_sees_their_streets(filled, client, make_user):
    chief = make_user("street_chief", unit="S01", streets=["630109001"])
    r, html = _home(client, chief)
    assert "第1街道" in html and "第2街道" not in html
    assert _numbers_match(client, html) == 3
    _no_forbidden_links(client, "street_chief", html)


def test_river_chief_sees_reaches_patrols_and_alerts(filled, client, make_user):
    from chengyun.water.models import Reach, RiverChief, WaterBody

    user = make_user("river_chief", unit="S01", streets=["630109001"])
    chief = RiverChief.objects.create(person=user.person, level="street", title="街道级河长")
    Reach.objects.create(code="R1", name="测试河第一段", water_body=WaterBody.objects.get(code="WB1"), level="street", chief=chief)
    r, html = _home(client, user)
    assert "测试河第一段" in html and "本月巡河" in html and "未处置告警" in html
    assert _numbers_match(client, html) == 1
    _no_forbidden_links(client, "river_chief", html)


def test_drone_operator_reports(filled, client, make_user):
    r, html = _home(client, make_user("drone_operator", streets=["630109001"]))
    assert 'href="/cases/report/"' in html
    assert _numbers_match(client, html) == 1
    _no_forbidden_links(client, "drone_operator", html)


@pytest.mark.parametrize("role", ["auditor", "sysadmin", "security_admin"])
def test_other_roles_get_the_plain_home_with_their_menu(filled, client, make_user, role):
    r, html = _home(client, make_user(role))
    assert "城运中心" in html
    _no_forbidden_links(client, role, html)


def test_navigation_is_grouped_by_domain_and_by_role(filled, client, make_user):
    _r, html = _home(client, filled["dispatcher"])
    assert 'data-group="cityops"' in html and "城市管理" in html and "派遣台" in html
    _r, html = _home(client, make_user("community_grid_worker", unit="S01"))
    nav = html.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert "派遣台" not in nav and "领导驾驶舱" not in nav and "审计日志" not in nav
    assert 'data-group="leader"' not in nav


def test_every_nav_item_names_a_domain():
    from chengyun.core.registry import NAV_GROUPS, nav_items

    missing = [str(i.label) for i in nav_items() if i.group not in NAV_GROUPS and i.url_name.split(":")[0] != "reports"]
    assert not missing, missing
