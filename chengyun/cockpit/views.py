"""The big screen (领导驾驶舱): every registered panel rendered on the server for the first paint,
then each panel refreshed in place by polling its fragment (htmx), so the screen never reloads."""
from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode

from chengyun.core.errors import DomainError, Forbidden, NotFound
from chengyun.geo.models import Street
from chengyun.people import policy

from . import access
from .collect import as_json, collect, make_scope


def _require_viewer(request) -> None:
    try:
        policy.require_role(request.user, access.VIEWERS, "您的角色无权查看领导驾驶舱")
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None


def _scope(request):
    query = {k: request.GET.get(k) or None for k in ("start", "end", "street")}
    try:
        return make_scope(request.user, **query), query
    except DomainError as exc:
        messages.error(request, exc.message)
        return make_scope(request.user), {}


def _context(result) -> dict:
    data = as_json(result)
    data["points_json"] = json.dumps(data["points"], ensure_ascii=False)
    data["chart_json"] = json.dumps(data["chart"], ensure_ascii=False) if data["chart"] else ""
    groups: dict[str, list] = {}
    for row in data["rows"]:
        groups.setdefault(row.get("group", ""), []).append(row)
    data["row_groups"] = list(groups.items())
    return data


@login_required
def screen(request):
    _require_viewer(request)
    scope, query = _scope(request)
    panels = [_context(r) for r in collect(scope)]
    return render(request, "cockpit/screen.html", {
        "panels": panels, "scope": scope, "streets": Street.objects.order_by("code"),
        "street": query.get("street") or "", "query": urlencode({k: v for k, v in query.items() if v}),
        "refresh": access.refresh_seconds(), "wall": request.GET.get("wall") == "1",
    })


@login_required
def panel(request, key: str):
    _require_viewer(request)
    scope, query = _scope(request)
    try:
        (result,) = collect(scope, key)
    except NotFound:
        raise Http404() from None
    return render(request, "cockpit/_panel.html", {"p": _context(result), "query": urlencode({k: v for k, v in query.items() if v}),
                                                   "refresh": access.refresh_seconds()})
