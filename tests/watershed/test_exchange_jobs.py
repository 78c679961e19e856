"""The exchange's background side: a push is a retried job (never inside the request), the periodic
pull imports each neighbour's feed once its interval has passed (idempotently), and the shared
secrets are encrypted at rest and masked in the audit log."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from watershed_support import SECRET, reading_message

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 11, 1, 8, tzinfo=dt.timezone.utc)


class _Answer:
    def __init__(self, status, text="{}"):
        self.status_code, self.text = status, text


@pytest.fixture
def linked(neighbour, boundary):
    from chengyun.watershed.services import exchange

    exchange.link_neighbour(None, neighbour, base_url="http://neighbour.example", token="cy_their-token-for-us")
    neighbour.refresh_from_db()
    return neighbour


@pytest.fixture
def queued(monkeypatch):
    """Huey not immediate: enqueued jobs wait in memory instead of running. A worker closes
    stale database connections around each job; inside the test's transaction that would close
    the test's own connection (PostgreSQL; SQLite's in-memory one ignores it), so not here."""
    import huey.contrib.djhuey as djhuey
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(djhuey, "close_old_connections", lambda: None)
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


def test_a_reading_is_pushed_by_a_job_after_the_commit_not_inside_the_request(linked, boundary, queued, monkeypatch,
                                                                              django_capture_on_commit_callbacks):
    import requests

    from chengyun.watershed.models import ExchangeMessage
    from chengyun.watershed.services import exchange

    calls = []
    monkeypatch.setattr(requests, "post", lambda *a, **k: calls.append(k) or _Answer(200))
    with django_capture_on_commit_callbacks(execute=True):
        exchange.record_reading(None, boundary, at=AT, values={"w01018": 12})
    # The request's work is done; the push waits for the worker.
    assert calls == [] and queued.pending_count() == 1
    out = ExchangeMessage.objects.get(direction="out")
    assert out.delivered_at is None
    task = queued.dequeue()
    assert task.name.endswith("push_message") and task.args == (out.pk,)
    queued.execute(task)
    assert len(calls) == 1 and calls[0]["headers"]["Authorization"] == "Bearer cy_their-token-for-us"
    out.refresh_from_db()
    assert out.delivered_at is not None


def test_an_unreachable_neighbour_is_retried_then_delivered(linked, boundary, queued, monkeypatch):
    import requests

    from chengyun.ops.models import JobFailure
    from chengyun.watershed.models import ExchangeMessage
    from chengyun.watershed.services import exchange
    from chengyun.watershed.tasks import push_message

    out = exchange.publish(linked, "reading", {"section": "JJ01", "time": AT.isoformat(), "values": {"w01018": 12}})

    def down(*a, **k):
        raise requests.ConnectionError("connection refused")
    monkeypatch.setattr(requests, "post", down)
    push_message(out.pk)
    task = queued.dequeue()
    queued.execute(task)
    # The failure is recorded (seven retries still ahead) and the job is back on the schedule.
    failure = JobFailure.objects.get()
    assert "connection refused" in failure.error and not failure.final and failure.retries_left == 7
    assert queued.scheduled_count() == 1
    out.refresh_from_db()
    assert out.delivered_at is None
    # The neighbour is back: the retry delivers (a 409 "replayed" would count as delivered too).
    monkeypatch.setattr(requests, "post", lambda *a, **k: _Answer(201))
    eta = queued.scheduled()[0].eta
    assert dt.timedelta(seconds=25) < eta - queued._get_timestamp() <= dt.timedelta(seconds=30)
    retry = queued.read_schedule(eta)  # what the worker takes off the schedule 30 s later
    assert len(retry) == 1
    queued.execute(retry[0], timestamp=eta)
    assert ExchangeMessage.objects.get(pk=out.pk).delivered_at is not None


def test_push_outcomes(linked, monkeypatch):
    import requests

    from chengyun.watershed.models import ExchangeMessage
    from chengyun.watershed.services import exchange

    def out():
        return exchange.publish(linked, "reading", {"section": "JJ01", "time": AT.isoformat(), "values": {"w01018": 12}}).pk

    # Delivered before (the neighbour has it): counted as delivered.
    pk = out()
    monkeypatch.setattr(requests, "post", lambda *a, **k: _Answer(409, '{"code": "replayed"}'))
    assert exchange.push(pk) is True and ExchangeMessage.objects.get(pk=pk).delivered_at is not None
    # A refusal of the content is final: no retry, not delivered (the pull remains).
    pk = out()
    monkeypatch.setattr(requests, "post", lambda *a, **k: _Answer(422, '{"code": "unknown_section"}'))
    assert exchange.push(pk) is False and ExchangeMessage.objects.get(pk=pk).delivered_at is None
    # A server error is retried.
    monkeypatch.setattr(requests, "post", lambda *a, **k: _Answer(503))
    with pytest.raises(exchange.PushFailed):
        exchange.push(pk)
    # A delivered message is not sent again.
    monkeypatch.setattr(requests, "post", lambda *a, **k: pytest.fail("sent twice"))
    first = ExchangeMessage.objects.filter(delivered_at__isnull=False).first()
    assert exchange.push(first.pk) is True


def _feed(path, mids):
    from chengyun.watershed.services import exchange

    messages = [reading_message(m, time=f"2026-11-20T0{i + 1}:00:00+08:00") for i, m in enumerate(mids)]
    doc = {"format": exchange.FORMAT, "sender": "UP", "messages": messages, "signature": exchange.feed_signature(SECRET, messages)}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_the_periodic_pull_imports_a_feed_when_due_and_only_once(neighbour, boundary, tmp_path, settings):
    from chengyun.watershed.models import BoundaryReading, JointIncident, Neighbour
    from chengyun.watershed.services import exchange
    from chengyun.watershed.tasks import pull_neighbours

    settings.EXCHANGE_PULL_MINUTES = 10
    feed = tmp_path / "up.json"
    _feed(feed, ["p-1"])
    exchange.link_neighbour(None, neighbour, feed_url=str(feed))
    t0 = dt.datetime(2026, 11, 20, 2, tzinfo=dt.timezone.utc)
    assert exchange.pull_due(t0) == {"UP": {"applied": 1, "skipped": 0}}
    assert BoundaryReading.objects.count() == 1 and JointIncident.objects.count() == 1
    stamp = Neighbour.objects.get(pk=neighbour.pk).last_pulled_at
    # Within the interval nothing is fetched.
    _feed(feed, ["p-1", "p-2"])
    assert exchange.pull_due(stamp + dt.timedelta(minutes=9)) == {}
    # Once it has passed, only the new message is applied; the old one is skipped.
    assert exchange.pull_due(stamp + dt.timedelta(minutes=10)) == {"UP": {"applied": 1, "skipped": 1}}
    assert BoundaryReading.objects.count() == 2 and JointIncident.objects.count() == 1
    # The job the worker runs every minute is the same function (nothing due right after a pull).
    assert pull_neighbours.call_local() == {}


def test_a_failing_neighbour_is_recorded_and_does_not_stop_the_periodic_pull(neighbour, boundary, tmp_path, settings):
    from chengyun.watershed.models import Neighbour
    from chengyun.watershed.services import exchange

    settings.EXCHANGE_PULL_MINUTES = 5
    exchange.link_neighbour(None, neighbour, feed_url=str(tmp_path / "missing.json"))
    other, _ = exchange.register_neighbour(None, code="DN", name="下游区", secret=SECRET)
    good = tmp_path / "dn.json"
    good.write_text(json.dumps({"format": exchange.FORMAT, "sender": "DN", "messages": [], "signature": exchange.feed_signature(SECRET, [])}))
    exchange.link_neighbour(None, other, feed_url=str(good))
    out = exchange.pull_due()
    assert "无法读取数据文件" in out["UP"]["error"] and out["DN"] == {"applied": 0, "skipped": 0}
    assert "无法读取数据文件" in Neighbour.objects.get(pk=neighbour.pk).pull_error
    assert Neighbour.objects.get(pk=other.pk).pull_error == ""


def test_the_periodic_pull_can_be_turned_off(neighbour, boundary, tmp_path, settings):
    from chengyun.watershed.services import exchange

    settings.EXCHANGE_PULL_MINUTES = 0
    _feed(tmp_path / "up.json", ["p-1"])
    exchange.link_neighbour(None, neighbour, feed_url=str(tmp_path / "up.json"))
    assert exchange.pull_due() == {}


def test_shared_secret_and_token_are_encrypted_at_rest_and_masked_in_the_audit(db, settings):
    from django.db import connection

    from chengyun.core.audit import MASK
    from chengyun.core.models import AuditEntry
    from chengyun.watershed.models import Neighbour
    from chengyun.watershed.services import exchange

    settings.FIELD_KEY = "a1" * 32
    n, _ = exchange.register_neighbour(None, code="UP", name="上游区", secret=SECRET, token="cy_their-token-for-us")
    with connection.cursor() as cur:
        cur.execute("select secret, token from watershed_neighbour where id = %s", [n.pk])
        raw_secret, raw_token = cur.fetchone()
    assert raw_secret.startswith("enc1:aes-gcm:") and SECRET not in raw_secret and raw_token.startswith("enc1:aes-gcm:")
    fresh = Neighbour.objects.get(pk=n.pk)
    assert fresh.secret == SECRET and fresh.token == "cy_their-token-for-us"
    # Signing still works with the decrypted secret.
    headers = exchange.signed_headers(SECRET, "GET", "/x", b"")
    exchange.verify(fresh, headers["X-Exchange-Timestamp"], headers["X-Exchange-Signature"], "GET", "/x", b"")
    created = AuditEntry.objects.get(object_type="watershed.neighbour", action="create")
    assert created.after["secret"] == MASK and created.after["token"] == MASK and SECRET not in json.dumps(created.after)
    exchange.link_neighbour(None, fresh, token="cy_a-new-token")
    changed = AuditEntry.objects.filter(object_type="watershed.neighbour", verb="neighbour.link").get()
    assert changed.after["token"] == {"value": MASK, "changed": True} and "cy_a-new-token" not in json.dumps(changed.after)


def test_secrets_stored_in_plaintext_before_are_encrypted_by_the_command(db, settings):
    from django.core.management import call_command
    from django.db import connection

    from chengyun.watershed.services import exchange

    settings.FIELD_KEY = ""
    n, _ = exchange.register_neighbour(None, code="UP", name="上游区", secret=SECRET)

    def raw():
        with connection.cursor() as cur:
            cur.execute("select secret from watershed_neighbour where id = %s", [n.pk])
            return cur.fetchone()[0]
    assert raw() == SECRET
    settings.FIELD_KEY = "b2" * 32
    settings.FIELD_CIPHER = "sm4"
    call_command("exchange", "encrypt")
    assert raw().startswith("enc1:sm4:")
    from chengyun.watershed.models import Neighbour

    assert Neighbour.objects.get(pk=n.pk).secret == SECRET


def test_the_board_shows_the_exchange_health_to_the_district_only(client, make_user, neighbour, boundary, tmp_path, settings):
    from chengyun.people import roles as R
    from chengyun.watershed.services import exchange

    settings.EXCHANGE_PULL_MINUTES = 5
    exchange.link_neighbour(None, neighbour, feed_url=str(tmp_path / "missing.json"))
    exchange.publish(neighbour, "reading", {"section": "JJ01", "time": AT.isoformat(), "values": {"w01018": 12}})
    exchange.pull_due()
    client.force_login(make_user(R.OPS_SHIFT_LEADER))
    html = client.get("/watershed/joint/").content.decode()
    status = html[html.index('id="ws-exchange-status"'):]
    status = status[:status.index("</table>")]
    assert "上游区" in status and "数据文件" in status and "无法读取数据文件" in status and '<td class="num">1</td>' in status
    client.force_login(make_user(R.RIVER_CHIEF))  # reads the board, not the exchange's configuration
    assert 'id="ws-exchange-status"' not in client.get("/watershed/joint/").content.decode()
