from chengyun.core import current
from chengyun.reports import kinds, services
from chengyun.reports.models import ReportRun
from chengyun.people import roles as R


def test_archive_keeps_every_run_and_lists_them(api_client, make_user, client):
    generated = kinds.Generated(title="测试报告", period="2026-03", docx=b"PK-docx", xlsx=b"PK-xlsx")
    with current.acting(None, source="job"):
        first = services.archive(None, kind="test-kind", generated=generated, params={"month": "2026-03"})
        second = services.archive(None, kind="test-kind", generated=generated)
    assert ReportRun.objects.count() == 2 and services.latest("test-kind", "2026-03") == second
    assert first.source == "job" and first.docx.read() == b"PK-docx"
    user = make_user(R.DEPT_HANDLER, unit="D01")
    body = api_client.as_user(user).get("reports/runs", {"kind": "test-kind"}).json()
    assert body["count"] == 2 and body["results"][0]["docx_url"] == f"/reports/{second.pk}/docx"
    r = client.get(f"/reports/{first.pk}/xlsx")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"PK-xlsx"


def test_empty_report_is_refused():
    import pytest

    from chengyun.core.errors import Invalid

    with pytest.raises(Invalid):
        services.archive(None, kind="x", generated=kinds.Generated(title="空", period="2026-03"))
