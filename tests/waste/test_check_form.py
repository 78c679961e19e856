"""The survey / inspection form: recorded through services.record_check (the API's function) and
the compound reassessed; a refusal names the field and stores nothing; only the register's keepers."""
import datetime as dt

import pytest
from django.test import Client

from chengyun.core.i18n_check import english_words
from chengyun.waste.models import SortingCheck, SortingCompound

pytestmark = pytest.mark.django_db


def _client(user, lang="zh-hans"):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


@pytest.fixture
def setup(district, units, make_user):
    from chengyun.geo.models import Community, Compound

    community = Community.objects.order_by("code").first()
    compound = Compound.objects.create(code="XQ-F1", name="表单小区", community=community, households=200)
    worker = make_user("community_grid_worker", unit="S01", communities=[community.code])
    return compound, worker


def _post(**over):
    data = {"compound": "XQ-F1", "kind": "survey", "checked_on": dt.date.today().isoformat(), "sample": "100", "aware": "95",
            "participating": "90", "correct": "", "inspector": "调查员甲"}
    data.update(over)
    return data


def test_record_a_survey_from_the_page(setup):
    compound, worker = setup
    c = _client(worker)
    assert "/waste/surveys/new/" in c.get("/waste/compounds/").content.decode()
    page = c.get("/waste/surveys/new/")
    assert page.status_code == 200 and "表单小区" in page.content.decode() and english_words(page.content.decode()) == set()
    r = c.post("/waste/surveys/new/", _post())
    assert r.status_code == 302
    check = SortingCheck.objects.get()
    assert (check.kind, check.sample, check.aware, check.participating, check.inspector) == ("survey", 100, 95, 90, "调查员甲")
    sc = SortingCompound.objects.get(compound=compound)
    assert sc.awareness == 95.0 and sc.participation == 90.0


def test_refusals_name_the_field(setup):
    _, worker = setup
    c = _client(worker)
    for data, field, label in ((_post(aware="120"), "aware", "知晓户数"), (_post(kind="inspection"), "correct", "准确投放户数"),
                               (_post(inspector=" "), "inspector", "调查人"), (_post(sample="很多"), "sample", "样本户数"),
                               (_post(checked_on="2099-01-01"), "checked_on", "日期")):
        r = c.post("/waste/surveys/new/", data)
        assert r.status_code == 422, field
        body = r.content.decode()
        assert f'data-field="{field}"' in body and f"“{label}”有误" in body and 'aria-invalid="true"' in body, field
    assert not SortingCheck.objects.exists()


def test_not_for_the_ops_center(setup, make_user):
    ops = _client(make_user("ops_dispatcher"))
    assert ops.get("/waste/surveys/new/").status_code == 403
    assert ops.post("/waste/surveys/new/", _post()).status_code == 403
    assert "/waste/surveys/new/" not in ops.get("/waste/compounds/").content.decode()
    assert not SortingCheck.objects.exists()
