"""Changing a section's target class re-judges its compliance history (issue 17, wave 1): the
aggregates, the alerts raised under the old target, the audit entry, and the background job a
long history goes to."""
import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from chengyun.core.models import AuditEntry
from chengyun.water import services
from chengyun.water.models import Aggregate, Alert, Section

CN = dt.timezone(dt.timedelta(hours=8))
CLASS_IV = {"w01018": 25.0}  # COD 25 mg/L: class Ⅳ
CLASS_III = {"w01018": 18.0}  # class Ⅲ


@pytest.fixture
def ops(make_user):
    return make_user("ops_dispatcher")


@pytest.fixture
def ops_client(client, ops):
    client.force_login(ops)
    return client


def _hours(code="WQ01"):
    return {a.start: a.compliant for a in Aggregate.objects.filter(site_kind="section", site_code=code, period="hour")}


def _rejudge_entry(section):
    return AuditEntry.objects.filter(object_type="water.section", object_id=str(section.pk), verb="rejudge_target").get()


def test_a_looser_target_rejudges_the_history_and_closes_the_alert(water, feed, ops, api_client):
    now = timezone.now().astimezone(CN).replace(minute=0, second=0, microsecond=0)
    old = now - dt.timedelta(days=20)
    feed(water.device, old, CLASS_IV)
    feed(water.device, now - dt.timedelta(hours=2), CLASS_IV)
    feed(water.device, now - dt.timedelta(hours=1), {"w01018": 12.0})
    assert _hours()[old] is False
    alert = Alert.objects.get(kind=Alert.Kind.TARGET_EXCEEDED, open_key__isnull=False)

    r = api_client.as_user(ops).patch("water/sections/WQ01", {"target_class": 4})
    assert r.status_code == 200, r.content
    assert r.json()["rejudge_pending"] is False
    hours = _hours()
    assert hours[old] is True and hours[now - dt.timedelta(hours=2)] is True, "the old hours are judged by the new target"
    day = Aggregate.objects.get(site_kind="section", site_code="WQ01", period="day", start=old.replace(hour=0))
    assert (day.target_class, day.compliant) == (4, True)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DISPOSED and alert.open_key is None and "Ⅳ" in alert.disposal_note
    entry = _rejudge_entry(water.section)
    assert entry.before == {"target_class": 3}
    assert entry.after["target_class"] == 4 and entry.after["hours"] == 3 and entry.after["hours_changed"] == 2
    assert entry.after["days"] == 2 and entry.after["alerts_closed"] == [alert.pk] and entry.after["alerts_raised"] == []
    assert entry.actor_id == ops.pk


def test_a_stricter_target_raises_only_for_recent_exceedances(water, feed, ops):
    now = timezone.now().astimezone(CN).replace(minute=0, second=0, microsecond=0)
    old = now - dt.timedelta(days=30)
    feed(water.device, old, CLASS_III)
    feed(water.device, now - dt.timedelta(hours=3), CLASS_III)
    assert not Alert.objects.exists()
    # A disposed alert of last year stays as it was.
    feed(water.device, old - dt.timedelta(days=300), {"w01018": 35.0})
    disposed = Alert.objects.get()
    services.dispose_alert(ops, disposed, disposal_note="已整改")

    services.update_site(ops, Section.objects.get(code="WQ01"), target_class=2)
    hours = _hours()
    assert hours[old] is False and hours[now - dt.timedelta(hours=3)] is False
    open_alert = Alert.objects.get(open_key__isnull=False)
    assert open_alert.kind == Alert.Kind.TARGET_EXCEEDED and open_alert.first_seen_at == now - dt.timedelta(hours=3)
    assert open_alert.occurrences == 1, "the month-old exceedance is in the compliance, not in a new alert"
    disposed.refresh_from_db()
    assert disposed.status == Alert.Status.DISPOSED and disposed.disposal_note == "已整改"
    entry = _rejudge_entry(water.section)
    assert entry.after["alerts_raised"] == [open_alert.pk] and entry.after["hours_changed"] == 2


def test_the_page_form_rejudges_too(water, feed, ops_client):
    t = timezone.now().astimezone(CN).replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=3)
    feed(water.device, t, CLASS_IV)
    r = ops_client.post("/water/sections/WQ01/", {"name": "北川河桥断面", "target_class": "4", "chief": "", "reach": "", "active": "1"})
    assert r.status_code == 302
    assert _hours()[t] is True
    assert _rejudge_entry(water.section).after["hours_changed"] == 1


def test_same_target_rejudges_nothing(water, feed, ops):
    feed(water.device, dt.datetime(2026, 11, 1, 10, tzinfo=CN), CLASS_IV)
    services.update_site(ops, Section.objects.get(code="WQ01"), target_class=3, name="北川河新桥断面")
    assert not AuditEntry.objects.filter(verb__startswith="rejudge").exists()


@override_settings(WATER_ALERT_RULES={"rejudge_inline_hours": 2})
def test_a_long_history_goes_to_a_job_and_shows_pending(water, feed, ops, api_client, django_capture_on_commit_callbacks):
    base = dt.datetime(2026, 10, 1, 8, tzinfo=CN)
    for k in range(3):
        feed(water.device, base + dt.timedelta(hours=k), CLASS_IV)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = api_client.as_user(ops).patch("water/sections/WQ01", {"target_class": 4})
    assert r.json()["rejudge_pending"] is True
    assert api_client.as_user(ops).get("water/sections/WQ01").json()["rejudge_pending"] is True
    client = api_client.as_user(ops)  # the page says so too
    assert set(_hours().values()) == {False}, "nothing re-judged before the job runs"
    assert AuditEntry.objects.filter(verb="rejudge_target_queued").get().after == {"target_class": 4, "hours": 3}
    assert len(callbacks) == 1
    callbacks[0]()  # the job, run at once in immediate mode
    assert set(_hours().values()) == {True}
    assert Section.objects.get(code="WQ01").rejudge_pending is False
    entry = _rejudge_entry(water.section)
    assert entry.source == "job" and entry.actor_id == ops.pk and entry.after["hours"] == 3
    assert client.get("water/sections/WQ01").json()["rejudge_pending"] is False


def test_the_section_page_shows_a_pending_rejudgement(water, ops_client):
    Section.objects.filter(pk=water.section.pk).update(rejudge_pending=True)
    html = ops_client.get("/water/sections/WQ01/").content.decode()
    assert 'data-testid="rejudge-pending"' in html and "正在按新目标复核" in html
