"""Updates of units and persons refuse the fields the user may not change (people.policy.require_fields)."""
import pytest

from chengyun.core.errors import Forbidden
from chengyun.geo import services as geo_services
from chengyun.geo.models import Unit
from chengyun.people import roles as R
from chengyun.people import services as people_services

pytestmark = pytest.mark.django_db


def test_a_unit_member_changes_only_the_address(make_user, units):
    member = make_user(R.DEPT_HANDLER, unit="D01")
    unit = Unit.objects.get(code="D01")
    with pytest.raises(Forbidden) as exc:
        geo_services.update_unit(member, unit, name="改名", short_name="短", address="新址")
    assert exc.value.message == "无权修改字段：name、short_name"
    assert geo_services.update_unit(member, unit, address="新址").address == "新址"
    assert geo_services.update_unit(make_user(R.SYSADMIN, unit="OPS"), unit, name="改名").name == "改名"


def test_a_person_changes_only_their_phone(make_user):
    user = make_user(R.DEPT_HANDLER, unit="D01")
    with pytest.raises(Forbidden) as exc:
        people_services.update_person(user, user.person, title="科长", active=False)
    assert exc.value.message == "无权修改字段：active、title"
    assert people_services.update_person(user, user.person, phone="13900000001").phone == "13900000001"
    user.person.refresh_from_db()
    assert user.person.active and user.person.title != "科长"
