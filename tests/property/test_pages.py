"""The pages answer, and each cockpit figure's link lists exactly as many rows as the figure says."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(managed, company, units):
    from chengyun.property import services
    from property_helpers import G1, make_compound, valid_code

    for i in range(3):
        c = make_compound(G1, f"XQ-N{i}", mode="none")
        f = services.open_file(None, c, target_date=timezone.localdate() + dt.timedelta(days=60), owner_unit=units["S01"])
        if i == 0:
            for step in ("choose_path", "start", "report", "close"):
                f = services.transition(None, f, step, path="market", note="完成")
    services.create_company(None, name="黑榜物业", credit_code=valid_code("MA0000009"), base_score=50)


def test_pages_render_in_chinese_without_english_words(client, world, make_user, managed, company):
    from chengyun.core.i18n_check import english_words
    from chengyun.people import roles as R
    from chengyun.property import services
    from chengyun.property.models import CoverageFile

    services.add_record(None, company, item="B05", evidence="擅自撤离")
    services.assess(None, managed, period=services.assessments.period_of(timezone.localdate()), survey_sample=20, survey_satisfied=15,
                    scores={"infrastructure": 20, "safety": 12, "response": 12, "co_governance": 12, "fees": 7})
    client.force_login(make_user(R.DISTRICT_LEADER))
    f = CoverageFile.objects.filter(state="closed").first()
    for url in ("/property/", "/property/compounds/", "/property/files/", "/property/companies/", f"/property/companies/{company.pk}/",
                "/property/assessments/", "/property/assess/", f"/property/files/{f.pk}/"):
        resp = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert resp.status_code == 200, url
        assert english_words(resp.content.decode()) == set(), url


def test_cockpit_figures_equal_their_lists(client, world, make_user):
    from chengyun.core.registry import PanelScope
    from chengyun.people import roles as R
    from chengyun.property import cockpit

    user = make_user(R.DISTRICT_LEADER)
    client.force_login(user)
    scope = PanelScope(user=user, start=timezone.localdate() - dt.timedelta(days=30), end=timezone.localdate())
    cov = cockpit.coverage(scope)
    cred = cockpit.credit_panel(scope)
    assert cov.figures[0].value == 50.0  # 2 of 4 compounds covered
    checked = 0
    for fig in cov.figures[1:] + cred.figures + [type("F", (), r) for r in cred.rows]:
        value, url = (fig.value, fig.url) if hasattr(fig, "value") else (fig["value"], fig["url"])
        page = client.get(url).content.decode()
        n = re.search(r"共 (\d+) ", page)
        assert n and int(n.group(1)) == value, (url, value)
        checked += 1
    assert checked == 3 + 2 + 6


def test_the_phone_form_stores_an_assessment(client, managed, make_user):
    from chengyun.people import roles as R
    from chengyun.property.models import Assessment

    client.force_login(make_user(R.COMMUNITY_GRID_WORKER, unit="S01", grids=["630109001001001"]))
    page = client.get("/property/assess/").content.decode()
    assert managed.name in page
    data = {"compound": managed.code, "period": "", "survey_sample": "30", "survey_phone": "1", "survey_satisfied": "27",
            "score_infrastructure": "20", "score_safety": "16", "score_response": "12", "score_co_governance": "12", "score_fees": "7"}
    from chengyun.property.services.assessments import period_of

    data["period"] = period_of(timezone.localdate())
    resp = client.post("/property/assess/", data, follow=True)
    assert "超过该项满分" in resp.content.decode() and not Assessment.objects.exists()
    data["score_safety"] = "14"
    client.post("/property/assess/", data)
    assert Assessment.objects.get().total == 86.6
