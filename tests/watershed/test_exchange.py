"""The exchange endpoints: signed, token-authenticated, idempotent; bad input refused (4xx, logged, nothing stored)."""
from __future__ import annotations

import pytest

from watershed_support import SECRET, reading_message, signed

pytestmark = pytest.mark.django_db
PATH = "/api/v1/exchange/messages"


def _counts():
    from chengyun.watershed.models import BoundaryReading, ExchangeMessage, JointIncident

    return (BoundaryReading.objects.count(), JointIncident.objects.count(), ExchangeMessage.objects.filter(direction="in").count())


def test_an_upstream_exceedance_opens_a_joint_incident_naming_the_upstream_party(client, neighbour, boundary):
    from chengyun.watershed.models import ExchangeMessage, JointIncident

    r = signed(client, neighbour.key, SECRET, "POST", PATH, reading_message())
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["applied"] and body["water_class"] == 6 and body["compliant"] is False
    inc = JointIncident.objects.get(uid=body["incident"])
    assert inc.upstream_party == "上游区" and "上游区" in inc.title and inc.state == "open"
    assert inc.entries.filter(ours=True).exists()
    # The incident goes back to the upstream side as a message it pulls.
    out = ExchangeMessage.objects.filter(direction="out", kind="incident").get()
    assert out.payload["body"]["uid"] == inc.uid and out.payload["body"]["section"] == "JJ01"
    # A second exceedance notes the repeat on the open incident instead of opening another.
    signed(client, neighbour.key, SECRET, "POST", PATH, reading_message("m-2", time="2026-11-20T09:00:00+08:00"))
    assert JointIncident.objects.count() == 1


def test_a_compliant_reading_is_stored_without_an_incident(client, neighbour, boundary):
    r = signed(client, neighbour.key, SECRET, "POST", PATH, reading_message(values={"COD": 15, "NH3N": 0.3}))
    assert r.status_code == 200 and r.json()["compliant"] is True and r.json()["incident"] is None


def test_bad_signature_is_refused_logged_and_nothing_stored(client, neighbour, boundary):
    from chengyun.watershed.models import ExchangeRefusal

    r = signed(client, neighbour.key, "not-the-shared-secret", "POST", PATH, reading_message())
    assert r.status_code == 403 and r.json()["code"] == "bad_signature"
    assert _counts() == (0, 0, 0)
    assert ExchangeRefusal.objects.filter(reason="bad_signature", neighbour="上游区").exists()


def test_a_replayed_message_id_is_refused(client, neighbour, boundary):
    from chengyun.watershed.models import ExchangeRefusal

    assert signed(client, neighbour.key, SECRET, "POST", PATH, reading_message("dup")).status_code == 200
    before = _counts()
    r = signed(client, neighbour.key, SECRET, "POST", PATH, reading_message("dup", values={"COD": 10}))
    assert r.status_code == 409 and r.json()["code"] == "replayed"
    assert _counts() == before
    assert ExchangeRefusal.objects.filter(reason="replayed", message_id="dup").exists()


def test_an_unknown_section_code_is_refused_naming_the_field(client, neighbour, boundary):
    r = signed(client, neighbour.key, SECRET, "POST", PATH, reading_message(section="NOPE"))
    assert r.status_code == 422 and r.json()["code"] == "unknown_section" and r.json()["detail"]["field"] == "body.section"
    assert _counts() == (0, 0, 0)


def test_pull_returns_our_messages_signed(client, neighbour, boundary):
    from chengyun.watershed.services import exchange

    exchange.record_reading(None, boundary, at=__import__("datetime").datetime(2026, 11, 1, 8, tzinfo=__import__("datetime").timezone.utc),
                            values={"w01018": 12})
    r = signed(client, neighbour.key, SECRET, "GET", f"{PATH}?after=0")
    assert r.status_code == 200
    doc = r.json()
    assert [m["kind"] for m in doc["messages"]] == ["reading"] and doc["messages"][0]["body"]["section"] == "JJ01"
    # The page is signed with the shared secret: the puller checks it.
    exchange.verify(neighbour, r["X-Exchange-Timestamp"], r["X-Exchange-Signature"], "RESPONSE", f"{PATH}?after=0", r.content)


def test_a_neighbours_token_reaches_only_the_exchange(client, neighbour, boundary):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {neighbour.key}"}
    for path in ("/api/v1/watersheds/", "/api/v1/water/sections", "/api/v1/cases/", "/api/v1/people/me"):
        r = client.get(path, **auth)
        assert r.status_code == 403, (path, r.status_code)
    assert signed(client, neighbour.key, SECRET, "GET", f"{PATH}?after=0").status_code == 200


def test_anyone_else_is_refused_by_the_exchange(client, neighbour, boundary, make_user):
    from chengyun.people import roles as R
    from chengyun.people.services import create_token

    admin = make_user(R.SYSADMIN)
    _, key = create_token(None, admin.username, "x")
    r = signed(client, key, SECRET, "POST", PATH, reading_message())
    assert r.status_code == 403 and r.json()["code"] == "not_a_neighbour"
    assert _counts() == (0, 0, 0)


def test_a_signed_file_feed_is_imported_once(neighbour, boundary, tmp_path):
    import json

    from chengyun.core.errors import Forbidden
    from chengyun.watershed.models import JointIncident
    from chengyun.watershed.services import exchange

    messages = [reading_message("f-1")]
    doc = {"format": exchange.FORMAT, "sender": "UP", "messages": messages, "signature": exchange.feed_signature(SECRET, messages)}
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert exchange.pull(None, neighbour, source=str(path)) == {"applied": 1, "skipped": 0}
    assert exchange.pull(None, neighbour, source=str(path)) == {"applied": 0, "skipped": 1}
    assert JointIncident.objects.count() == 1
    doc["signature"] = "0" * 64
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(Forbidden):
        exchange.pull(None, neighbour, source=str(path))
