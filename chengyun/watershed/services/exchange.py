"""The cross-boundary data exchange (跨区域数据交换) and the joint incidents it carries.

Open format, one JSON object per message::

    {"format": "chengyun-exchange/1", "message_id": "<uuid>", "sender": "<party code>",
     "sender_name": "<party name>", "sent_at": "<ISO 8601>", "kind": "reading" | "incident" | "entry",
     "body": {...}}

``reading``: {"section": <boundary section code>, "time": ISO, "values": {<HJ 212 code or GB 3838
key>: value}, "water_class": n, "target_class": n}. ``incident``: {"uid", "section", "title",
"upstream_party", "opened_at", "factor", "value", "water_class", "target_class"}. ``entry``:
{"uid", "incident", "kind", "party", "at", "text", "participants", "route", "action"}.

Every request carries the neighbour's API token (scope ``exchange:*``) and
``X-Exchange-Timestamp`` / ``X-Exchange-Signature``: hex HMAC-SHA256 with the neighbour's shared
secret over ``timestamp \\n METHOD \\n path \\n sha256(body)``; a pulled page is signed the same way
with ``RESPONSE`` as the method. A message id is applied once: sent again it is refused (409) on
push and skipped on pull. Refusals are logged (``ExchangeRefusal`` and the log), nothing else is stored.

The downstream side opens the joint incident when the upstream side's water at a boundary section
misses the agreed target, so that one exceedance makes one incident on both platforms.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chengyun.core import audit
from chengyun.core.errors import Conflict, DomainError, Forbidden, Invalid
from chengyun.people import policy
from chengyun.standards import gb3838

from .. import workflow
from ..models import BoundaryReading, BoundarySection, ExchangeMessage, ExchangeRefusal, JointEntry, JointIncident, Neighbour

log = logging.getLogger("chengyun.watershed.exchange")
FORMAT = "chengyun-exchange/1"
KINDS = ("reading", "incident", "entry")
MAX_SKEW_S = 300
PUSH_TIMEOUT_S = 5


def party() -> tuple[str, str]:
    return settings.EXCHANGE_PARTY_CODE, settings.EXCHANGE_PARTY_NAME


# ---------------------------------------------------------------- signing

def signature(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    text = f"{timestamp}\n{method.upper()}\n{path}\n{hashlib.sha256(body).hexdigest()}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def signed_headers(secret: str, method: str, path: str, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"X-Exchange-Timestamp": ts, "X-Exchange-Signature": signature(secret, ts, method, path, body)}


def verify(neighbour: Neighbour, timestamp: str | None, sig: str | None, method: str, path: str, body: bytes) -> None:
    try:
        skew = abs(time.time() - int(timestamp or ""))
    except ValueError:
        skew = None
    if skew is None or skew > MAX_SKEW_S:
        refuse(neighbour, "bad_timestamp", "", f"时间戳缺失或偏差超过 {MAX_SKEW_S} 秒")
    if not sig or not hmac.compare_digest(signature(neighbour.secret, timestamp, method, path, body), sig):
        refuse(neighbour, "bad_signature", "", "签名校验失败")


def refuse(neighbour: Neighbour | None, reason: str, message_id: str, detail: str, *, field: str = "") -> None:
    """Log the refusal on its own (outside the request's transaction) and raise the 4xx."""
    name = neighbour.name if neighbour else ""
    ExchangeRefusal.objects.create(neighbour=name, reason=reason, message_id=(message_id or "")[:64], detail=detail[:300])
    log.warning("exchange refused from %s: %s %s %s", name or "?", reason, message_id, detail)
    info = {"reason": reason, "message_id": message_id, **({"field": field} if field else {})}
    if reason in ("bad_signature", "bad_timestamp"):
        raise Forbidden(f"交换报文被拒收：{detail}", code=reason, detail=info)
    if reason == "replayed":
        raise Conflict(f"报文 {message_id} 已处理过，拒绝重放", code=reason, detail=info)
    raise Invalid(f"交换报文被拒收：{detail}", code=reason, detail=info)


def neighbour_of(user: Any) -> Neighbour:
    n = Neighbour.objects.filter(account=user).first() if getattr(user, "is_authenticated", False) else None
    if n is None:
        raise Forbidden("只有登记的相邻区县账号可以调用数据交换接口", code="not_a_neighbour")
    return n


# ---------------------------------------------------------------- receiving

def _validate(neighbour: Neighbour, msg: Any) -> tuple[str, str, dict, BoundarySection]:
    if not isinstance(msg, dict):
        refuse(neighbour, "bad_message", "", "报文应为 JSON 对象")
    mid = str(msg.get("message_id") or "").strip()
    if not mid or len(mid) > 64:
        refuse(neighbour, "bad_message", mid, "缺少 message_id 或过长", field="message_id")
    if msg.get("format") != FORMAT:
        refuse(neighbour, "bad_message", mid, f"format 应为 {FORMAT}", field="format")
    kind, body = msg.get("kind"), msg.get("body")
    if kind not in KINDS:
        refuse(neighbour, "bad_message", mid, f"kind 应为 {'、'.join(KINDS)} 之一", field="kind")
    if not isinstance(body, dict):
        refuse(neighbour, "bad_message", mid, "body 应为对象", field="body")
    if ExchangeMessage.objects.filter(message_id=mid).exists():
        refuse(neighbour, "replayed", mid, "报文编号重复")
    code = body.get("section") if kind != "entry" else None
    if kind == "entry":
        inc = JointIncident.objects.filter(uid=str(body.get("incident") or ""), neighbour=neighbour).select_related("section").first()
        if inc is None:
            refuse(neighbour, "unknown_incident", mid, f"事件 {body.get('incident')} 不存在", field="body.incident")
        section = inc.section
    else:
        section = BoundarySection.objects.filter(code=str(code or ""), neighbour=neighbour).first()
        if section is None:
            refuse(neighbour, "unknown_section", mid, f"交界断面编码 {code} 未与本区约定", field="body.section")
    return mid, kind, body, section


def _time(body: dict, field: str, neighbour, mid) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(str(body.get(field) or "").replace("Z", "+00:00"))
        if t.tzinfo is None:
            raise ValueError
        return t
    except ValueError:
        refuse(neighbour, "bad_message", mid, f"body.{field} 应为带时区的 ISO 8601 时间", field=f"body.{field}")
        raise  # unreachable: refuse raises


def receive(neighbour: Neighbour, msg: Any, *, replay_is_error: bool = True) -> dict:
    """Apply one message from a neighbour; all of it or nothing."""
    if not replay_is_error and isinstance(msg, dict) and ExchangeMessage.objects.filter(message_id=str(msg.get("message_id") or "")).exists():
        return {"message_id": msg.get("message_id"), "applied": False}
    mid, kind, body, section = _validate(neighbour, msg)
    with transaction.atomic():
        if kind == "reading":
            result = _apply_reading(neighbour, section, body, mid)
        elif kind == "incident":
            result = _apply_incident(neighbour, section, body, mid)
        else:
            result = _apply_entry(neighbour, body, mid)
        ExchangeMessage.objects.create(message_id=mid, neighbour=neighbour, direction=ExchangeMessage.Direction.IN, kind=kind, payload=msg)
    return {"message_id": mid, "applied": True, **result}


def _classify(neighbour, mid, values: Any) -> gb3838.Classification:
    if not isinstance(values, dict) or not values:
        refuse(neighbour, "bad_message", mid, "body.values 应为非空对象", field="body.values")
    try:
        return gb3838.classify({k: float(v) for k, v in values.items()})
    except (TypeError, ValueError) as exc:
        refuse(neighbour, "bad_message", mid, f"body.values 无法评价：{exc}", field="body.values")
        raise


def _apply_reading(neighbour, section: BoundarySection, body: dict, mid: str) -> dict:
    at = _time(body, "time", neighbour, mid)
    c = _classify(neighbour, mid, body.get("values"))
    reading = _store_reading(section, at, neighbour.name, c, mid)
    incident = _exceedance(section, reading, c) if not reading.compliant else None
    return {"water_class": c.water_class, "compliant": reading.compliant, "incident": incident.uid if incident else None}


def _store_reading(section, at, party_name, c, mid) -> BoundaryReading:
    reading, _ = BoundaryReading.objects.update_or_create(
        section=section, at=at, party=party_name,
        defaults={"values": c.values, "water_class": c.water_class, "compliant": c.water_class <= section.target_class,
                  "limiting": list(c.limiting), "message_id": mid})
    return reading


def _exceedance(section: BoundarySection, reading: BoundaryReading, c) -> JointIncident | None:
    """The downstream side opens the incident (or notes the repeat on the open one) and raises the alert."""
    if section.upstream != BoundarySection.Upstream.NEIGHBOUR:
        return None
    upstream = section.neighbour.name
    factor = c.limiting[0] if c.limiting else ""
    inc = JointIncident.objects.filter(section=section, state__in=workflow.INCIDENT_OPEN).first()
    if inc is not None:
        _entry(inc, kind=JointEntry.Kind.NOTE, text=f"再次超标：{gb3838.LABELS[c.water_class]}类（{factor}）", at=max(reading.at, inc.opened_at))
        return inc
    title = f"上游{upstream}{section.name}超标（{gb3838.LABELS[c.water_class]}类，目标{gb3838.LABELS[section.target_class]}类）"
    inc = JointIncident.objects.create(uid=str(uuid.uuid4()), section=section, neighbour=section.neighbour, title=title, upstream_party=upstream,
                                       state=workflow.OPEN, opened_at=reading.at, factor=factor, value=c.values.get(factor),
                                       water_class=c.water_class, target_class=section.target_class)
    inc.alert_id = _raise_alert(section, inc, reading)
    inc.save(update_fields=["alert_id"])
    audit.created(inc)
    publish(section.neighbour, "incident", _incident_body(inc))
    _entry(inc, kind=JointEntry.Kind.NOTE, text=f"本区接收交界断面数据，判定超标，自动立案并通报上游{upstream}", at=reading.at)
    return inc


def _raise_alert(section: BoundarySection, inc: JointIncident, reading: BoundaryReading) -> int | None:
    """A water alert on the linked section naming the upstream party; without one, a notice to the ops center."""
    message = f"上游{inc.upstream_party}来水超标：{inc.title}"
    if section.section_id:
        from chengyun.water import services as water

        alert = water.raise_alert(section.section, "target_exceeded", at=reading.at, message=message[:500], factor=inc.factor,
                                  value=inc.value, threshold=float(section.target_class), dedup_factor="boundary")
        return alert.pk
    from django.contrib.auth import get_user_model

    from chengyun.core.notify import notify
    from chengyun.people import roles as R

    users = get_user_model().objects.filter(person__roles__code__in=list(R.OPS_CENTER), is_active=True).distinct()
    notify(users, message[:200], url=f"/watershed/joint/{inc.uid}/")
    return None


def _incident_body(inc: JointIncident) -> dict:
    return {"uid": inc.uid, "section": inc.section.code, "title": inc.title, "upstream_party": inc.upstream_party,
            "opened_at": inc.opened_at.isoformat(), "factor": inc.factor, "value": inc.value, "water_class": inc.water_class,
            "target_class": inc.target_class, "state": inc.state}


def _apply_incident(neighbour, section, body, mid) -> dict:
    uid = str(body.get("uid") or "").strip()
    if not uid or len(uid) > 64:
        refuse(neighbour, "bad_message", mid, "body.uid 缺失", field="body.uid")
    opened = _time(body, "opened_at", neighbour, mid)
    inc = JointIncident.objects.filter(uid=uid).first()
    if inc is None:
        inc = JointIncident.objects.create(uid=uid, section=section, neighbour=neighbour, title=str(body.get("title") or "")[:200] or section.name,
                                           upstream_party=str(body.get("upstream_party") or "")[:100], state=workflow.OPEN, opened_at=opened,
                                           factor=str(body.get("factor") or "")[:20], value=body.get("value") if isinstance(body.get("value"), (int, float)) else None,
                                           water_class=body.get("water_class") if isinstance(body.get("water_class"), int) else None,
                                           target_class=section.target_class)
        audit.created(inc)
    return {"incident": inc.uid}


def _apply_entry(neighbour, body, mid) -> dict:
    inc = JointIncident.objects.get(uid=str(body.get("incident")), neighbour=neighbour)
    uid = str(body.get("uid") or "").strip()
    if not uid or len(uid) > 64:
        refuse(neighbour, "bad_message", mid, "body.uid 缺失", field="body.uid")
    kind = body.get("kind")
    if kind not in JointEntry.Kind.values:
        refuse(neighbour, "bad_message", mid, "body.kind 不是约定的记录类型", field="body.kind")
    at = _time(body, "at", neighbour, mid)
    if not JointEntry.objects.filter(uid=uid).exists():
        JointEntry.objects.create(uid=uid, incident=inc, kind=kind, party=str(body.get("party") or neighbour.name)[:100], ours=False, at=at,
                                  text=str(body.get("text") or "")[:4000], participants=str(body.get("participants") or "")[:300],
                                  route=str(body.get("route") or "")[:300])
        t = workflow.INCIDENT_TRANSITIONS.get(str(body.get("action") or ""))
        if kind == JointEntry.Kind.STATE and t is not None and inc.state in t.sources:
            _move(inc, t, at)
    return {"incident": inc.uid, "entry": uid}


def _move(inc: JointIncident, t: workflow.Transition, at: dt.datetime) -> None:
    values: dict[str, Any] = {"state": t.target}
    if t.target == workflow.DONE:
        values["closed_at"] = at
    audit.save_changes(inc, values, verb=f"incident.{t.action}")


# ---------------------------------------------------------------- our side: entries, readings, publishing

def _entry(inc: JointIncident, *, kind: str, text: str, participants: str = "", route: str = "", action: str = "",
           at: dt.datetime | None = None) -> JointEntry:
    e = JointEntry.objects.create(uid=str(uuid.uuid4()), incident=inc, kind=kind, party=party()[1], ours=True, at=at or timezone.now(),
                                  text=text, participants=participants, route=route)
    audit.created(e)
    publish(inc.neighbour, "entry", {"uid": e.uid, "incident": inc.uid, "kind": kind, "party": e.party, "at": e.at.isoformat(), "text": text,
                                     "participants": participants, "route": route, "action": action})
    return e


INCIDENT_WRITERS_MESSAGE = "只有城运中心、河湖长和责任部门可以记录联防联控事件"


def add_entry(user: Any, inc: JointIncident, *, kind: str, text: str, participants: str = "", route: str = "",
              at: dt.datetime | None = None) -> JointEntry:
    """Our action, joint patrol record or note on an incident, sent to the neighbour; ``at`` when it
    happened, for an action recorded after the fact (default now)."""
    if user is not None:
        policy.require_write(user, inc, INCIDENT_WRITERS_MESSAGE)
    if kind not in (JointEntry.Kind.ACTION, JointEntry.Kind.PATROL, JointEntry.Kind.NOTE):
        raise Invalid("“kind”应为 action、patrol 或 note", code="bad_kind", detail={"field": "kind"})
    if not (text or "").strip():
        raise Invalid("请填写内容", code="text_required", detail={"field": "text"})
    if kind == JointEntry.Kind.PATROL and not (participants or "").strip():
        raise Invalid("联合巡查须填写双方参加人员", code="participants_required", detail={"field": "participants"})
    if inc.state == workflow.DONE:
        raise Conflict("事件已办结", code="bad_state")
    with transaction.atomic():
        if at is not None and (at > timezone.now() or at < inc.opened_at):
            raise Invalid("“at”应在事件发生之后、当前时间之前", code="bad_time", detail={"field": "at"})
        return _entry(inc, kind=kind, text=text.strip()[:4000], participants=participants.strip()[:300], route=route.strip()[:300], at=at)


def move_incident(user: Any, inc: JointIncident, action: str, *, note: str = "", at: dt.datetime | None = None) -> JointIncident:
    t = workflow.INCIDENT_TRANSITIONS.get(action)
    if t is None:
        raise Invalid(f"未知操作“{action}”", code="bad_action", detail={"field": "action"})
    if user is not None:
        policy.require_write(user, inc, INCIDENT_WRITERS_MESSAGE)
    with transaction.atomic():
        inc = JointIncident.objects.select_for_update().get(pk=inc.pk)
        if inc.state not in t.sources:
            raise Conflict(f"事件处于“{workflow.INCIDENT_STATES[inc.state]}”，不能{t.label}", code="bad_state", detail={"state": inc.state})
        if t.note_required and not note.strip():
            raise Invalid(f"{t.label}须填写说明", code="note_required", detail={"field": "note"})
        now = at if at is not None and inc.opened_at <= at <= timezone.now() else timezone.now()
        _move(inc, t, now)
        _entry(inc, kind=JointEntry.Kind.STATE, text=f"{t.label}{'：' + note.strip() if note.strip() else ''}", action=action, at=now)
    return inc


def record_reading(user: Any, section: BoundarySection, *, at: dt.datetime, values: dict) -> BoundaryReading:
    """Our sample at a boundary section (joint monitoring, lab result): judged, stored and sent to the neighbour."""
    if user is not None:
        policy.require_write(user, section, "只有城运中心和系统管理员可以录入交界断面监测数据")
    if not isinstance(values, dict) or not values:
        raise Invalid("“values”应为非空对象", code="bad_values", detail={"field": "values"})
    try:
        c = gb3838.classify({k: float(v) for k, v in values.items()})
    except (TypeError, ValueError) as exc:
        raise Invalid(f"“values”无法评价：{exc}", code="bad_values", detail={"field": "values"}) from None
    with transaction.atomic():
        reading = _store_reading(section, at, party()[1], c, "")
        audit.created(reading)
        publish(section.neighbour, "reading", {"section": section.code, "time": at.isoformat(), "values": values,
                                               "gb3838": c.values, "water_class": c.water_class, "target_class": section.target_class})
        if not reading.compliant:
            _exceedance(section, reading, c)
    return reading


def publish(neighbour: Neighbour, kind: str, body: dict) -> ExchangeMessage:
    """Queue a message for the neighbour (it pulls it) and, when we know its address, hand the push
    to the job worker after the commit (``watershed.tasks.push_message``, retried): the request that
    caused the message never waits on the neighbour's platform."""
    code, name = party()
    mid = str(uuid.uuid4())
    msg = {"format": FORMAT, "message_id": mid, "sender": code, "sender_name": name, "sent_at": timezone.now().isoformat(), "kind": kind, "body": body}
    out = ExchangeMessage.objects.create(message_id=mid, neighbour=neighbour, direction=ExchangeMessage.Direction.OUT, kind=kind, payload=msg)
    if neighbour.base_url and neighbour.token:
        transaction.on_commit(lambda: _enqueue_push(out.pk))
    return out


# The job that pushes one message (watershed.tasks.push_message registers itself here when the app
# loads, so that this module need not import the tasks that import it).
_push_job: Any = None


def set_push_job(job: Any) -> None:
    global _push_job
    _push_job = job


def _enqueue_push(message_pk: int) -> None:
    if _push_job is None:  # the app not loaded (a bare script): the neighbour's pull still fetches it
        log.warning("no push job registered; message %s left for the neighbour's pull", message_pk)
        return
    _push_job(message_pk)


class PushFailed(Exception):
    """A push that may succeed later (the neighbour unreachable, busy or failing): the job retries it."""


# Answers after which sending the same message again cannot help: the neighbour read it and said no
# (a malformed message, an unknown section). Everything else (network errors, 5xx, 429, a clock
# skew or a secret being rotated on the other side) is retried; the neighbour's pull remains the
# fallback for whatever the retries do not deliver.
FINAL_REFUSALS = frozenset({400, 404, 422})


def push(message_pk: int) -> bool:
    """Send one of our messages to the neighbour's platform. True when it is there (accepted now or
    before: a 409 ``replayed`` means an earlier attempt arrived), False when the neighbour refused
    it for good; raises PushFailed when trying again may succeed. Safe to run twice."""
    import requests

    out = ExchangeMessage.objects.select_related("neighbour").get(pk=message_pk)
    if out.delivered_at is not None:
        return True
    n = out.neighbour
    if not (n.base_url and n.token):
        return False
    path = "/api/v1/exchange/messages"
    body = json.dumps(out.payload, ensure_ascii=False).encode()
    headers = {"Authorization": f"Bearer {n.token}", "Content-Type": "application/json", **signed_headers(n.secret, "POST", path, body)}
    try:
        r = requests.post(n.base_url.rstrip("/") + path, data=body, headers=headers, timeout=PUSH_TIMEOUT_S)
    except requests.RequestException as exc:
        log.warning("push of %s to %s failed: %s (retried; the neighbour's pull also fetches it)", out.message_id, n.name, exc)
        raise PushFailed(f"{n.name}: {exc}") from None
    delivered = r.status_code in (200, 201) or (r.status_code == 409 and '"replayed"' in r.text)
    if delivered:
        ExchangeMessage.objects.filter(pk=out.pk).update(delivered_at=timezone.now())
        return True
    log.warning("push of %s to %s refused: %s %s", out.message_id, n.name, r.status_code, r.text[:200])
    if r.status_code in FINAL_REFUSALS:
        return False
    raise PushFailed(f"{n.name}: HTTP {r.status_code}")


def outbox(neighbour: Neighbour, after: int = 0, limit: int = 200) -> dict:
    rows = list(ExchangeMessage.objects.filter(neighbour=neighbour, direction=ExchangeMessage.Direction.OUT, pk__gt=after).order_by("pk")[:limit])
    code, name = party()
    return {"format": FORMAT, "sender": code, "sender_name": name, "next": rows[-1].pk if rows else after,
            "messages": [r.payload for r in rows]}


# ---------------------------------------------------------------- pulling (the importer)

def pull(user: Any, neighbour: Neighbour, *, source: str | None = None) -> dict:
    """Import a neighbour's messages: from its Chengyun (``base_url``, signed page by page), or from a
    feed in the same format (``source`` or ``feed_url``: a file path or an http(s) URL of a document
    {"format", "sender", "messages": [...], "signature"} signed over the messages' canonical JSON)."""
    if user is not None:
        policy.require_role(user, frozenset({"sysadmin", "ops_shift_leader"}), "只有系统管理员和值班长可以拉取相邻区县数据")
    source = source or neighbour.feed_url
    applied = skipped = 0
    try:
        if source:
            doc = _read_feed(source)
            expected = feed_signature(neighbour.secret, doc.get("messages"))
            if not hmac.compare_digest(expected, str(doc.get("signature") or "")):
                refuse(neighbour, "bad_signature", "", "数据文件签名校验失败")
            pages = [doc]
        else:
            pages = _pull_pages(neighbour)
        for doc in pages:
            for msg in doc.get("messages") or []:
                try:
                    r = receive(neighbour, msg, replay_is_error=False)
                except DomainError:
                    skipped += 1
                    continue
                except IntegrityError:
                    # The same message applied at this moment by a push or another pull: already here.
                    skipped += 1
                    continue
                applied += 1 if r["applied"] else 0
                skipped += 0 if r["applied"] else 1
    except DomainError as exc:
        Neighbour.objects.filter(pk=neighbour.pk).update(last_pulled_at=timezone.now(), pull_error=exc.message[:300])
        raise
    Neighbour.objects.filter(pk=neighbour.pk).update(last_pulled_at=timezone.now(), pull_error="")
    return {"applied": applied, "skipped": skipped}


def pull_interval() -> dt.timedelta | None:
    minutes = int(getattr(settings, "EXCHANGE_PULL_MINUTES", 5))
    return dt.timedelta(minutes=minutes) if minutes > 0 else None


def pull_due(now: dt.datetime | None = None) -> dict[str, Any]:
    """The periodic importer: pull every neighbour with a platform or a feed whose last pull is older
    than CHENGYUN_EXCHANGE_PULL_MINUTES. Idempotent (message ids, the page cursor); one neighbour
    failing is recorded on it (``pull_error``) and does not stop the others."""
    interval = pull_interval()
    if interval is None:
        return {}
    now = now or timezone.now()
    results: dict[str, Any] = {}
    for n in Neighbour.objects.order_by("code"):
        if not (n.feed_url or (n.base_url and n.token)):
            continue
        if n.last_pulled_at is not None and now - n.last_pulled_at < interval:
            continue
        # Claimed by moving the stamp: a run that overlaps a slow one (or a second worker) skips it.
        if not Neighbour.objects.filter(pk=n.pk, last_pulled_at=n.last_pulled_at).update(last_pulled_at=now):
            continue
        try:
            results[n.code] = pull(None, n)
        except DomainError as exc:
            log.warning("periodic pull from %s failed: %s", n.name, exc.message)
            results[n.code] = {"error": exc.message}
    return results


def feed_signature(secret: str, messages: Any) -> str:
    canonical = json.dumps(messages, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()


def _read_feed(source: str) -> dict:
    try:
        if source.startswith(("http://", "https://")):
            import requests

            text = requests.get(source, timeout=PUSH_TIMEOUT_S * 2).text
        else:
            with open(source, encoding="utf-8") as f:
                text = f.read()
        doc = json.loads(text)
    except Exception as exc:
        raise Invalid(f"无法读取数据文件：{exc}", code="bad_feed", detail={"field": "source"}) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise Invalid(f"数据文件格式应为 {FORMAT}", code="bad_feed", detail={"field": "format"})
    return doc


def _pull_pages(neighbour: Neighbour):
    import requests

    if not (neighbour.base_url and neighbour.token):
        raise Invalid("未配置对方平台地址和令牌，也没有数据文件", code="no_source", detail={"field": "base_url"})
    after = neighbour.pulled_up_to
    for _ in range(100):
        path = "/api/v1/exchange/messages"
        query = f"after={after}"
        headers = {"Authorization": f"Bearer {neighbour.token}", **signed_headers(neighbour.secret, "GET", f"{path}?{query}", b"")}
        try:
            r = requests.get(f"{neighbour.base_url.rstrip('/')}{path}?{query}", headers=headers, timeout=PUSH_TIMEOUT_S * 2)
        except requests.RequestException as exc:
            raise Invalid(f"无法连接{neighbour.name}平台：{exc}", code="neighbour_unreachable") from None
        if r.status_code != 200:
            raise Invalid(f"{neighbour.name}平台拒绝拉取：{r.status_code}", code="pull_refused", detail={"status": r.status_code, "body": r.text[:300]})
        ts, sig = r.headers.get("X-Exchange-Timestamp"), r.headers.get("X-Exchange-Signature")
        verify(neighbour, ts, sig, "RESPONSE", f"{path}?{query}", r.content)
        doc = r.json()
        yield doc
        nxt = int(doc.get("next") or after)
        Neighbour.objects.filter(pk=neighbour.pk).update(pulled_up_to=nxt)
        if nxt == after or not doc.get("messages"):
            return
        after = nxt


def export_feed(neighbour: Neighbour, after: int = 0) -> dict:
    """Our messages for a neighbour as a signed feed document (for a file exchange)."""
    doc = outbox(neighbour, after, limit=10_000)
    doc["signature"] = feed_signature(neighbour.secret, doc["messages"])
    return doc


def on_water_alert(alert, verb: str, values) -> None:
    """Water's listener: a new target-class alert at our section where we are upstream of a
    neighbour goes to that neighbour as a reading (it opens the joint incident on its side)."""
    if verb != "raised" or alert.kind != "target_exceeded" or not alert.section_id or not alert.factor or alert.value is None:
        return
    for section in BoundarySection.objects.filter(section_id=alert.section_id, upstream=BoundarySection.Upstream.OURS).select_related("neighbour"):
        try:
            c = gb3838.classify({alert.factor: alert.value})
        except ValueError:
            return
        reading = _store_reading(section, alert.last_seen_at, party()[1], c, "")
        publish(section.neighbour, "reading", {"section": section.code, "time": reading.at.isoformat(), "values": {alert.factor: alert.value},
                                               "gb3838": c.values, "water_class": c.water_class, "target_class": section.target_class})


# ---------------------------------------------------------------- configuration

def register_neighbour(user: Any, *, code: str, name: str, secret: str, base_url: str = "", token: str = "", feed_url: str = "",
                       contact: str = "") -> tuple[Neighbour, str]:
    """A neighbour, its local account and the token (scope ``exchange:*`` only) to hand to it; the key is shown once."""
    from django.contrib.auth import get_user_model

    from chengyun.people.services import create_token

    if user is not None:
        policy.require_create(user, Neighbour, message="只有系统管理员可以登记相邻区县")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise Invalid("请填写相邻区县编码和名称", code="field_required", detail={"field": "code" if not code else "name"})
    if len(secret or "") < 16:
        raise Invalid("共享密钥至少 16 个字符", code="weak_secret", detail={"field": "secret"})
    if Neighbour.objects.filter(code=code).exists():
        raise Invalid(f"相邻区县 {code} 已登记", code="neighbour_exists", detail={"field": "code"})
    with transaction.atomic():
        account = get_user_model().objects.create_user(username=f"exchange-{code.lower()}", first_name=name[:30])
        account.set_unusable_password()
        account.save()
        n = Neighbour.objects.create(code=code, name=name, secret=secret, base_url=base_url, token=token, feed_url=feed_url, contact=contact, account=account)
        audit.created(n)
        _, key = create_token(None, account.username, f"{name}数据交换", scopes=["exchange:*"])
    return n, key


def encrypt_secrets() -> int:
    """Rewrite every neighbour's shared secret and token under the current CHENGYUN_FIELD_KEY:
    plaintext from before, or ciphertext under CHENGYUN_FIELD_KEY_PREVIOUS. Audited (masked)."""
    from chengyun.core import fieldcrypto

    if not fieldcrypto.enabled():
        raise Invalid("未设置 CHENGYUN_FIELD_KEY，字段加密未启用", code="no_field_key")
    rows = list(Neighbour.objects.all())
    with transaction.atomic():
        for n in rows:
            n.save(update_fields=["secret", "token"])  # read decrypted, written encrypted
        audit.action(None, "encrypt_exchange_secrets", otype="watershed.neighbour", object_repr=f"{len(rows)} 个",
                     after={"fields": ["secret", "token"], "cipher": fieldcrypto.cipher(), "count": len(rows)})
    return len(rows)


def add_boundary_section(user: Any, neighbour: Neighbour, *, code: str, name: str, river: str, lng: float, lat: float, upstream: str,
                         target_class: int, our_duty: str = "", their_duty: str = "", section=None) -> BoundarySection:
    if user is not None:
        policy.require_create(user, BoundarySection, message="只有城运中心和系统管理员可以登记交界断面")
    if upstream not in BoundarySection.Upstream.values:
        raise Invalid("“upstream”应为 neighbour 或 ours", code="bad_upstream", detail={"field": "upstream"})
    if target_class not in range(1, 6):
        raise Invalid("“target_class”应为 1～5", code="bad_target", detail={"field": "target_class"})
    if BoundarySection.objects.filter(code=code).exists():
        raise Invalid(f"交界断面 {code} 已登记", code="section_exists", detail={"field": "code"})
    with transaction.atomic():
        s = BoundarySection.objects.create(code=code, name=name, neighbour=neighbour, river=river, lng=lng, lat=lat, upstream=upstream,
                                           target_class=target_class, our_duty=our_duty, their_duty=their_duty, section=section)
        audit.created(s)
    return s


def link_neighbour(user: Any, neighbour: Neighbour, *, base_url: str | None = None, token: str | None = None, feed_url: str | None = None) -> Neighbour:
    """Where the neighbour's platform is and the token it issued to us (known once it registered us)."""
    if user is not None:
        policy.require_write(user, neighbour, "只有系统管理员可以配置相邻区县")
    values = {k: v.strip() for k, v in (("base_url", base_url), ("token", token), ("feed_url", feed_url)) if v is not None}
    if values.get("base_url") and not values["base_url"].startswith(("http://", "https://")):
        raise Invalid("“base_url”应以 http:// 或 https:// 开头", code="bad_url", detail={"field": "base_url"})
    with transaction.atomic():
        audit.save_changes(neighbour, values, verb="neighbour.link")
    return neighbour
