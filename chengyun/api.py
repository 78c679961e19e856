"""The JSON API at /api/v1/: one NinjaAPI, each app's router mounted under its prefix.

Browser pages call it with their session (CSRF-checked); devices and integrations with
`Authorization: Bearer <token>`. Every error is {"code", "message" (Chinese), "detail"}.
"""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from chengyun import __version__
from chengyun.core import current
from chengyun.core.errors import DomainError, StorageFull, storage_full
from chengyun.core.registry import api_routers


logger = logging.getLogger("chengyun.storage")


class TokenAuth(HttpBearer):
    openapi_description = "API 令牌：`chengyun token create 用户名` 生成"

    def authenticate(self, request, token: str):
        from chengyun.core.middleware import client_ip
        from chengyun.people import scopes
        from chengyun.people.services import token_for_key

        api_token = token_for_key(token, client_ip(request))
        if api_token is None:
            return None
        # The token's scopes (chengyun.people.scopes.ROUTER_SCOPES) before any view runs: 403.
        scopes.require(api_token.scopes, request.method, request.path.removeprefix("/api/v1/"))
        user = api_token.user
        request.user = user
        request.api_token = api_token
        current.set_user(user)
        return user


class ChineseJSONRenderer(JSONRenderer):
    # Chinese messages readable as they are, not as \u escape sequences.
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="城运 Chengyun API",
    version=__version__,
    description="城运中心平台接口。错误统一为 {code, message, detail}；时间为带时区的 ISO 8601。",
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
    docs_url="/docs",
)


def _error(request, status: int, code: str, message: str, detail=None):
    return api.create_response(request, {"code": code, "message": message, "detail": detail}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    detail = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors]
    fields = "、".join(".".join(str(p) for p in d["loc"][1:] or d["loc"]) for d in detail)
    return _error(request, 422, "invalid", f"请求参数有误：{fields}" if fields else "请求参数有误", detail)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, "unauthenticated", "请先登录，或在 Authorization 头中提供有效的 API 令牌")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "对象不存在或您无权查看")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or "您无权执行此操作")


# django-ninja raises HttpError with English text (e.g. "Cannot parse request body"); the
# client gets a Chinese message and a stable code, the original text in detail.
_HTTP_ERRORS = {
    400: ("bad_request", "请求无法解析：请求体应为有效的 JSON（或所声明的表单格式）"),
    # ninja raises 403 for a session request without a valid CSRF token (its only HttpError 403).
    403: ("csrf_failed", "CSRF 校验失败：请刷新页面后重试（程序调用请使用 API 令牌）"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("too_large", "请求体过大"),
    415: ("unsupported_media_type", "不支持该内容类型"),
}


@api.exception_handler(OverflowError)
def _overflow(request, exc):
    # A number past what the database holds (SQLite's 64-bit integers) names no record and fits no
    # field: the caller's input, not a server error.
    return _error(request, 422, "out_of_range", "数值超出允许范围", {"reason": str(exc)[:200]})


@api.exception_handler(DatabaseError)
@api.exception_handler(OSError)
def _storage_full(request, exc):
    if not storage_full(exc):
        raise exc
    logger.critical("存储空间已满，接口请求 %s %s 未保存：%s", request.method, request.path, exc)
    error = StorageFull()
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code, message = _HTTP_ERRORS.get(exc.status_code, ("error", "请求无法处理"))
    return _error(request, exc.status_code, code, message, {"reason": str(exc)})


for prefix, router in api_routers():
    api.add_router(f"/{prefix}/" if prefix else "/", router)
