"""Sweeping vehicles' positions over MQTT, served by the monitoring ingester's connection.

``chengyun/v1/vehicles/<code>/position`` (QoS 1), JSON::

    {"pw": "the vehicle's feed password", "qn": "optional request number",
     "points": [{"t": "2026-11-25T06:00:05+08:00", "lng": 101.78, "lat": 36.62}, …]}

(or one point: ``{"pw", "t", "lng", "lat"}``). The reply on ``chengyun/v1/vehicles/<code>/ack``
is ``{"qn", "stored", "dropped": [{"index", "reason", …}]}`` — every point the cleaning dropped,
named — or ``{"qn", "error", "message"}`` when the message was refused as a whole. Coverage of
the day is marked stale and recomputed when next shown (services.coverage.ensure_day).
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from chengyun.core.errors import DomainError
from chengyun.geo.tracks import TrackError

from . import trackfile
from .models import Track, Vehicle

logger = logging.getLogger("chengyun.sanitation.mqtt")

PREFIX = "chengyun/v1/vehicles"
POSITION_TOPIC = PREFIX + "/+/position"


def ack_topic(code: str) -> str:
    return f"{PREFIX}/{code}/ack"


def _code(topic: str) -> str:
    parts = topic.split("/")
    return parts[3] if len(parts) == 5 and parts[4] == "position" else ""


def handle_one(code: str, payload: bytes) -> dict[str, Any]:
    from . import services

    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"qn": None, "error": "malformed", "message": "消息不是 UTF-8 JSON"}
    if not isinstance(data, dict):
        return {"qn": None, "error": "malformed", "message": "消息应为 JSON 对象"}
    qn = data.get("qn") if isinstance(data.get("qn"), (str, int)) and not isinstance(data.get("qn"), bool) else None
    vehicle = Vehicle.objects.filter(code=code, active=True).first()
    pw = data.get("pw")
    if vehicle is None or not vehicle.feed_password or not isinstance(pw, str) or not hmac.compare_digest(pw, vehicle.feed_password):
        return {"qn": qn, "error": "auth", "message": "车辆未登记或接入密码错误"}
    items = data.get("points") if "points" in data else [data]
    try:
        points = trackfile.points_from_objects(items)
        report = services.import_points(None, vehicle, points, source=Track.Source.MQTT, recompute=False)
    except TrackError as exc:
        return {"qn": qn, "error": "malformed", "message": str(exc)}
    except DomainError as exc:
        return {"qn": qn, "error": exc.code, "message": exc.message}
    return {"qn": qn, "stored": report.stored, "dropped": report.dropped}


def handle(messages) -> list[tuple[Any, str, dict]]:
    replies = []
    for m in messages:
        code = _code(m.topic)
        if not code:
            replies.append((m, "", {}))
            continue
        try:
            reply = handle_one(code, m.payload)
        except (ValueError, TypeError) as exc:  # one vehicle's surprise must not hold up the others
            logger.exception("position message on %s could not be handled", m.topic)
            reply = {"qn": None, "error": "malformed", "message": f"无法处理：{exc}"[:200]}
        replies.append((m, ack_topic(code), reply))
    return replies
