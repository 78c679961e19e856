"""Reporters' personal information: masked in pages, API, Open311 and the audit log; revealing it
is an audited POST; retention anonymizes it; photos lose EXIF GPS without consent."""
import datetime as dt
import io

import pytest
from cases_helpers import G1, jpeg_bytes
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from PIL import Image
from support import grid_center

from chengyun.cases import privacy, services
from chengyun.cases.models import Case
from chengyun.core.audit import MASK
from chengyun.core.models import AuditEntry

pytestmark = pytest.mark.django_db
PHONE = "13812341234"


@pytest.mark.parametrize("phone, shown", [("13812341234", "138****1234"), ("0971-6123456", "097****3456"), ("12345", "***45"), ("", "")])
def test_mask_phone(phone, shown):
    assert privacy.mask_phone(phone) == shown


@pytest.mark.parametrize("name, shown", [("张三", "张*"), ("欧阳修", "欧**"), ("张 三", "张*"), ("公众", "公众"), ("", "")])
def test_mask_name(name, shown):
    assert privacy.mask_name(name) == shown


def _public_case(crew, **kw):
    lng, lat = grid_center(G1)
    return services.report(crew["acceptor"], source="hotline", category_code="0113", lng=lng, lat=lat, description="井盖缺失",
                           reporter_name="张三", reporter_phone=PHONE, **kw)


def test_api_and_pages_show_masked_reporters_and_the_audit_log_never_holds_them(crew, api_client):
    case = _public_case(crew)
    for who in ("dispatcher", "leader", "grid"):
        body = api_client.as_user(crew[who]).get(f"cases/{case.pk}").json()
        assert (body["reporter_name"], body["reporter_phone"]) == ("张*", "138****1234"), who
        listed = api_client.get("cases/").json()["results"]
        assert all(PHONE not in str(row) for row in listed)
    c = Client()
    c.force_login(crew["dispatcher"])
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert "138****1234" in page and PHONE not in page and "张三" not in page and "查看完整信息" in page
    created = AuditEntry.objects.get(object_type="cases.case", object_id=str(case.pk), action="create")
    assert created.after["reporter_phone"] == MASK and created.after["reporter_name"] == MASK
    assert PHONE not in str(list(AuditEntry.objects.values_list("before", "after")))


def test_staff_reporters_names_are_shown_and_phones_still_masked(crew, api_client):
    lng, lat = grid_center(G1)
    case = services.report(crew["grid"], source="community_grid_worker", category_code="0113", lng=lng, lat=lat, description="垃圾",
                           reporter_phone="13900001111")
    body = api_client.as_user(crew["dispatcher"]).get(f"cases/{case.pk}").json()
    assert body["reporter_name"] == crew["grid"].person.name and body["reporter_phone"] == "139****1111"


def test_revealing_is_a_deliberate_audited_post_for_the_roles_that_need_it(crew, api_client):
    case = _public_case(crew)
    r = api_client.as_user(crew["dispatcher"]).post(f"cases/{case.pk}/reporter/reveal", {})
    assert r.status_code == 200 and r.json() == {"reporter_name": "张三", "reporter_phone": PHONE}
    entry = AuditEntry.objects.get(verb="reveal_personal_data")
    assert entry.actor == crew["dispatcher"] and entry.object_id == str(case.pk) and entry.ip == "127.0.0.1"
    # A grid worker who sees the case may not reveal; a GET is not a reveal.
    r = api_client.as_user(crew["grid"]).post(f"cases/{case.pk}/reporter/reveal", {})
    assert r.status_code == 403 and r.json()["code"] == "personal_data_forbidden"
    assert api_client.as_user(crew["dispatcher"]).get(f"cases/{case.pk}/reporter/reveal").status_code == 405
    # Out of scope: 404, and nothing revealed.
    assert api_client.as_user(crew["grid_other"]).post(f"cases/{case.pk}/reporter/reveal", {}).status_code == 404
    # The page: a POST shows the full values once, and is audited as well.
    c = Client()
    c.force_login(crew["acceptor"])
    page = c.post(f"/cases/{case.pk}/reveal").content.decode()
    assert PHONE in page and "张三" in page and "已记入审计日志" in page
    assert PHONE not in c.get(f"/cases/{case.pk}/").content.decode()
    assert AuditEntry.objects.filter(verb="reveal_personal_data").count() == 2
    with override_settings(PERSONAL_DATA_ROLES=frozenset()):
        assert api_client.as_user(crew["dispatcher"]).post(f"cases/{case.pk}/reporter/reveal", {}).status_code == 403


def test_open311_answers_carry_no_personal_information(crew, client):
    from chengyun.people.services import create_token

    _, key = create_token(None, crew["grid_other"].username)
    lng, lat = grid_center(G1)
    r = client.post("/open311/v2/requests.json", {"api_key": key, "service_code": "0113", "lat": str(lat), "long": str(lng),
                                                   "description": "路灯不亮", "first_name": "三", "last_name": "张", "phone": PHONE,
                                                   "email": "zs@example.com"})
    number = r.json()[0]["service_request_id"]
    for url in ("/open311/v2/requests.json", f"/open311/v2/requests/{number}.json", f"/open311/v2/requests/{number}.xml"):
        body = client.get(url).content.decode()
        assert number in body and PHONE not in body and "zs@example.com" not in body and "张" not in body


def test_hotline_imports_are_masked_like_every_case(crew, api_client):
    lng, lat = grid_center(G1)
    csv = ("工单编号,受理时间,诉求内容,地址,经度,纬度,小类代码,类型,来电人,联系电话\n"
           f"H-1,2026-11-25 09:00,路面坑洼,某路,{lng},{lat},0113,事件,李四,13700001234\n").encode()
    services.import_hotline(crew["acceptor"], csv, "h.csv")
    case = Case.objects.get(external_id="H-1")
    body = api_client.as_user(crew["dispatcher"]).get(f"cases/{case.pk}").json()
    assert (body["reporter_name"], body["reporter_phone"]) == ("李*", "137****1234")


def test_retention_anonymizes_closed_citizen_reports_and_is_audited(crew):
    old = _public_case(crew, extra={"email": "a@b.c"})
    still_open = _public_case(crew)
    long_ago = timezone.now() - dt.timedelta(days=800)
    Case.objects.filter(pk=old.pk).update(status="closed", closed_at=long_ago)
    Case.objects.filter(pk__in=[old.pk, still_open.pk]).update(updated_at=long_ago)
    assert privacy.anonymize_expired(days=0) == 0  # 0 = kept
    out = io.StringIO()
    call_command("privacy", "purge", stdout=out)  # default 730 days
    assert "已匿名化 1 件" in out.getvalue()
    old.refresh_from_db()
    still_open.refresh_from_db()
    assert (old.reporter_name, old.reporter_phone) == (privacy.ANONYMIZED, "") and "email" not in old.extra
    assert still_open.reporter_phone == PHONE
    entry = AuditEntry.objects.get(verb="anonymize_reporters")
    assert entry.after["cases"] == [old.number] and entry.after["retention_days"] == 730
    assert privacy.anonymize_expired() == 0  # idempotent


def _upload(data):
    return SimpleUploadedFile("p.jpg", data, "image/jpeg")


def _stored_gps(att):
    with att.file.open("rb") as fh, Image.open(fh) as img:
        return img.getexif().get_ifd(0x8825)


def test_citizen_photos_lose_their_gps_unless_the_reporter_consents(crew, client):
    lng, lat = grid_center(G1)
    with_gps = jpeg_bytes(size=(120, 80), gps=(lng, lat))
    refused = _public_case(crew, attachments=[_upload(with_gps)])
    att = refused.attachments.get()
    assert att.gps_lng is None and not _stored_gps(att) and refused.extra["location_consent"] is False
    with Image.open(att.file.path) as img:
        assert img.size == (120, 80)  # the picture itself is kept
    consented = _public_case(crew, attachments=[_upload(with_gps)], location_consent=True)
    att = consented.attachments.get()
    assert att.gps_lng == pytest.approx(lng, abs=1e-4) and _stored_gps(att)
    # Staff photos are work records and keep their position.
    staff = services.report(crew["grid"], source="community_grid_worker", category_code="0113", lng=lng, lat=lat, description="x",
                            attachments=[_upload(with_gps)])
    assert staff.attachments.get().gps_lng is not None


def test_open311_uses_the_photo_position_only_with_consent(crew, client):
    from chengyun.people.services import create_token

    _, key = create_token(None, crew["grid_other"].username)
    lng, lat = grid_center(G1)
    form = {"api_key": key, "service_code": "0113", "description": "路面塌陷"}
    r = client.post("/open311/v2/requests.json", {**form, "media": _upload(jpeg_bytes(gps=(lng, lat)))})
    assert r.status_code == 400 and "location_consent" in r.json()[0]["description"]
    r = client.post("/open311/v2/requests.json", {**form, "location_consent": "true", "media": _upload(jpeg_bytes(gps=(lng, lat)))})
    assert r.status_code == 201, r.content
    case = Case.objects.get(number=r.json()[0]["service_request_id"])
    assert case.lng == pytest.approx(lng, abs=1e-4) and case.grid.code == G1 and case.attachments.get().gps_lng is not None
