"""Each case event reaches the notification centre with its kind, so preferences can filter it."""
import datetime as dt

import pytest
from cases_helpers import run_to

from chengyun.cases import services
from chengyun.cases import workflow as W
from chengyun.core.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def test_a_public_report_tells_the_acceptors_desk(file_case, crew):
    case = file_case(source="public")
    for who in ("acceptor", "shift"):
        n = Notification.objects.get(recipient=crew[who], kind="public_report")
        assert case.number in n.title and n.url == case.get_absolute_url()
    assert not Notification.objects.filter(recipient=crew["dispatcher"], kind="public_report").exists()
    file_case()  # a grid worker's own report needs no alert
    assert Notification.objects.filter(kind="public_report").count() == 2


def test_the_acceptor_who_switched_public_reports_off_is_not_told(file_case, crew):
    NotificationPreference.objects.create(user=crew["acceptor"], kind="public_report", in_app=False, email=False, webhook=False)
    file_case(source="public")
    assert not Notification.objects.filter(recipient=crew["acceptor"]).exists()
    assert Notification.objects.filter(recipient=crew["shift"], kind="public_report").exists()


def test_dispatch_deadline_and_overdue_have_their_kinds(file_case, crew, photo):
    case = run_to(file_case(), W.DISPATCHED, crew, photo)
    assert Notification.objects.filter(recipient=crew["handler"], kind="case_assigned", title__contains=case.number).exists()
    services.refresh_clocks(case.stage_warning_at + dt.timedelta(seconds=1))
    assert Notification.objects.filter(recipient=crew["handler"], kind="deadline_near").count() == 1
    services.refresh_clocks(case.stage_deadline + dt.timedelta(minutes=1))
    assert Notification.objects.filter(recipient=crew["shift"], kind="escalation").count() == 1
