"""/api/v1/exchange/: the cross-boundary data exchange with neighbouring districts (publish and pull).

Only a registered neighbour's account reaches it (its token carries ``exchange:*`` and nothing
else; anyone else gets 403), and every request is signed (services.exchange). The open format is
documented in docs/watershed.md.
"""
from __future__ import annotations

import json

from django.http import HttpResponse
from ninja import Router

from .services import exchange

router = Router(tags=["跨区域数据交换"])

_MESSAGE_SCHEMA = {
    "type": "object", "required": ["format", "message_id", "sender", "kind", "body"],
    "properties": {
        "format": {"type": "string", "enum": [exchange.FORMAT]},
        "message_id": {"type": "string", "maxLength": 64, "description": "报文编号（UUID）；同一编号只处理一次"},
        "sender": {"type": "string", "description": "发送方编码"},
        "sender_name": {"type": "string"},
        "sent_at": {"type": "string", "format": "date-time"},
        "kind": {"type": "string", "enum": list(exchange.KINDS)},
        "body": {"type": "object", "description": "reading：section、time、values（HJ 212 因子编码或 GB 3838 项目键 → 数值）；"
                                                  "incident：uid、section、title、upstream_party、opened_at；entry：uid、incident、kind、party、at、text"},
    },
}
_SIGNED = [{"in": "header", "name": "X-Exchange-Timestamp", "required": True, "schema": {"type": "string"}, "description": "Unix 秒"},
           {"in": "header", "name": "X-Exchange-Signature", "required": True, "schema": {"type": "string"},
            "description": "HMAC-SHA256(共享密钥, 时间戳\\n方法\\n路径\\nsha256(请求体)) 的十六进制"}]


def _signed(request, path: str, body: bytes):
    n = exchange.neighbour_of(request.user)
    exchange.verify(n, request.headers.get("X-Exchange-Timestamp"), request.headers.get("X-Exchange-Signature"), request.method, path, body)
    return n


@router.post("/messages", summary="接收相邻区县推送的一条报文（签名、防重放）",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _MESSAGE_SCHEMA}}}, "parameters": _SIGNED})
def exchange_receive(request):
    n = _signed(request, request.path, request.body)
    try:
        msg = json.loads(request.body or b"null")
    except ValueError:
        msg = None
    return exchange.receive(n, msg)


@router.get("/messages", summary="拉取本区发给调用方的报文（after 之后，响应带签名）", openapi_extra={"parameters": _SIGNED})
def exchange_publish(request, after: int = 0):
    full = request.get_full_path()
    n = _signed(request, full, b"")
    body = json.dumps(exchange.outbox(n, after), ensure_ascii=False).encode()
    resp = HttpResponse(body, content_type="application/json")
    for k, v in exchange.signed_headers(n.secret, "RESPONSE", full, body).items():
        resp[k] = v
    return resp


@router.get("/sections", summary="与调用方约定的交界断面", openapi_extra={"parameters": _SIGNED})
def exchange_sections(request):
    n = _signed(request, request.get_full_path(), b"")
    return [{"code": s.code, "name": s.name, "river": s.river, "target_class": s.target_class,
             "upstream": "you" if s.upstream == "neighbour" else "us"} for s in n.sections.all()]
