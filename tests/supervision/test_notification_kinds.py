"""Supervision's reminders, escalations, decisions and the evening brief carry their notification kinds."""
import datetime as dt

from django.utils import timezone

from chengyun.core.models import Notification, NotificationPreference
from chengyun.people import roles as R
from chengyun.people.models import Person
from chengyun.supervision import services

DAY = dt.date(2026, 3, 10)


def at(day, hh, mm=0):
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hh, mm))


def test_reminder_escalation_decision_and_brief_kinds(road_task, ops, handler_d01, make_user, units, fixed_today):
    leader = make_user(R.DISTRICT_LEADER, unit="OPS")
    d02 = make_user(R.DEPT_HANDLER, unit="D02")
    services.update_task(ops, road_task, responsible_leader=Person.objects.get(user=leader))
    services.send_cutoff_reminders(DAY)
    assert Notification.objects.get(recipient=handler_d01).kind == "daily_entry"
    meeting = services.create_meeting(ops, date=DAY)
    services.add_decision(ops, meeting, text="住建局提供管线资料", owner_unit=units["D02"], deadline=dt.date(2026, 3, 20))
    assert Notification.objects.get(recipient=d02).kind == "decision_assigned"
    assert "brief" in services.tick(at(DAY, 18, 5))
    assert Notification.objects.filter(recipient=ops, kind="report_ready").exists()
    fixed_today(dt.date(2026, 4, 2))
    services.refresh_all(dt.date(2026, 4, 2))
    services.escalate_overdue(dt.date(2026, 4, 2))
    assert Notification.objects.get(recipient=leader).kind == "escalation"


def test_a_unit_that_switched_reminders_off_gets_none(road_task, ops, handler_d01):
    NotificationPreference.objects.create(user=handler_d01, kind="daily_entry", in_app=False, email=False, webhook=False)
    assert services.send_cutoff_reminders(DAY) == 0
    assert not Notification.objects.filter(recipient=handler_d01).exists()
