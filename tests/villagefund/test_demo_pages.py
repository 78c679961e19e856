"""The fund's demo on the small district, and the pages, report and cockpit panel over it."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client

from chengyun.villagefund import workflow as wf
from chengyun.villagefund.models import Payment, Project, Village, YearlyReturn

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(units, make_user):
    from chengyun.demo.context import DemoContext
    from chengyun.villagefund import demo

    demo.generate(DemoContext(log=lambda m: None))
    return demo


def test_the_demo_covers_every_state_and_the_stories(demo):
    assert Village.objects.count() == 4  # the small district's four communities
    states = set(Project.objects.values_list("state", flat=True))
    assert states == set(wf.STATES)
    assert 20 <= Project.objects.count() <= 30
    in_publicity = Project.objects.filter(state=wf.PUBLICITY)
    assert in_publicity.filter(objections__resolved=False).exists() and in_publicity.filter(objections__resolved=True).exists()
    assert Payment.objects.filter(kind="progress", project__state=wf.IMPLEMENTING).exists()
    assert YearlyReturn.objects.filter(project__state=wf.OPERATING).count() >= 5
    assert Project.objects.filter(stalled=True).count() == 1
    assert Project.objects.filter(events__action="town_return", state=wf.DRAFT).exists()


def test_the_demo_runs_once(demo):
    from chengyun.demo.context import DemoContext

    n = Project.objects.count()
    demo.generate(DemoContext(log=lambda m: None))
    assert Project.objects.count() == n


def _client(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def test_pages_render_for_each_fund_role(demo, make_user):
    from chengyun.people import roles as R

    reviewer = __import__("django.contrib.auth", fromlist=["x"]).get_user_model().objects.get(username="fundagri")
    community = Village.objects.order_by("community__code").first().community
    users = [reviewer, make_user(R.VILLAGE_CADRE, unit="S01", communities=[community.code]),
             make_user(R.STREET_OFFICER, unit="S01", streets=[community.street.code]), make_user(R.DISTRICT_LEADER)]
    for user in users:
        c = _client(user)
        for url in ("/villagefund/", "/villagefund/queue/", "/villagefund/villages/", "/villagefund/batches/", "/villagefund/performance/",
                    "/villagefund/public/"):
            r = c.get(url)
            assert r.status_code == 200, (user.username, url)
        for p in Project.objects.all():
            status = c.get(f"/villagefund/projects/{p.pk}/").status_code
            assert status in (200, 404)
    cadre = _client(users[1])
    mine = Project.objects.filter(village__community=community).first()
    other = Project.objects.exclude(village__community=community).first()
    assert cadre.get(f"/villagefund/projects/{mine.pk}/").status_code == 200
    assert cadre.get(f"/villagefund/projects/{other.pk}/").status_code == 404


def test_the_ledger_and_the_yearly_report(demo):
    from docx import Document
    from openpyxl import load_workbook

    from chengyun.villagefund import reporting

    leader = __import__("django.contrib.auth", fromlist=["x"]).get_user_model().objects.get(username="fundfinance")
    c = _client(leader)
    batch = Project.objects.filter(payments__isnull=False).first().batch
    page = c.get(f"/villagefund/batches/{batch.pk}/").content.decode()
    assert all(x.voucher in page for x in Payment.objects.filter(project__batch=batch))
    year = batch.year
    wb = load_workbook(io.BytesIO(c.get(f"/villagefund/report.xlsx?year={year}").content))
    assert wb.sheetnames == ["年度绩效", "项目清单", "拨付台账"]
    headers = [cell.value for cell in wb["年度绩效"][1]]
    for name in ("完工率（%）", "资金到位率（%）", "支出进度（%）", "收益率（%）", "带动就业（人）", "满意度（%）"):
        assert name in headers
    doc = Document(io.BytesIO(reporting.build_docx(year)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "资金下达" in text and "绩效情况" in text and "收益与预警" in text
    from chengyun.reports import kinds

    assert kinds.get("village-fund").build({"year": year}).xlsx


def test_the_cockpit_figures_equal_the_counts_of_their_lists(demo):
    from django.contrib.auth import get_user_model

    from chengyun.core.registry import PanelScope, cockpit_panels

    leader = get_user_model().objects.get(username="fundagri")
    panel = next(p for p in cockpit_panels() if p.key == "villagefund.fund")
    today = dt.date.today()
    data = panel.data(PanelScope(user=leader, start=today.replace(month=1, day=1), end=today))
    c = _client(leader)
    linked = [f for f in data.figures if f.url and f.counted]  # money sums link to the batches, not a count
    assert linked and all(f.url for f in data.figures)
    for f in linked + [type("Row", (), r) for r in data.rows]:
        url = f.url if hasattr(f, "url") else f["url"]
        html = c.get(url).content.decode()
        m = re.search(r'id="vf-count"[^>]*>(\d+)<', html)
        assert m, url
        shown = int(m.group(1))
        assert shown == (f.value if hasattr(f, "value") else f["value"]), url
    assert [r["label"] for r in data.rows] == [str(label) for label in wf.STATES.values()]
    assert sum(r["value"] for r in data.rows) == Project.objects.count()
