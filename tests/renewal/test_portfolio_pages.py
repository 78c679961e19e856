"""Portfolio pages: render for staff, transitions from the detail page, the plan .xlsx, no inline scripts."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from portfolio_support import C11, compound, project

from chengyun.people import roles as R
from chengyun.renewal import project_workflow as pw
from chengyun.renewal.services import lifts, parking

TEMPLATES = Path(__file__).resolve().parents[2] / "chengyun" / "renewal" / "templates" / "renewal" / "portfolio"


@pytest.fixture
def data(district, units):
    c = compound("XQ1", C11)
    p = project("old_compound", compounds=["XQ1"], lng=101.705, lat=36.505)
    lift = lifts.create_lift(None, compound=c, building="2", unit_no="1", floors=6)
    lifts.set_owners(None, lift, [{"part": "101", "owner": "甲", "area_m2": 80}, {"part": "201", "owner": "乙", "area_m2": 80},
                                  {"part": "301", "owner": "丙", "area_m2": 80}])
    lifts.record_votes(None, lift, [{"owner": "甲", "vote": "agree"}, {"owner": "乙", "vote": "agree"}])
    parking.add_supply(None, code="PS1", name="泊位", kind="compound", compound=c, spaces=20)
    return {"project": p, "lift": lift, "compound": c}


def test_pages_render(client, make_user, data):
    client.force_login(make_user(R.DEPT_HANDLER, unit="D02"))
    p, lift = data["project"], data["lift"]
    for url, text in [("/renewal/projects/", p.code), ("/renewal/projects/?type=old_compound&year=2027", p.code),
                      (f"/renewal/projects/{p.pk}/", "立项"), ("/renewal/compounds/", "XQ1"), ("/renewal/compounds/XQ1/", p.code),
                      ("/renewal/lifts/", lift.code), (f"/renewal/lifts/{lift.pk}/", "2/3"), ("/renewal/parking/", "泊位"),
                      ("/renewal/charging/", "charging-plan")]:
        r = client.get(url)
        assert r.status_code == 200, url
        assert text in r.content.decode(), url
    assert p.code not in client.get("/renewal/projects/?type=gas").content.decode()


def test_transition_from_the_detail_page(client, make_user, data):
    p = data["project"]
    client.force_login(make_user(R.DEPT_HANDLER, unit="D02"))
    r = client.post(f"/renewal/projects/{p.pk}/approve/")
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.state == pw.APPROVED
    client.post(f"/renewal/projects/{p.pk}/handover/")  # out of order: a message, no change
    p.refresh_from_db()
    assert p.state == pw.APPROVED
    other = make_user(R.DEPT_HANDLER, unit="D01")
    client.force_login(other)
    client.post(f"/renewal/projects/{p.pk}/fund/")
    p.refresh_from_db()
    assert p.state == pw.APPROVED


def test_plan_xlsx(client, make_user, data):
    from openpyxl import load_workbook

    project("gas", name="燃气管网一期")
    client.force_login(make_user(R.DEPT_HANDLER, unit="D02"))
    r = client.get("/renewal/projects/plan.xlsx?type=gas")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[1]
    assert "2026年目标" in header and "中央预算内投资" in header
    names = [row[1] for row in rows[2:]]
    assert names == ["燃气管网一期"]
    assert [r[0] for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True)] == [2026, 2027]


def test_anonymous_is_sent_to_login(client, data):
    assert client.get("/renewal/projects/").status_code == 302


def test_templates_have_no_inline_script():
    for path in TEMPLATES.glob("*.html"):
        for tag in re.findall(r"<script[^>]*>", path.read_text(encoding="utf-8")):
            assert "src=" in tag, (path.name, tag)
