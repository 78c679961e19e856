"""Domain errors carry an HTTP status, a machine-readable code and a Chinese message.

The API turns them into {"code", "message", "detail"}; pages show the message; the CLI prints it.
"""
from __future__ import annotations

from typing import Any

from django.http import JsonResponse


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message = "请求有误"

    def __init__(self, message: str | None = None, *, code: str | None = None, detail: Any = None, status: int | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        if status:
            self.status = status
        self.detail = detail
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class Invalid(DomainError):
    status = 422
    code = "invalid"
    default_message = "提交的数据有误"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = "您无权执行此操作"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = "对象不存在或您无权查看"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "操作与当前状态冲突"


def error_response(status: int, code: str, message: str, detail=None, **headers) -> JsonResponse:
    """The API's error shape ({code, message, detail}) for refusals made before any view runs."""
    response = JsonResponse({"code": code, "message": message, "detail": detail}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class StorageFull(DomainError):
    """The disk (or the database's tablespace) ran out while writing: nothing was saved."""

    status = 503
    code = "storage_full"
    default_message = "存储空间已满：本次提交未保存，请稍后重试并通知系统管理员"


# How each backend says it: SQLite's SQLITE_FULL text, PostgreSQL's disk_full (SQLSTATE 53100)
# and its "could not extend file", and the operating system's ENOSPC / EDQUOT.
_FULL_TEXT = ("database or disk is full", "no space left on device", "could not extend file", "disk quota exceeded")


def storage_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is the storage running out."""
    import errno

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(exc, "sqlstate", None) == "53100" or getattr(exc, "pgcode", None) == "53100":
            return True
        if any(t in str(exc).lower() for t in _FULL_TEXT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
