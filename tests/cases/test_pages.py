import pytest
from cases_helpers import G1, jpeg_bytes, run_to
from support import grid_center

from chengyun.cases import workflow as W
from chengyun.cases.models import Case
from chengyun.geo.models import Unit

pytestmark = pytest.mark.django_db


def test_list_map_detail_render_with_filters(client, crew, file_case, photo):
    case = run_to(file_case(), W.HANDLING, crew, photo)
    fresh = file_case(offset=(0.003, 0.003))  # no unit yet
    client.force_login(crew["acceptor"])
    html = client.get("/cases/").content.decode()
    assert case.number in html and fresh.number in html and "共 2 件" in html
    html = client.get("/cases/", {"status": "handling", "street": G1[:9]}).content.decode()
    assert case.number in html and "共 1 件" in html
    assert case.number not in client.get("/cases/", {"status": "closed"}).content.decode()
    assert client.get("/cases/map/", {"status": "open"}).status_code == 200
    client.force_login(crew["handler"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "流转记录" in html and "处置反馈" in html and "申请延期" in html and "照片" in html
    client.force_login(crew["handler2"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def test_actions_through_the_detail_page(client, crew, file_case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = file_case()
    client.force_login(crew["dispatcher"])
    r = client.post(f"/cases/{case.pk}/act/dispatch", {"unit_id": Unit.objects.get(code="D01").pk}, follow=True)
    assert "不能执行" in r.content.decode()  # the 409 becomes a message
    client.force_login(crew["acceptor"])
    client.post(f"/cases/{case.pk}/act/accept", {})
    client.post(f"/cases/{case.pk}/act/file", {"condition_id": case.category.conditions.first().pk})
    client.force_login(crew["dispatcher"])
    r = client.post(f"/cases/{case.pk}/act/dispatch", {"unit_id": Unit.objects.get(code="D01").pk, "next": "/cases/queue/"})
    assert r.status_code == 302 and r["Location"] == "/cases/queue/"
    client.force_login(crew["handler"])
    client.post(f"/cases/{case.pk}/act/sign", {})
    client.post(f"/cases/{case.pk}/act/feedback", {"note": "修好了", "photos": SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")})
    case.refresh_from_db()
    assert case.status == W.CHECKING and case.attachments.filter(stage="feedback").count() == 1


def test_queue_and_inbox(client, crew, file_case, photo):
    filed = run_to(file_case(), W.FILED, crew, photo)
    client.force_login(crew["dispatcher"])
    html = client.get("/cases/queue/").content.decode()
    assert filed.number in html and "（建议）" in html
    client.force_login(crew["handler"])
    assert client.get("/cases/queue/").status_code == 403
    run_to(filed, W.DISPATCHED, crew, photo)
    assert filed.number in client.get("/cases/inbox/").content.decode()
    public = file_case(source="public", offset=(0.002, 0.002))
    from chengyun.cases import services

    services.transition(crew["acceptor"], public, "accept")
    services.transition(crew["acceptor"], public, "send_verify")
    client.force_login(crew["grid"])
    html = client.get("/cases/inbox/").content.decode()
    assert "待核实" in html and public.number in html


def test_mobile_report_page(client, crew):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(crew["chief"])
    html = client.get("/cases/report/").content.decode()
    assert "街长上报" in html and 'name="category_code"' in html and "定位当前位置" in html
    r = client.post("/cases/report/", {"category_kind": "event", "category_code": "0113", "description": "人行道塌陷"})
    assert r.status_code == 422 and "定位" in r.content.decode()
    lng, lat = grid_center(G1)
    r = client.post("/cases/report/", {"category_kind": "event", "category_code": "0113", "description": "人行道塌陷", "lng": lng, "lat": lat,
                                       "photos": SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")})
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    assert case.source == "street_chief" and case.attachments.count() == 1


def test_catalogue_and_calendar_pages(client, crew):
    client.force_login(crew["acceptor"])
    html = client.get("/cases/catalogue/").content.decode()
    assert "B0101" in html and "上水井盖" in html
    assert client.get("/cases/catalogue/?format=csv")["Content-Type"].startswith("text/csv")
    assert client.get("/cases/calendar/").status_code == 403
    client.force_login(crew["shift"])
    r = client.post("/cases/calendar/", {"date": "2027-01-02", "is_workday": "1", "note": "调休"}, follow=True)
    assert "2027-01-02" in r.content.decode()
    from chengyun.core.models import CalendarOverride

    assert CalendarOverride.objects.get(date="2027-01-02").is_workday
    r = client.post("/cases/calendar/", {"date": "2027-02-30", "is_workday": "1"}, follow=True)
    assert "日期格式有误，应为 YYYY-MM-DD" in r.content.decode() and CalendarOverride.objects.count() == 1


def test_responsibility_page_sets_the_dispatch_suggestion(client, crew, file_case):
    client.force_login(crew["acceptor"])
    assert client.get("/cases/responsibilities/").status_code == 200
    r = client.post("/cases/responsibilities/", {"category": "0113", "street": G1[:9], "unit": "D02"}, follow=True)
    assert "只有系统管理员或值班长可以维护责任分工" in r.content.decode()
    client.force_login(crew["shift"])
    r = client.post("/cases/responsibilities/", {"category": "0113", "street": G1[:9], "unit": "D02"}, follow=True)
    assert "已保存" in r.content.decode() and "区住房和城乡建设局" in r.content.decode()
    assert file_case().suggested_unit.code == "D02"


def test_responsibility_page_refuses_an_unknown_street_or_community(client, crew):
    from chengyun.cases.models import Responsibility

    client.force_login(crew["shift"])
    before = Responsibility.objects.count()
    # Dropped, an unknown street or community would have made the row district-wide.
    for field, value, message in (("street", "999999999", "街道 999999999 不存在"), ("community", "999999999999", "社区 999999999999 不存在"),
                                  ("unit", "NOPE", "责任单位 NOPE 不存在")):
        r = client.post("/cases/responsibilities/", {"category": "0113", "unit": "D02", field: value}, follow=True)
        assert message in r.content.decode()
    r = client.post("/cases/responsibilities/", {"category": "0113", "unit": ""}, follow=True)
    assert "请选择责任单位" in r.content.decode()
    assert Responsibility.objects.count() == before
