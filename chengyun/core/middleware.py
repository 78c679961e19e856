from __future__ import annotations

import logging
import re

from . import current

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

logger = logging.getLogger("chengyun.storage")


def client_ip(request) -> str | None:
    """The client's address; behind a proxy listed in TRUSTED_PROXIES (nginx), the address that
    proxy saw (X-Real-IP, else the last X-Forwarded-For hop), which a client cannot forge."""
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR") or None
    if remote and remote in getattr(settings, "TRUSTED_PROXIES", ()):
        real = request.META.get("HTTP_X_REAL_IP", "").strip()
        forwarded = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        return real or (forwarded[-1] if forwarded else remote)
    return remote


class RequestContextMiddleware:
    """Gives each request one id (or the caller's X-Request-ID) shared by all its audit entries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else current.new_request_id()
        source = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        with current.acting(None, source=source, request_id=request_id, ip=client_ip(request)):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class ActorMiddleware:
    """After session authentication: the signed-in user is the actor of this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            current.set_user(request.user)
        return self.get_response(request)


class DomainErrorMiddleware:
    """A DomainError escaping a page view becomes a page with its status and Chinese message
    (403, 404, 409, 422) instead of a server error. The API renders its own JSON errors."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from .errors import DomainError, StorageFull, storage_full

        if isinstance(exception, DomainError):
            return render(request, "core/error.html", {"error": exception}, status=exception.status)
        if storage_full(exception):
            # A full disk is the operator's to fix, not a bug: the user is told nothing was saved
            # (the transaction rolled back), the log says what ran out.
            logger.critical("存储空间已满，请求 %s %s 未保存：%s", request.method, request.path, exception)
            error = StorageFull()
            return render(request, "core/error.html", {"error": error}, status=error.status)
        return None
