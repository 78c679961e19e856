import pytest

from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role, lands_on", [(R.VILLAGE_CADRE, "/villagefund/"), (R.STREET_OFFICER, "/villagefund/queue/")])
def test_the_funds_roles_land_on_their_work(client, make_user, role, lands_on):
    client.force_login(make_user(role, unit="S01"))
    r = client.get("/")
    assert r.status_code == 302 and r.url == lands_on
    assert client.get(r.url).status_code == 200
