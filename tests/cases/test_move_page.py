"""Moving a case from its detail page: who sees the draggable marker, the confirmed move with a reason."""
import pytest
from cases_helpers import G1, G_OTHER
from support import X0, Y0, grid_center

from chengyun.cases import workflow as W
from chengyun.cases.models import Case
from chengyun.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def detail(client, case):
    return client.get(f"/cases/{case.pk}/").content.decode()


def test_the_marker_is_draggable_for_those_the_move_policy_allows(client, file_case, crew):
    case = file_case()
    for who in ("acceptor", "dispatcher", "grid"):
        client.force_login(crew[who])
        assert 'data-movable="1"' in detail(client, case) and 'id="move-form"' in detail(client, case)
    for who in ("leader", "chief"):  # reads the case, may not move it
        client.force_login(crew[who])
        page = detail(client, case)
        assert 'id="case-point"' in page and 'data-movable' not in page and 'id="move-form"' not in page


def test_confirmed_move_relocates_with_reason_on_the_timeline_and_in_the_audit_log(client, file_case, crew):
    case = file_case()
    lng, lat = grid_center(G_OTHER)
    client.force_login(crew["acceptor"])
    r = client.post(f"/cases/{case.pk}/move", {"lng": f"{lng:.7f}", "lat": f"{lat:.7f}", "crs": "wgs84", "reason": "上报定位偏差"}, follow=True)
    assert r.status_code == 200
    case.refresh_from_db()
    assert case.grid.code == G_OTHER and case.community.code == G_OTHER[:12] and case.street.code == G_OTHER[:9]
    page = r.content.decode()
    assert f"位置已修改：{case.street.name} / {case.community.name} / {case.grid.name}" in page
    event = case.events.get(action="move")
    assert event.note == "上报定位偏差" and event.data["to"]["grid"] == G_OTHER
    assert '<div class="note">上报定位偏差</div>' in page  # on the timeline
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk), verb="move").exists()
    assert AuditEntry.objects.get(object_type="cases.case", object_id=str(case.pk), verb="move_reason").after["reason"] == "上报定位偏差"


def test_gcj02_input_is_converted(client, file_case, crew):
    from chengyun.standards import coords

    case = file_case()
    lng, lat = grid_center(G_OTHER)
    glng, glat = coords.wgs84_to_gcj02(lng, lat)
    client.force_login(crew["acceptor"])
    client.post(f"/cases/{case.pk}/move", {"lng": glng, "lat": glat, "crs": "gcj02", "reason": "高德坐标"})
    case.refresh_from_db()
    assert case.grid.code == G_OTHER and abs(case.lng - lng) < 1e-5


@pytest.mark.parametrize("form, message", [
    ({"lng": X0 - 0.5, "lat": Y0, "reason": "拖出区外"}, "该位置不在本区范围内"),
    ({"lng": "东经", "lat": Y0, "reason": "乱填"}, "经纬度必须是数字"),
    ({"reason": "   "}, "请填写修改位置的原因"),
])
def test_refused_moves_say_why_and_change_nothing(client, file_case, crew, form, message):
    case = file_case()
    lng, lat = grid_center(G_OTHER)
    client.force_login(crew["acceptor"])
    r = client.post(f"/cases/{case.pk}/move", {"lng": lng, "lat": lat, **form}, follow=True)
    assert r.status_code == 200 and message in r.content.decode()
    case.refresh_from_db()
    assert case.grid.code == G1 and not case.events.filter(action="move").exists()
    assert not AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk), verb__in=["move", "move_reason"]).exists()


def test_others_get_403_or_404_and_closed_cases_do_not_move(client, file_case, crew):
    case = file_case()
    lng, lat = grid_center(G_OTHER)
    form = {"lng": lng, "lat": lat, "reason": "试试"}
    client.force_login(crew["leader"])
    assert client.post(f"/cases/{case.pk}/move", form).status_code == 403
    client.force_login(crew["grid_other"])  # a grid worker of another street does not see the case
    assert client.post(f"/cases/{case.pk}/move", form).status_code == 404
    client.force_login(crew["acceptor"])
    assert client.get(f"/cases/{case.pk}/move").status_code == 405
    Case.objects.filter(pk=case.pk).update(status=W.CLOSED)
    r = client.post(f"/cases/{case.pk}/move", form, follow=True)
    assert "案件已办结，不能修改位置" in r.content.decode()
    assert 'data-movable' not in r.content.decode()
    case.refresh_from_db()
    assert case.grid.code == G1
