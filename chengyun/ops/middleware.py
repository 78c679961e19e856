"""Request-level hardening and measurement: CSP and related headers, body size limits,
per-address rate limits on public write endpoints, and request latency for /metrics."""
from __future__ import annotations

import math
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.utils.translation import gettext as _

from chengyun.core.errors import error_response
from chengyun.core.middleware import client_ip


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every response (Django's SecurityMiddleware and
    XFrameOptionsMiddleware add nosniff, Referrer-Policy, COOP, X-Frame-Options and HSTS)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        response.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        return response


class RequestSizeLimitMiddleware:
    """A declared body over REQUEST_MAX_BYTES is refused before it is read; a form or JSON body
    over DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises while parsing) becomes the same clear 413."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            return self._too_large(length, settings.REQUEST_MAX_BYTES)
        # A form or JSON body is read whole into memory (the CSRF check reads forms before any
        # view, where Django's own limit would surface as a bare 400): judge it by its length here.
        # Multipart bodies stream files to disk, so only their text fields count (checked while parsing).
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit and not request.content_type.startswith("multipart/"):
            return self._too_large(length, limit)
        return self.get_response(request)

    def _too_large(self, length: int | None, limit: int) -> JsonResponse:
        return error_response(413, "too_large", _("请求体过大，上限 %(limit).1f MB") % {"limit": limit / 1048576},
                              {"limit_bytes": limit, "content_length": length})

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return self._too_large(None, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
            return error_response(413, "too_many_fields", _("表单字段或文件数量过多"), {"reason": str(exception)})
        return None


class RateLimitMiddleware:
    """Fixed-window counters per client address in the shared cache (Redis in production, so
    every web process counts together). Over the limit: 429, a Chinese message, Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.rules = [(name, frozenset(methods), re.compile(pattern), count, window)
                      for name, (methods, pattern, (count, window)) in settings.RATE_LIMITS.items() if count > 0]

    def __call__(self, request):
        for name, methods, pattern, count, window in self.rules:
            if request.method in methods and pattern.match(request.path_info):
                refused = self._over(name, client_ip(request) or "unknown", count, window)
                if refused is not None:
                    return error_response(429, "rate_limited", _("提交过于频繁，请 %(seconds)s 秒后再试") % {"seconds": refused},
                                          {"limit": count, "window_seconds": window, "retry_after": refused},
                                          Retry_After=str(refused))
        return self.get_response(request)

    @staticmethod
    def _over(name: str, ip: str, count: int, window: int) -> int | None:
        now = time.time()
        slot = math.floor(now / window)
        key = f"ratelimit:{name}:{ip}:{slot}"
        cache.add(key, 0, timeout=window + 5)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 5)
            used = 1
        if used > count:
            return max(1, math.ceil((slot + 1) * window - now))
        return None


class MetricsMiddleware:
    """Request latency by route pattern (bounded label values), method and status class."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import metrics

        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.route or match.view_name) if match else "unmatched"
        method = request.method if request.method in metrics.METHODS else "other"
        metrics.observe_request(method, route, response.status_code, time.perf_counter() - started)
        return response
