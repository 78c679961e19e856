"""三员分立: system administrator, security administrator and auditor are different people unless
the district allows combining them; each does only their own part."""
import pytest
from django.test import override_settings

from chengyun.core.models import AuditEntry
from chengyun.people import roles as R
from chengyun.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pair", [(R.SYSADMIN, R.AUDITOR), (R.SYSADMIN, R.SECURITY_ADMIN), (R.SECURITY_ADMIN, R.AUDITOR)])
def test_two_of_the_three_admin_roles_are_refused(pair, make_user, api_client):
    api_client.as_user(make_user(R.SYSADMIN))
    n = Person.objects.count()
    r = api_client.post("people/", {"name": "赵六", "unit": "OPS", "roles": list(pair)})
    assert r.status_code == 422 and r.json()["code"] == "roles_not_combinable" and "须由不同人员担任" in r.json()["message"]
    assert Person.objects.count() == n
    person = make_user(R.OPS_DISPATCHER).person
    r = api_client.put(f"people/{person.id}/assignment", {"roles": list(pair)})
    assert r.status_code == 422 and r.json()["code"] == "roles_not_combinable"
    assert set(Person.objects.get(pk=person.pk).role_codes) == {R.OPS_DISPATCHER}


def test_a_district_may_allow_combining_them(make_user, api_client):
    api_client.as_user(make_user(R.SYSADMIN))
    with override_settings(ALLOW_COMBINED_ADMIN_ROLES=True):
        r = api_client.post("people/", {"name": "赵六", "unit": "OPS", "roles": [R.SYSADMIN, R.AUDITOR]})
    assert r.status_code == 201
    # One admin role with any other role is fine.
    assert api_client.post("people/", {"name": "钱七", "unit": "OPS", "roles": [R.AUDITOR, R.DISTRICT_LEADER]}).status_code == 201


def test_each_of_the_three_does_only_their_part(make_user, api_client):
    # The auditor reads the log and cannot manage people or locks.
    api_client.as_user(make_user(R.AUDITOR))
    assert api_client.get("people/audit").status_code == 200
    assert api_client.post("people/", {"name": "孙八", "unit": "OPS", "roles": [R.OPS_DISPATCHER]}).status_code == 403
    assert api_client.get("people/security/lockouts").status_code == 403
    # The security administrator manages locks and sessions, neither people nor the log.
    api_client.as_user(make_user(R.SECURITY_ADMIN))
    assert api_client.get("people/security/lockouts").status_code == 200
    assert api_client.get("people/audit").status_code == 403
    assert api_client.post("people/", {"name": "孙八", "unit": "OPS", "roles": [R.OPS_DISPATCHER]}).status_code == 403
    # Nobody edits the log: there is no write endpoint, and the model refuses.
    from chengyun.core import audit

    entry = audit.action(None, "test", otype="test.thing", object_repr="x")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    with pytest.raises(RuntimeError):
        entry.save()
