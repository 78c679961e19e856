"""The problem ledger: generated from failing values (idempotent), inspected findings, filters,
case / key task, yearly re-check — closing only on an accepted remedy."""
from __future__ import annotations

import io

import pytest

from chengyun.cases import workflow as case_workflow
from chengyun.cases.models import Case
from chengyun.core.errors import Conflict, Forbidden, Invalid
from chengyun.core.models import AuditEntry
from chengyun.geo import compounds
from chengyun.people import roles as R
from chengyun.renewal import services, workflow
from chengyun.renewal.models import Problem
from chengyun.renewal.services import indicators, ledger, measurements
from support import DIVISION

C11, C12, C21 = f"{DIVISION}001001", f"{DIVISION}001002", f"{DIVISION}002001"


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 80, 40)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def year_2025(office, units):
    s = indicators.load_national_set(office, 2025)
    ind = s.indicators.get(code="IND-HOUSE-003")
    for code, value in ((C11, 3), (C12, 0), (C21, 1)):
        measurements.record(office, ind, unit_kind="community", unit_code=code, value=value)
    measurements.record(office, ind, unit_kind="district", unit_code=DIVISION, value=4)
    return s


def test_generate_problems_from_failing_values_at_the_finest_unit_idempotently(year_2025, office):
    result = ledger.generate_from_measurements(office, 2025)
    assert result == {"failing": 2, "created": 2, "existing": 0}
    problems = {p.community.code: p for p in Problem.objects.all()}
    assert set(problems) == {C11, C21}  # the district-wide value is not a problem of its own
    p = problems[C11]
    assert p.origin == "indicator" and p.state == workflow.PENDING and p.responsible_unit.code == "D02"
    assert p.title.startswith("第1街道第1社区：存在楼道安全隐患的住宅数量 3栋") and p.code.startswith("TJ2025-")
    assert str(p.deadline) == "2026-12-31"
    assert ledger.generate_from_measurements(office, 2025) == {"failing": 2, "created": 0, "existing": 2}
    assert Problem.objects.count() == 2
    assert AuditEntry.objects.filter(object_type="renewal.problem", verb="generate_problems").count() == 2


def test_only_the_office_generates(year_2025, make_user):
    with pytest.raises(Forbidden):
        ledger.generate_from_measurements(make_user(R.DEPT_HANDLER, unit="D01"), 2025)


def test_finding_from_the_checklist_in_own_area_with_photo(year_2025, make_user):
    admin = make_user(R.SYSADMIN)
    comp = compounds.create_compound(admin, code="XQ001", name="幸福小区", community=C11, lng=101.705, lat=36.505)
    worker = make_user(R.COMMUNITY_GRID_WORKER, unit="S01", communities=[C11])
    p = ledger.create_finding(worker, year=2025, problem_type="飞线充电", compound="XQ001", building="3", photos=[_jpeg()])
    assert p.indicator.code == "IND-COMM-008" and p.location_kind == "building" and p.compound == comp
    assert p.community.code == C11 and p.photos.count() == 1
    with pytest.raises(Invalid) as e:
        ledger.create_finding(worker, year=2025, problem_type="乱贴小广告", compound="XQ001")
    assert e.value.detail == {"field": "problem_type"}
    with pytest.raises(Forbidden):
        ledger.create_finding(worker, year=2025, problem_type="楼道堆物", lng=101.725, lat=36.505)  # 第2街道
    with pytest.raises(Invalid) as e:
        ledger.create_finding(worker, year=2025, problem_type="楼道堆物", lng=101.705, lat=36.505, photos=[b"not an image"])
    assert e.value.detail == {"field": "photos"}
    assert Problem.objects.count() == 1


def test_filters_are_the_same_for_page_and_api(year_2025, office, api_client, client):
    ledger.generate_from_measurements(office, 2025)
    r = api_client.as_user(office).get("renewal/problems", {"street": f"{DIVISION}002", "year": 2025})
    assert [p["community"] for p in r.json()["results"]] == [C21]
    r = api_client.get("renewal/problems", {"dimension": "housing", "state": "pending"})
    assert r.json()["count"] == 2
    page = client.get("/renewal/problems/", {"street": f"{DIVISION}002"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "第2街道第1社区" in text and "第1街道第1社区：" not in text


def test_area_people_see_only_their_problems(year_2025, office, make_user, api_client):
    ledger.generate_from_measurements(office, 2025)
    chief = make_user(R.STREET_CHIEF, unit="S01", streets=[f"{DIVISION}001"])
    r = api_client.as_user(chief).get("renewal/problems")
    assert [p["community"] for p in r.json()["results"]] == [C11]
    other = Problem.objects.get(community__code=C21)
    assert api_client.get(f"renewal/problems/{other.id}").status_code == 404
    assert api_client.post(f"renewal/problems/{other.id}/start", {"note": ""}).status_code == 404


def test_to_case_links_an_accepted_case_and_recheck_next_year_closes(year_2025, office, make_user, units):
    ledger.generate_from_measurements(office, 2025)
    p = Problem.objects.get(community__code=C11)
    with pytest.raises(Invalid):
        ledger.to_case(office, p, category_code="0113")  # an area problem has no point
    p.lng, p.lat = 101.705, 36.505
    p.save()
    case = ledger.to_case(office, p, category_code="0113")
    assert case.source == "healthcheck" and case.external_id == p.code
    p.refresh_from_db()
    assert p.state == workflow.IN_PROGRESS and p.remedies.get().case == case
    assert ledger.to_case(office, p, category_code="0113") == case  # once per problem
    Case.objects.filter(pk=case.pk).update(status=case_workflow.CLOSED)
    services.accept_remedy(office, p.remedies.get())
    # 2026: still failing → stays 待复核; then it passes → 已销号.
    s26 = indicators.load_national_set(office, 2026)
    ind26 = s26.indicators.get(code="IND-HOUSE-003")
    measurements.record(office, ind26, unit_kind="community", unit_code=C11, value=1)
    assert ledger.recheck_by_measurements(office, 2026) == {"closed": 0, "still_failing_or_unmeasured": 1}
    measurements.record(office, ind26, unit_kind="community", unit_code=C11, value=0)
    assert ledger.recheck_by_measurements(office, 2026) == {"closed": 1, "still_failing_or_unmeasured": 0}
    p.refresh_from_db()
    assert p.state == workflow.CLOSED
    assert p.events.order_by("id").last().note.startswith("2026 年复核")


def test_recheck_never_closes_without_an_accepted_remedy(year_2025, office):
    ledger.generate_from_measurements(office, 2025)
    p = Problem.objects.get(community__code=C11)
    services.link_remedy(office, p, project_key="renewal.project:3")
    s26 = indicators.load_national_set(office, 2026)
    measurements.record(office, s26.indicators.get(code="IND-HOUSE-003"), unit_kind="community", unit_code=C11, value=0)
    assert ledger.recheck_by_measurements(office, 2026)["closed"] == 0
    p.refresh_from_db()
    assert p.state == workflow.IN_PROGRESS


def test_to_key_task_by_the_ops_centre(year_2025, office, make_user):
    ledger.generate_from_measurements(office, 2025)
    p = Problem.objects.get(community__code=C11)
    with pytest.raises(Forbidden):
        ledger.to_key_task(make_user(R.STREET_CHIEF, unit="S01", streets=[f"{DIVISION}001"]), p)
    leader = make_user(R.OPS_SHIFT_LEADER)
    task = ledger.to_key_task(leader, p)
    p.refresh_from_db()
    assert p.supervision_task == task.code and task.source == "checkup" and task.category.code == "checkup"
    assert task.links.get().kind == "renewal.problem" and task.links.get().code == p.code
    with pytest.raises(Conflict):
        ledger.to_key_task(leader, p)


def test_problem_api_flow(year_2025, office, api_client):
    r = api_client.as_user(office).post("renewal/problems/generate", {"year": 2025})
    assert r.json()["created"] == 2
    pid = Problem.objects.get(community__code=C11).id
    r = api_client.post(f"renewal/problems/{pid}/remedies", {"project_key": "renewal.project:12"})
    assert r.status_code == 201
    rid = r.json()["id"]
    assert api_client.post(f"renewal/problems/{pid}/close", {}).status_code == 409
    assert api_client.post(f"renewal/remedies/{rid}/accept").json()["accepted"] is True
    assert api_client.post(f"renewal/remedies/{rid}/accept").status_code == 409
    r = api_client.post(f"renewal/problems/{pid}/return", {"note": ""})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "note"
    assert api_client.post(f"renewal/problems/{pid}/close", {"note": "复核通过"}).json()["state"] == workflow.CLOSED


def test_case_task_and_photo_endpoints(year_2025, office, make_user, api_client, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ledger.generate_from_measurements(office, 2025)
    p = Problem.objects.get(community__code=C11)
    Problem.objects.filter(pk=p.pk).update(lng=101.705, lat=36.505)
    r = api_client.as_user(office).post(f"renewal/problems/{p.id}/case", {"category_code": "0136"})
    assert r.status_code == 201
    case = Case.objects.get(number=r.json()["case"])
    assert case.source == "healthcheck"
    assert AuditEntry.objects.filter(object_type="renewal.problemremedy", action="create").exists()
    r = api_client.post(f"renewal/problems/{p.id}/task", {})
    assert r.status_code == 403  # the office is not the ops centre
    leader = make_user(R.DISTRICT_LEADER)
    r = api_client.as_user(leader).post(f"renewal/problems/{p.id}/task", {"lead_unit": "D02"})
    assert r.status_code == 201 and r.json()["task"].startswith("DB")
    client.force_login(office)
    r = client.post(f"/api/v1/renewal/problems/{p.id}/photos", {"files": [SimpleUploadedFile("a.jpg", _jpeg(), "image/jpeg")]})
    assert r.status_code == 201 and p.photos.count() == 1
    assert AuditEntry.objects.filter(object_type="renewal.problemphoto", action="create").count() == 1
    outsider = make_user(R.COMMUNITY_GRID_WORKER, unit="S02", communities=[C21])
    client.force_login(outsider)
    r = client.post(f"/api/v1/renewal/problems/{p.id}/photos", {"files": [SimpleUploadedFile("a.jpg", _jpeg(), "image/jpeg")]})
    assert r.status_code == 404 and p.photos.count() == 1
