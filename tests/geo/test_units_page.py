import pytest
from django.test import Client

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


def test_unit_member_edits_contacts_on_the_page(make_user):
    c = Client()
    c.force_login(make_user(R.DEPT_HANDLER, unit="D01"))
    page = c.get("/geo/units/D01/").content.decode()
    assert "保存联系人" in page
    r = c.post("/geo/units/D01/", {"rows": "3", "name-0": "张值班", "phone-0": "0971-8888888", "on_duty-0": "on", "name-1": "", "phone-1": ""})
    assert r.status_code == 302
    page = c.get("/geo/units/D01/").content.decode()
    assert "张值班" in page and "联系人已保存" in page
    assert AuditEntry.objects.filter(verb="set_contacts").count() == 1
    # A row with a name but no phone is refused with a message, and nothing changes.
    page = c.post("/geo/units/D01/", {"rows": "1", "name-0": "李四"}).content.decode()
    assert "缺少姓名或电话" in page
    assert "张值班" in c.get("/geo/units/D01/").content.decode()


def test_other_units_see_contacts_read_only(make_user):
    c = Client()
    c.force_login(make_user(R.DEPT_HANDLER, unit="D02"))
    page = c.get("/geo/units/D01/").content.decode()
    assert "保存联系人" not in page
    r = c.post("/geo/units/D01/", {"rows": "1", "name-0": "冒名", "phone-0": "1"})
    assert r.status_code == 403
