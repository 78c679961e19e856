"""The assessment form and the coverage file's actions refused: the page comes back with a 4xx, the message at
the form names the field by its label, what was typed is kept (the field at fault marked), nothing is stored."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from chengyun.people import roles as R
from property_helpers import G1, make_compound

pytestmark = pytest.mark.django_db


def _error(resp) -> str:
    m = re.search(r'<p class="error" role="alert" data-field="[^"]*">(.*?)</p>', resp.content.decode(), re.S)
    assert m, resp.content.decode()[:2000]
    return m.group(1)


def _marked(resp, name: str) -> bool:
    return bool(re.search(rf'name="{re.escape(name)}"[^>]*aria-invalid="true"', resp.content.decode()))


@pytest.fixture
def worker(make_user):
    return make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=[G1])


def _assessment(compound, **extra):
    from chengyun.property.services.assessments import period_of

    return {"compound": compound.code, "period": period_of(timezone.localdate()), "survey_sample": "30", "survey_phone": "1",
            "survey_satisfied": "27", "note": "雨后复查", "score_infrastructure": "20", "score_safety": "19", "score_response": "12",
            "score_co_governance": "12", "score_fees": "7", **extra}


def test_a_score_above_its_maximum_is_named_by_its_item_and_every_score_kept(client, managed, worker):
    from chengyun.property import services
    from chengyun.property.models import Assessment

    safety = next(i for i in services.active_sheet().items if i["code"] == "safety")
    client.force_login(worker)
    r = client.post("/property/assess/", _assessment(managed))
    html = r.content.decode()
    assert r.status_code == 422 and f"<strong>{safety['name']}</strong>" in _error(r) and "超过该项满分" in _error(r)
    assert _marked(r, "score_safety") and not _marked(r, "score_fees")
    assert 'value="19"' in html and 'name="score_infrastructure"' in html and 'value="20"' in html and "雨后复查</textarea>" in html
    assert f'<option value="{managed.code}" selected>' in html and 'name="survey_satisfied" type="number" inputmode="numeric" min="0" value="27"' in html
    assert not Assessment.objects.exists()


def test_a_survey_answered_too_much_by_phone_names_the_count(client, managed, worker):
    from chengyun.property.models import Assessment

    client.force_login(worker)
    r = client.post("/property/assess/", _assessment(managed, score_safety="14", survey_phone="3"))
    assert r.status_code == 422 and "<strong>其中电话代答户数</strong>" in _error(r) and _marked(r, "survey_phone")
    assert 'value="3"' in r.content.decode() and not Assessment.objects.exists()
    r = client.post("/property/assess/", {**_assessment(managed, score_safety="14"), "compound": "XQ-NONE"})
    assert r.status_code == 422 and "<strong>小区</strong>" in _error(r) and _marked(r, "compound") and not Assessment.objects.exists()


@pytest.fixture
def coverage_file(units):
    from chengyun.property import services

    c = make_compound(G1, "XQ-NONE1", mode="none")
    return services.open_file(None, c, target_date=timezone.localdate() + dt.timedelta(days=60), owner_unit=units["S01"])


def test_choosing_no_path_is_named_and_the_note_kept(client, coverage_file, worker):
    from chengyun.property.models import CoverageEvent

    events = CoverageEvent.objects.filter(file=coverage_file).count()
    client.force_login(worker)
    r = client.post(f"/property/files/{coverage_file.pk}/", {"form": "transition", "action": "choose_path", "path": "", "note": "业委会已表决"})
    assert r.status_code == 422 and "<strong>覆盖路径</strong>" in _error(r) and _marked(r, "path")
    assert "业委会已表决</textarea>" in r.content.decode()
    coverage_file.refresh_from_db()
    assert coverage_file.state == "filed" and CoverageEvent.objects.filter(file=coverage_file).count() == events


def test_a_repath_without_a_note_keeps_the_chosen_path(client, coverage_file, worker):
    from chengyun.property import services

    services.transition(None, coverage_file, "choose_path", path="market")
    client.force_login(worker)
    r = client.post(f"/property/files/{coverage_file.pk}/", {"form": "transition", "action": "repath", "path": "self_managed", "note": ""})
    html = r.content.decode()
    assert r.status_code == 422 and "<strong>说明</strong>" in _error(r) and _marked(r, "note")
    assert '<option value="self_managed" selected>' in html and '<option value="market">' in html
    coverage_file.refresh_from_db()
    assert (coverage_file.state, coverage_file.path) == ("path_chosen", "market")
