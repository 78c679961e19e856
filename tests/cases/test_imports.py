import datetime as dt

import pytest
from cases_helpers import G1, G2, G_OTHER
from support import grid_center

from chengyun.cases import services
from chengyun.cases import workflow as W
from chengyun.cases.models import Case, CaseEvent, DroneFlight
from chengyun.core.errors import Forbidden, Invalid

pytestmark = pytest.mark.django_db


def flight(fid="F20261125-01", extra=()):
    x1, y1 = grid_center(G1)
    x2, y2 = grid_center(G_OTHER)
    dets = [
        {"id": "d1", "lng": x1, "lat": y1, "category_code": "0110", "confidence": 0.91, "image": "f1/0001.jpg", "time": "2026-11-25T10:00:00+08:00"},
        {"id": "d2", "lng": x1 + 0.0001, "lat": y1, "category_code": "0110", "confidence": 0.87, "image": "f1/0002.jpg"},  # ≈ 9 m from d1
        {"id": "d3", "lng": x2, "lat": y2, "category_code": "0182", "confidence": 0.66},
        {"id": "d4", "lng": 90.0, "lat": 20.0, "category_code": "0110", "confidence": 0.5},  # outside the district
        *extra,
    ]
    return {"flight_id": fid, "detections": dets}


def test_drone_batch_is_located_deduplicated_and_waits_for_verification(crew):
    res = services.import_drone_flight(crew["drone"], flight())
    assert (res.detections, res.created, res.duplicates, res.outside) == (4, 2, 1, 0 + 1)
    cases = {c.external_id: c for c in Case.objects.filter(source="drone")}
    assert set(cases) == {"F20261125-01:d1", "F20261125-01:d3"}
    c1 = cases["F20261125-01:d1"]
    assert c1.status == W.VERIFYING and c1.needs_verification and c1.grid.code == G1 and c1.extra["detections"] == ["d1", "d2"]
    assert c1.occurred_at == dt.datetime.fromisoformat("2026-11-25T10:00:00+08:00")
    assert c1.stage_deadline is not None and c1.suggested_unit is not None
    assert list(c1.events.values_list("action", flat=True)) == ["report", "send_verify"]
    # The grid worker verifies it like any other public report.
    case = services.transition(crew["grid"], c1, "verify", verified=True, note="属实")
    assert case.status == W.ACCEPTED


def test_same_flight_twice_changes_nothing(crew):
    first = services.import_drone_flight(crew["drone"], flight())
    counts = (Case.objects.count(), CaseEvent.objects.count())
    again = services.import_drone_flight(crew["drone"], flight())
    assert again.already_imported and (again.created, again.duplicates) == (first.created, first.duplicates)
    assert sorted(again.case_numbers) == sorted(first.case_numbers)
    assert (Case.objects.count(), CaseEvent.objects.count()) == counts
    assert DroneFlight.objects.count() == 1


def test_drone_detections_merge_into_open_cases(crew, file_case):
    existing = file_case(code="0110")
    res = services.import_drone_flight(crew["drone"], flight("F2"))
    assert res.created == 1 and res.duplicates == 2
    existing.refresh_from_db()
    assert existing.reporter_count == 3
    assert existing.events.filter(action="duplicate_report").exists()


def test_bad_detections_refuse_the_whole_flight(crew):
    bad = flight("F3", extra=[{"id": "d9", "lng": "east", "lat": 1, "category_code": "0110"},
                               {"id": "d10", "lng": 101.7, "lat": 36.5, "category_code": "7777"},
                               {"id": "d11", "lng": 101.7, "lat": 36.5, "category_code": "0110", "confidence": 3}])
    with pytest.raises(Invalid) as e:
        services.import_drone_flight(crew["drone"], bad)
    assert e.value.code == "bad_detections" and len(e.value.detail) == 3
    assert "detections[4]" in e.value.detail[0] and "detections[5]" in e.value.detail[1]
    assert Case.objects.count() == 0 and DroneFlight.objects.count() == 0
    with pytest.raises(Forbidden):
        services.import_drone_flight(crew["grid"], flight("F4"))


def test_drone_api(api_client, crew):
    r = api_client.as_user(crew["drone"]).post("cases/drone-flights", flight("F5"))
    assert r.status_code == 200 and r.json()["created"] == 2
    r = api_client.post("cases/drone-flights", flight("F5"))
    assert r.json()["already_imported"] is True


HOTLINE_HEADER = "工单编号,受理时间,诉求内容,地址,经度,纬度,小类代码,类型,来电人,联系电话\n"


def hotline_csv(rows):
    return (HOTLINE_HEADER + "\n".join(rows) + "\n").encode("utf-8")


def test_hotline_import_and_reimport(crew):
    x, y = grid_center(G1)
    x2, y2 = grid_center(G2)
    data = hotline_csv([f"GD001,2026-11-20 09:30,楼下小广告很多,幸福路 3 号,{x},{y},0201,事件,李女士,13800000001",
                        f"GD002,2026-11-20 10:00,井盖丢了,光明路口,{x2},{y2},0101,部件,王先生,13800000002"])
    rep = services.import_hotline(crew["acceptor"], data, "12345.csv")
    assert rep.ok and len(rep.created) == 2
    c = Case.objects.get(external_id="GD002")
    assert c.source == "hotline" and c.category.name == "上水井盖" and c.needs_verification and c.reporter_phone == "13800000002"
    assert c.occurred_at.isoformat() == "2026-11-20T02:00:00+00:00"
    rep = services.import_hotline(crew["acceptor"], data, "12345.csv")
    assert rep.created == [] and rep.skipped == ["GD001", "GD002"]
    assert Case.objects.count() == 2


def test_hotline_row_errors_import_nothing(crew):
    x, y = grid_center(G1)
    data = hotline_csv([f"GD010,2026-11-20 09:30,正常一条,路,{x},{y},0201,事件,,",
                        f"GD011,昨天,时间错,路,{x},{y},0201,事件,,",
                        f"GD012,2026-11-20 09:30,类别错,路,{x},{y},9999,事件,,",
                        "GD013,2026-11-20 09:30,区外,路,90.0,20.0,0201,事件,,",
                        f"GD014,2026-11-20 09:30,,路,{x},{y},0201,事件,,"])
    rep = services.import_hotline(crew["acceptor"], data, "x.csv")
    assert not rep.ok and Case.objects.count() == 0
    joined = "\n".join(rep.errors)
    assert "第 3 行：“受理时间”" in joined and "第 4 行：“小类代码”不存在" in joined and "第 5 行：“经度/纬度”" in joined and "第 6 行：“诉求内容”不能为空" in joined


def test_hotline_xlsx_and_permissions(crew, client):
    import io

    import openpyxl

    x, y = grid_center(G1)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HOTLINE_HEADER.strip().split(","))
    ws.append(["GD100", dt.datetime(2026, 11, 21, 8, 15), "路灯不亮", "新华路", x, y, "0137", "部件", "赵", "139"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(Forbidden):
        services.import_hotline(crew["grid"], buf.getvalue(), "h.xlsx")
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(crew["acceptor"])
    r = client.post("/api/v1/cases/hotline-imports", {"file": SimpleUploadedFile("h.xlsx", buf.getvalue())})
    assert r.status_code == 200, r.content
    assert Case.objects.get(external_id="GD100").category.name == "路灯"


def test_cli_commands(tmp_path, crew):
    import json as _json

    from django.core.management import CommandError, call_command

    x, y = grid_center(G1)
    (tmp_path / "f.json").write_text(_json.dumps(flight("CLI-1")), encoding="utf-8")
    call_command("cases", "drone-import", str(tmp_path / "f.json"))
    call_command("cases", "drone-import", str(tmp_path / "f.json"))
    assert DroneFlight.objects.count() == 1 and Case.objects.filter(source="drone").count() == 2
    (tmp_path / "h.csv").write_bytes(hotline_csv([f"GD900,2026-11-20 09:30,占道经营,路,{x},{y},0406,事件,,"]))
    call_command("cases", "hotline-import", str(tmp_path / "h.csv"))
    assert Case.objects.filter(source="hotline").count() == 1
    (tmp_path / "bad.csv").write_bytes(hotline_csv([f"GD901,2026-11-20 09:30,占道经营,路,{x},{y},0000,事件,,"]))
    with pytest.raises(CommandError):
        call_command("cases", "hotline-import", str(tmp_path / "bad.csv"))
    call_command("cases", "standard-export", str(tmp_path / "std.xlsx"))
    call_command("cases", "standard-import", str(tmp_path / "std.xlsx"), "--dry-run")
    call_command("cases", "refresh-clocks")
