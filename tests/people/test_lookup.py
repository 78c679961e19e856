"""people.lookup.referenced: the one answer for "the record a request body or a form names"."""
import pytest

from chengyun.core.errors import Invalid, NotFound
from chengyun.geo.models import Unit
from chengyun.people import roles as R
from chengyun.people.lookup import referenced
from chengyun.people.models import Person
from support import DIVISION

pytestmark = pytest.mark.django_db

HOME_GRID = f"{DIVISION}001001001"
OTHER_GRID = f"{DIVISION}002002004"


def test_an_unknown_key_is_a_422_naming_the_field(units):
    with pytest.raises(Invalid) as e:
        referenced(Unit.objects, "NOPE", what="责任单位", field="unit", lookup="code")
    assert e.value.status == 422
    assert e.value.as_dict() == {"code": "unknown_unit", "message": "责任单位 NOPE 不存在", "detail": {"field": "unit"}}
    # An id field's code drops the suffix; a caller may name its own code.
    with pytest.raises(Invalid) as e:
        referenced(Person.objects, 987654, what="人员", field="person_id")
    assert e.value.code == "unknown_person" and e.value.detail == {"field": "person_id"}
    with pytest.raises(Invalid) as e:
        referenced(Person.objects, "ghost", field="username", lookup="user__username", code="unknown_person")
    assert e.value.code == "unknown_person" and e.value.detail == {"field": "username"}


def test_an_empty_key_is_none_when_optional_and_a_422_otherwise(units):
    for empty in (None, "", "   "):
        assert referenced(Unit.objects, empty, field="unit", lookup="code") is None
    with pytest.raises(Invalid) as e:
        referenced(Unit.objects, "", what="水体", field="water_body", lookup="code", optional=False)
    assert e.value.code == "unknown_water_body" and e.value.detail == {"field": "water_body"}


def test_found_by_the_lookup_and_a_wrong_type_names_nothing(units):
    assert referenced(Unit.objects, " S01 ", field="unit", lookup="code") == units["S01"]
    assert referenced(Unit.objects, str(units["D01"].pk)) == units["D01"]
    # A form's select posting a word where a number is looked up: a 422, not a 500.
    with pytest.raises(Invalid) as e:
        referenced(Unit.objects, "abc")
    # Without a field (a form's select) the code is unknown_choice and the model names itself.
    assert e.value.code == "unknown_choice" and e.value.detail is None
    assert e.value.message == f"{Unit._meta.verbose_name} abc 不存在"


def test_in_the_users_scope_out_of_scope_and_missing_are_both_404(make_user):
    viewer = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[HOME_GRID])
    near = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[HOME_GRID]).person
    far = make_user(R.COMMUNITY_GRID_WORKER, unit="S02", grids=[OTHER_GRID]).person
    assert referenced(Person.objects, near.pk, field="person_id", user=viewer) == near
    # Unscoped, the far person exists; in the viewer's scope it looks exactly like a missing one.
    assert referenced(Person.objects, far.pk, field="person_id") == far
    for key in (far.pk, 987654):
        with pytest.raises(NotFound) as e:
            referenced(Person.objects, key, field="person_id", user=viewer)
        assert e.value.status == 404
    assert referenced(Person.objects, None, field="person_id", user=viewer) is None
