"""Is this allowed here, now? Across a window's edges, past midnight, a holiday override, a
tourist season and a season's end; zones; permits through their state table; three strikes."""
import datetime as dt

import pytest
from streets_support import Y, at

from chengyun.core.errors import Conflict, Invalid

pytestmark = pytest.mark.django_db
INSIDE = (101.709, Y)  # in 湟水路商圈, far from the school gate at 101.704
TOURIST = (101.727, Y)


def ask(point, when, activity="outdoor_dining"):
    from chengyun.streets.services import night

    return night.check(point[0], point[1], when, activity)


def failed(result):
    return [r.code for r in result.rules if not r.passed]


def test_window_edges(night):
    # Monday 2026-09-07, in season: 17:00–22:30, start included and end excluded.
    assert not ask(INSIDE, at(2026, 9, 7, 16, 59)).allowed
    assert ask(INSIDE, at(2026, 9, 7, 17, 0)).allowed
    assert ask(INSIDE, at(2026, 9, 7, 22, 29)).allowed
    late = ask(INSIDE, at(2026, 9, 7, 22, 30))
    assert not late.allowed and failed(late) == ["time_window"]
    assert "17:00–22:30" in late.deciding.text
    # A window to 24:00 runs to the end of the day.
    assert ask(INSIDE, at(2026, 9, 7, 23, 59), "barbecue").allowed
    assert not ask(INSIDE, at(2026, 9, 8, 0, 0), "barbecue").allowed


def test_a_window_past_midnight_belongs_to_the_evening_before(night):
    # Tourist season (July–August): night market 18:00–02:00.
    assert ask(TOURIST, at(2026, 8, 31, 23, 0), "night_market").allowed
    assert ask(TOURIST, at(2026, 9, 1, 1, 59), "night_market").allowed  # the night of Aug 31
    assert not ask(TOURIST, at(2026, 9, 1, 2, 0), "night_market").allowed
    # Sept 1 evening: the tourist season is over, the regular window ends at 22:00.
    assert ask(TOURIST, at(2026, 9, 1, 21, 59), "night_market").allowed
    assert not ask(TOURIST, at(2026, 9, 1, 23, 0), "night_market").allowed
    assert not ask(TOURIST, at(2026, 9, 2, 1, 0), "night_market").allowed


def test_holiday_override(night):
    # 2026-10-02 is a National Day holiday: the holiday window (to 24:00) replaces the regular one.
    holiday = ask(INSIDE, at(2026, 10, 2, 23, 0))
    assert holiday.allowed and holiday.day_type == "holiday"
    # The same hour on an ordinary Friday is refused.
    assert not ask(INSIDE, at(2026, 10, 16, 23, 0)).allowed
    # A weekend is not a statutory holiday.
    assert ask(INSIDE, at(2026, 10, 17, 23, 0)).day_type == "regular"


def test_holiday_made_a_working_day_by_the_district_calendar(night, make_user):
    from chengyun.core.calendar import set_override

    set_override(None, dt.date(2026, 10, 2), True, "调整")
    assert not ask(INSIDE, at(2026, 10, 2, 23, 0)).allowed


def test_season_end(night):
    assert ask(INSIDE, at(2026, 10, 31, 20, 0)).allowed
    out = ask(INSIDE, at(2026, 11, 1, 20, 0))
    assert not out.allowed and failed(out) == ["season"]
    assert "04-10 至 10-31" in out.deciding.text


def test_zones_and_activities(night):
    school = ask((101.704, Y), at(2026, 9, 7, 18, 0))
    assert not school.allowed and school.zone.code == "X1" and "湟水路小学门口" in school.deciding.text
    nowhere = ask((101.716, Y), at(2026, 9, 7, 18, 0))
    assert not nowhere.allowed and failed(nowhere) == ["policy_area"]
    perform = ask(INSIDE, at(2026, 9, 7, 20, 0), "performance")
    assert failed(perform) == ["activity"]
    assert ask(INSIDE, at(2026, 9, 7, 23, 0)).noise == {"class": "2", "label": "2类（商业金融、集市贸易为主或混杂区）", "period": "night", "limit_db": 50}
    with pytest.raises(Invalid):
        ask(INSIDE, at(2026, 9, 7, 20, 0), "fireworks")


def test_check_endpoint(night, make_user, api_client):
    api_client.as_user(make_user("ops_grid_worker", grids=["630109001001001"]))
    r = api_client.get("streets/night/check", {"lng": 101.704, "lat": Y, "at": "2026-09-07T18:00:00+08:00", "activity": "outdoor_dining"})
    assert r.status_code == 200
    body = r.json()
    assert body["allowed"] is False and body["zone"]["name"] == "湟水路小学门口" and body["policy"]["code"] == "BD1"
    assert body["rules"][0] == {"code": "zone_forbidden", "passed": False, "text": "位于严禁区域“湟水路小学门口”内（中小学校门口两侧 100 米）"}
    r = api_client.get("streets/night/check", {"lng": 101.709, "lat": Y, "activity": "fireworks"})
    assert r.status_code == 422 and r.json()["code"] == "unknown_activity" and r.json()["detail"]["field"] == "activity"
    r = api_client.get("streets/night/check", {"lng": "east", "lat": Y, "activity": "barbecue"})
    assert 400 <= r.status_code < 500


def _spot(x, depth=0.00002):
    return {"type": "Polygon", "coordinates": [[[x, Y + 0.0002], [x + 0.00006, Y + 0.0002], [x + 0.00006, Y + 0.0002 + depth],
                                                [x, Y + 0.0002 + depth], [x, Y + 0.0002]]]}


@pytest.fixture
def shop(night, streets):
    from chengyun.streets.services import permits

    return permits.create_shop(None, code="SH1", name="马记牛肉面", lng=101.709, lat=Y + 0.0002, policy_obj=night.bd)


def test_permit_over_a_forbidden_zone_is_refused_with_the_zone_named(night, shop, api_client, streets):
    r = api_client.as_user(streets.chief1).post("streets/night/permits", {
        "shop": "SH1", "policy": "BD1", "area_m2": 12, "tables": 3, "depth_m": 2.5, "passage_m": 2.5, "geometry": _spot(101.704)})
    assert r.status_code == 422 and r.json()["code"] == "forbidden_zone" and "湟水路小学门口" in r.json()["message"]
    r = api_client.post("streets/night/permits", {"shop": "SH1", "policy": "BD1", "area_m2": 12, "tables": 3, "depth_m": 2.5, "passage_m": 1.5,
                                                  "geometry": _spot(101.709)})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "passage_m" and "2.0 米" in r.json()["message"]
    r = api_client.post("streets/night/permits", {"shop": "SH1", "policy": "BD1", "area_m2": 12, "tables": 3, "depth_m": 2.5, "passage_m": 2.5,
                                                  "tactile_m": 0.3, "geometry": _spot(101.709)})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "tactile_m"
    from chengyun.streets.models import Permit

    assert not Permit.objects.exists()
    r = api_client.post("streets/night/permits", {"shop": "SH1", "policy": "BD1", "area_m2": 12, "tables": 3, "depth_m": 2.5, "passage_m": 2.5,
                                                  "geometry": _spot(101.709)})
    assert r.status_code == 201 and r.json()["state"] == "applied"
    # Street 2's chief cannot see it; street 1's may review it; approval is the district's.
    assert api_client.as_user(streets.chief2).post(f"streets/night/permits/{r.json()['number']}/review", {}).status_code == 404
    assert api_client.as_user(streets.chief1).post(f"streets/night/permits/{r.json()['number']}/approve", {}).status_code in (403, 409)


def test_permit_workflow_publicity_and_three_strikes(night, shop, streets):
    from chengyun.streets import permit_workflow as wf
    from chengyun.streets.models import Violation
    from chengyun.streets.services import patrols, permits

    p = permits.apply(None, shop=shop, policy_obj=night.bd, area_m2=12, tables=3, depth_m=2.5, passage_m=2.5, geometry=_spot(101.709),
                      applied_at=at(2026, 4, 1, 10))
    with pytest.raises(Conflict):
        permits.transition(streets.ops, p, "approve", at=at(2026, 4, 2))
    permits.transition(streets.chief1, p, "review", at=at(2026, 4, 2, 10))
    # 7 working days from the next working day (Fri 3 Apr; 4–6 Apr is 清明 holiday) end on Tue 14 Apr.
    assert p.publicity_until == dt.date(2026, 4, 14)
    with pytest.raises(Conflict):
        permits.transition(streets.ops, p, "approve", at=at(2026, 4, 14, 16))
    with pytest.raises(Invalid):
        permits.transition(streets.ops, p, "object", at=at(2026, 4, 14, 16))  # a reason is required
    permits.transition(streets.ops, p, "approve", at=at(2026, 4, 15, 9))
    assert p.state == wf.APPROVED and p.valid_to == dt.date(2026, 10, 31)
    patrol = patrols.start(streets.chief1)
    # 23:00 on a Monday: past the 22:30 window — the violation cites the window.
    v1 = permits.report_night_violation(streets.chief1, patrol, lng=101.709, lat=Y + 0.0002, activity="outdoor_dining", shop=shop,
                                        description="", found_at=at(2026, 9, 7, 23, 0))
    assert v1.rule_code == "time_window" and v1.case_number and "17:00–22:30" in v1.rule_text
    # Inside the window the check allows it: only an observed breach of the permit counts.
    with pytest.raises(Invalid):
        permits.report_night_violation(streets.chief1, patrol, lng=101.709, lat=Y + 0.0002, activity="outdoor_dining", shop=shop,
                                       description="", found_at=at(2026, 9, 8, 19, 0))
    permits.report_night_violation(streets.chief1, patrol, lng=101.709, lat=Y + 0.0002, activity="outdoor_dining", shop=shop, rule_code="passage",
                                   description="桌椅占满人行道", found_at=at(2026, 9, 8, 19, 0))
    p.refresh_from_db()
    assert p.state == wf.APPROVED and permits.strikes(shop, 2026) == 2
    permits.report_night_violation(streets.chief1, patrol, lng=101.709, lat=Y + 0.0002, activity="barbecue", shop=shop,
                                   description="", found_at=at(2026, 9, 9, 19, 0))
    p.refresh_from_db()
    assert p.state == wf.REVOKED and "3 次" in p.note
    assert list(Violation.objects.order_by("found_at").values_list("rule_code", flat=True)) == ["time_window", "passage", "time_window"]
