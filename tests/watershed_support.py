"""Helpers of the watershed tests (importable as `watershed_support`)."""
from __future__ import annotations

import json

SECRET = "s3cret-shared-with-upstream"


def signed(client, key, secret, method, path, body=None):
    """Send an exchange request signed like a neighbour's platform does."""
    from chengyun.watershed.services.exchange import signed_headers

    raw = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    headers = signed_headers(secret, method, path, raw)
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_X_EXCHANGE_TIMESTAMP": headers["X-Exchange-Timestamp"],
             "HTTP_X_EXCHANGE_SIGNATURE": headers["X-Exchange-Signature"]}
    if method == "GET":
        return client.get(path, **extra)
    return client.post(path, raw, content_type="application/json", **extra)


def reading_message(mid="m-1", section="JJ01", values=None, time="2026-11-20T08:00:00+08:00"):
    return {"format": "chengyun-exchange/1", "message_id": mid, "sender": "UP", "sender_name": "上游区", "sent_at": time, "kind": "reading",
            "body": {"section": section, "time": time, "values": values or {"w01018": 45.0, "w21003": 0.4}}}
