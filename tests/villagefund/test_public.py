"""The public disclosure: no sign-in, only what is in or past publicity, never personal data."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from chengyun.villagefund import services
from chengyun.villagefund import workflow as wf

pytestmark = pytest.mark.django_db


def test_only_published_projects_and_no_personal_data(fund, make_project, advance):
    hidden = {state: advance(make_project(name=f"未公示{state}"), state) for state in (wf.DRAFT, wf.SUBMITTED, wf.JOINT_REVIEW, wf.APPROVED)}
    shown = advance(make_project(name="公示中的光伏电站"), wf.PUBLICITY)
    services.raise_objection(fund.cadre, shown, content="补偿不公", objector="异议人李某")
    running = advance(make_project(village=fund.v2, name="运营中的冷库"), wf.OPERATING)
    anonymous = Client()
    r = anonymous.get("/api/v1/villagefund/public")
    assert r.status_code == 200
    rows = r.json()
    assert {x["code"] for x in rows} == {shown.code, running.code}
    row = next(x for x in rows if x["code"] == shown.code)
    assert {"village", "project", "amount_wan", "model", "expected_return_wan", "period_start", "period_end", "publicity_start", "publicity_end"} <= set(row)
    text = json.dumps(rows, ensure_ascii=False)
    for secret in ("异议人李某", "补偿不公", fund.cadre.first_name, "测试人员", "1390000"):
        assert secret not in text
    page = anonymous.get("/villagefund/public/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "公示中的光伏电站" in html and "运营中的冷库" in html
    assert not any(p.name in html for p in hidden.values())
    assert "异议人李某" not in html and "测试人员" not in html


def test_the_rest_of_the_api_needs_a_sign_in(fund):
    assert Client().get("/api/v1/villagefund/projects").status_code == 401
    assert Client().get("/villagefund/").status_code == 302
