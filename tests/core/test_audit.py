"""Audit log: who, when, which request, before/after; append-only; searchable by auditors."""
import pytest
from django.db import DatabaseError, transaction

from chengyun.core.models import AuditEntry
from chengyun.geo.models import Unit
from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


def test_one_request_id_across_the_changes_of_one_request(make_user, api_client):
    user = make_user(R.DEPT_HANDLER, unit="D01")
    api_client.as_user(user)
    r = api_client.put("geo/units/D01/contacts", [{"name": "甲", "phone": "1"}], HTTP_X_REQUEST_ID="req-0123456789")
    assert r.status_code == 200 and r["X-Request-ID"] == "req-0123456789"
    entry = AuditEntry.objects.get(request_id="req-0123456789")
    assert entry.actor == user and entry.source == "api" and entry.ip == "127.0.0.1"
    assert entry.object_type == "geo.unit" and entry.object_id == str(Unit.objects.get(code="D01").pk)
    assert entry.verb == "set_contacts" and entry.after == [{"name": "甲", "phone": "1", "title": "", "on_duty": False}]
    # A second request gets a new id; its entry records the earlier state as "before".
    api_client.put("geo/units/D01/contacts", [{"name": "乙", "phone": "2"}])
    latest = AuditEntry.objects.filter(verb="set_contacts").latest("id")
    assert latest.request_id != "req-0123456789" and latest.before[0]["name"] == "甲"


def test_update_records_only_changed_fields(make_user, api_client):
    user = make_user(R.OPS_DISPATCHER)
    api_client.as_user(user)
    api_client.patch(f"people/{user.person.id}", {"phone": "13811112222"})
    e = AuditEntry.objects.filter(object_type="people.person", action="update").latest("id")
    assert e.before == {"phone": user.person.phone} and e.after == {"phone": "13811112222"}
    assert e.actor_name == user.first_name


def test_entries_cannot_be_changed_or_removed(make_user):
    from chengyun.core import audit

    unit = Unit.objects.get(code="D01")
    entry = audit.action(unit, "test")
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    # Even bypassing the model, the database refuses.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(verb="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).verb == "test"


def test_auditor_searches_by_object_person_and_time(make_user, api_client):
    handler = make_user(R.DEPT_HANDLER, unit="D01")
    api_client.as_user(handler)
    api_client.put("geo/units/D01/contacts", [{"name": "甲", "phone": "1"}])
    api_client.as_user(make_user(R.AUDITOR))
    unit_id = str(Unit.objects.get(code="D01").pk)
    rows = api_client.get("people/audit", {"object_type": "geo.unit", "object_id": unit_id}).json()["results"]
    assert [r["verb"] for r in rows] == ["set_contacts"] and rows[0]["actor"] == handler.username
    assert api_client.get("people/audit", {"actor": handler.username}).json()["count"] == 1
    assert api_client.get("people/audit", {"actor": handler.username, "start": "2099-01-01T00:00:00+08:00"}).json()["count"] == 0
    # The page shows the same search.
    from django.test import Client

    c = Client()
    c.force_login(make_user(R.AUDITOR))
    page = c.get("/people/audit/", {"object_type": "geo.unit"}).content.decode()
    assert "修改联系人" in page and handler.first_name in page  # the verb set_contacts, named for the reader


def test_save_changes_writes_the_values_and_records_only_a_real_change(units):
    from chengyun.core import audit as core_audit

    unit = units["D01"]
    entry = core_audit.save_changes(unit, {"name": "区城市管理综合执法局"}, verb="rename")
    unit.refresh_from_db()
    assert unit.name == "区城市管理综合执法局" and entry.verb == "rename"
    assert entry.before == {"name": "区城市管理局"} and entry.after == {"name": "区城市管理综合执法局"}
    assert core_audit.save_changes(unit, {"name": "区城市管理综合执法局"}) is None
    assert AuditEntry.objects.filter(action="update", object_id=str(unit.pk)).count() == 1
