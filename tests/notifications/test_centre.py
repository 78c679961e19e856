"""The notification centre: kinds, preferences by kind and channel, digest mode, the inbox and its API."""
from __future__ import annotations

import pytest

from chengyun.core import notify as notify_mod
from chengyun.core.models import Notification, NotificationPreference
from chengyun.core.notify import notify
from chengyun.core.tasks import bundle_digests
from chengyun.people import roles as R

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Configure email and webhook channels and record what each one is handed."""
    calls: list[tuple[str, int]] = []
    monkeypatch.setenv("CHENGYUN_NOTIFY_CHANNELS", "chengyun.core.channels.email,chengyun.core.channels.webhook")
    monkeypatch.setattr("chengyun.core.channels.email", lambda n: calls.append(("email", n.pk)))
    monkeypatch.setattr("chengyun.core.channels.webhook", lambda n: calls.append(("webhook", n.pk)))
    return calls


def test_notify_keeps_its_old_signature_and_records_the_kind(make_user):
    u = make_user(R.OPS_ACCEPTOR)
    [old] = notify([u], "旧调用")
    [new] = notify([u], "新调用", kind="case_assigned")
    assert old.kind == "" and new.kind == "case_assigned"


def test_each_kind_has_a_label():
    assert set(notify_mod.KINDS) >= {"case_assigned", "deadline_near", "escalation", "daily_entry", "reach_alert",
                                     "decision_assigned", "report_ready", "public_report"}


def test_a_kind_switched_off_everywhere_is_not_created(make_user, sent, django_capture_on_commit_callbacks):
    u = make_user(R.OPS_ACCEPTOR)
    NotificationPreference.objects.create(user=u, kind="report_ready", in_app=False, email=False, webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify([u], "报告已生成", kind="report_ready") == []
        assert len(notify([u], "新派遣案件", kind="case_assigned")) == 1
    assert not Notification.objects.filter(recipient=u, kind="report_ready").exists()
    assert {c for c, _ in sent} == {"email", "webhook"}


def test_inbox_off_keeps_the_outbound_copy_and_files_it_as_read(make_user, sent, django_capture_on_commit_callbacks):
    u = make_user(R.OPS_ACCEPTOR)
    NotificationPreference.objects.create(user=u, kind="escalation", in_app=False, email=True, webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        [n] = notify([u], "超期", kind="escalation")
    assert n.read_at is not None
    assert sent == [("email", n.pk)]


def test_the_default_row_applies_to_kinds_without_their_own(make_user, sent, django_capture_on_commit_callbacks):
    u = make_user(R.OPS_ACCEPTOR)
    NotificationPreference.objects.create(user=u, kind="", email=False, webhook=True)
    NotificationPreference.objects.create(user=u, kind="reach_alert", email=True, webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        [a] = notify([u], "派遣", kind="case_assigned")
        [b] = notify([u], "告警", kind="reach_alert")
    assert sorted(sent) == sorted([("webhook", a.pk), ("email", b.pk)])


def test_digest_mode_holds_outbound_copies_and_bundles_them_once(make_user, sent, django_capture_on_commit_callbacks):
    leader = make_user(R.DISTRICT_LEADER)
    other = make_user(R.OPS_ACCEPTOR)
    NotificationPreference.objects.create(user=leader, kind="", digest=True)
    with django_capture_on_commit_callbacks(execute=True):
        held = notify([leader, other], "督办任务逾期：甲", kind="escalation") + notify([leader], "议定事项：乙", kind="decision_assigned")
    leader_items = [n for n in held if n.recipient_id == leader.pk]
    assert all(n.held_for_digest and n.read_at is None for n in leader_items)
    assert {pk for _, pk in sent} == {n.pk for n in held if n.recipient_id == other.pk}
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert bundle_digests() == 1
        assert bundle_digests() == 0
    digest = Notification.objects.get(recipient=leader, kind="digest")
    assert "甲" in digest.body and "乙" in digest.body and digest.title.startswith("今日待办汇总：2")
    assert sorted(sent) == [("email", digest.pk), ("webhook", digest.pk)]


def test_header_shows_the_unread_count(client, make_user):
    u = make_user(R.OPS_ACCEPTOR)
    notify([u], "一", kind="case_assigned")
    notify([u], "二", kind="deadline_near")
    client.force_login(u)
    page = client.get("/notifications/").content.decode()
    assert 'class="badge"' in page and ">2</span>" in page
    assert client.get("/notifications/?kind=deadline_near").content.decode().count("<li class=") == 1


def test_api_lists_marks_read_and_keeps_other_inboxes_out(api_client, make_user):
    u, other = make_user(R.OPS_ACCEPTOR), make_user(R.OPS_ACCEPTOR)
    [mine] = notify([u], "我的", kind="case_assigned")
    [theirs] = notify([other], "别人的", kind="case_assigned")
    api_client.as_user(u)
    body = api_client.get("notifications/").json()
    assert [i["title"] for i in body["results"]] == ["我的"] and body["results"][0]["kind_label"]
    assert api_client.get("notifications/unread-count").json() == {"unread": 1}
    assert api_client.post(f"notifications/{theirs.pk}/read").status_code == 404
    assert api_client.post(f"notifications/{mine.pk}/read").json()["read_at"]
    assert api_client.get("notifications/unread-count").json() == {"unread": 0}
    notify([u], "再一条", kind="report_ready")
    assert api_client.post("notifications/read-all").json() == {"marked": 1}


def test_api_sets_preferences_and_rejects_bad_ones(api_client, make_user):
    u = make_user(R.DISTRICT_LEADER)
    api_client.as_user(u)
    rows = api_client.put("notifications/preferences", {"kind": "report_ready", "email": False}).json()
    row = next(r for r in rows if r["kind"] == "report_ready")
    assert row["own"] and row["email"] is False and row["in_app"] is True
    assert api_client.put("notifications/preferences", {"kind": "", "digest": True}).json()[0]["digest"] is True
    bad = api_client.put("notifications/preferences", {"kind": "nonsense", "email": False})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_kind"
    bad = api_client.put("notifications/preferences", {"kind": "escalation", "digest": True})
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "digest"
    assert NotificationPreference.objects.filter(user=u).count() == 2


def test_preferences_page_saves_the_form(client, make_user):
    u = make_user(R.DISTRICT_LEADER)
    client.force_login(u)
    assert client.get("/notifications/preferences").status_code == 200
    form = {"default-in_app": "on", "default-email": "on", "default-webhook": "on", "default-digest": "on"}
    for key in notify_mod.KINDS:
        form.update({f"{key}-in_app": "on", f"{key}-email": "on", f"{key}-webhook": "on"})
    del form["escalation-webhook"]
    client.post("/notifications/preferences", form)
    prefs = notify_mod.preferences_for([u.pk])[u.pk]
    assert prefs.digest and not prefs.allows("escalation", "webhook") and prefs.allows("case_assigned", "webhook")
