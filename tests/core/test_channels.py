"""Outbound notification channels against a local fake gateway."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail

from chengyun.core.notify import notify
from chengyun.people import roles as R


@pytest.fixture
def gateway():
    """A fake SMS/WeCom gateway on a free local port, recording what it receives."""
    received = []
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            received.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(self.rfile.read(length))})
            self.send_response(status["code"])
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}/hook", "received": received, "status": status}
    server.shutdown()
    server.server_close()


def test_webhook_channel_posts_json(gateway, make_user, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setenv("CHENGYUN_NOTIFY_CHANNELS", "chengyun.core.channels.webhook")
    monkeypatch.setenv("CHENGYUN_NOTIFY_WEBHOOK_URL", gateway["url"])
    monkeypatch.setenv("CHENGYUN_NOTIFY_WEBHOOK_TOKEN", "s3cret")
    monkeypatch.setenv("CHENGYUN_PUBLIC_URL", "https://cy.example.gov.cn")
    user = make_user(R.DEPT_HANDLER, unit="D01")
    with django_capture_on_commit_callbacks(execute=True):
        notify([user], "督办任务逾期：道路塌陷隐患整改", body="请尽快处理", url="/supervision/tasks/1/", level="danger")
    assert len(gateway["received"]) == 1
    got = gateway["received"][0]
    assert got["path"] == "/hook"
    assert got["headers"]["Authorization"] == "Bearer s3cret"
    body = got["json"]
    assert body["title"] == "督办任务逾期：道路塌陷隐患整改" and body["level"] == "danger"
    assert body["url"] == "https://cy.example.gov.cn/supervision/tasks/1/"
    assert body["recipient"]["phone"].startswith("1390000")
    assert body["created_at"].endswith("+08:00")


def test_webhook_failure_raises_for_retry(gateway, make_user, monkeypatch):
    from chengyun.core import channels
    from chengyun.core.models import Notification

    monkeypatch.setenv("CHENGYUN_NOTIFY_WEBHOOK_URL", gateway["url"])
    gateway["status"]["code"] = 503
    user = make_user(R.DEPT_HANDLER, unit="D01")
    n = Notification.objects.create(recipient=user, title="x")
    with pytest.raises(channels.ChannelError):
        channels.webhook(n)
    monkeypatch.setenv("CHENGYUN_NOTIFY_WEBHOOK_URL", "http://127.0.0.1:9/unreachable")
    with pytest.raises(channels.ChannelError):
        channels.webhook(n)


def test_one_broken_channel_does_not_stop_the_other(gateway, make_user, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setenv("CHENGYUN_NOTIFY_CHANNELS", "chengyun.core.channels.email,chengyun.core.channels.webhook")
    monkeypatch.setenv("CHENGYUN_NOTIFY_WEBHOOK_URL", gateway["url"])
    user = make_user(R.DEPT_HANDLER, unit="D01")
    user.email = "handler@example.gov.cn"
    user.save()
    gateway["status"]["code"] = 500
    with django_capture_on_commit_callbacks(execute=True):
        notify([user], "今日督办任务进展逾时未报", url="/supervision/daily/entry/", level="danger")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["handler@example.gov.cn"]
    assert "今日督办任务进展逾时未报" in mail.outbox[0].subject
    assert len(gateway["received"]) == 1  # tried, failed, logged


def test_email_skips_users_without_address(make_user):
    from chengyun.core import channels
    from chengyun.core.models import Notification

    user = make_user(R.DEPT_HANDLER, unit="D01")
    channels.email(Notification.objects.create(recipient=user, title="x"))
    assert mail.outbox == []
