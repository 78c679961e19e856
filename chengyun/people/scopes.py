"""What an API token may call: the one table of scopes per API router.

A token carries a list of scopes. ``*`` is everything its owner's roles allow (tokens made before
scopes existed, and tokens made without --scope). Otherwise every request needs the router's
read scope (GET, HEAD, OPTIONS) or write scope (anything else), or ``<prefix>:*``; a few
endpoints also open to a narrower device scope listed in ENDPOINT_SCOPES (a drone's token posts
flights and reads nothing). The role and area policy still applies on top of the scope.
"""
from __future__ import annotations

import re

from chengyun.core.errors import Forbidden

# The prefix an app's router is mounted at (/api/v1/<prefix>/) → the scope family it needs.
# "" is the platform router (health, work calendar). Every mounted router must be listed here
# (tests/people/test_tokens.py checks).
ROUTER_SCOPES: dict[str, str] = {
    "": "platform",
    "people": "people",
    "geo": "geo",
    "monitoring": "monitoring",
    "cases": "cases",
    "reports": "reports",
    "supervision": "supervision",
    "water": "water",
    "drainage": "drainage",
    "roads": "roads",
    "renewal": "renewal",
    "villagefund": "villagefund",
    "watersheds": "watersheds",
    # The cross-boundary exchange: a neighbour's token carries exchange:* and nothing else.
    "exchange": "exchange",
    "streets": "streets",
    "sanitation": "sanitation",
    "waste": "waste",
    "property": "property",
    "cockpit": "cockpit",
    "notifications": "notifications",
    "research": "research",
}

# (method, path under /api/v1/, scope): endpoints a device scope opens besides the router's own.
ENDPOINT_SCOPES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^cases/drone-flights/?$"), "drone:upload"),
    ("POST", re.compile(r"^water/cameras/[^/]+/snapshots/?$"), "camera:upload"),
]

# The Open311 endpoint (outside /api/v1/): reading and posting service requests.
OPEN311_READ = "open311:read"
OPEN311_WRITE = "open311:write"

DEVICE_SCOPES = frozenset(s for _m, _p, s in ENDPOINT_SCOPES)


def known_scopes() -> frozenset[str]:
    fams = set(ROUTER_SCOPES.values())
    out = {"*"} | {f"{f}:{a}" for f in fams for a in ("read", "write", "*")} | set(DEVICE_SCOPES)
    return frozenset(out | {OPEN311_READ, OPEN311_WRITE, "open311:*"})


def check_names(scopes: list[str]) -> list[str]:
    from chengyun.core.errors import Invalid

    scopes = list(dict.fromkeys(s.strip() for s in scopes if s.strip())) or ["*"]
    unknown = sorted(set(scopes) - known_scopes())
    if unknown:
        raise Invalid(f"未知的令牌权限范围：{'、'.join(unknown)}", code="bad_scope",
                      detail={"unknown": unknown, "known": sorted(known_scopes())})
    return scopes


def allows(granted: list[str] | None, needed: str) -> bool:
    granted = granted if granted is not None else ["*"]
    family = needed.split(":", 1)[0]
    return "*" in granted or needed in granted or f"{family}:*" in granted


def needed_for(method: str, api_path: str) -> tuple[str, str | None]:
    """(the router's scope, an endpoint's device scope or None) for a request under /api/v1/."""
    first = api_path.split("/", 1)[0]
    family = ROUTER_SCOPES.get(first, ROUTER_SCOPES[""]) if first in ROUTER_SCOPES else ROUTER_SCOPES[""]
    action = "read" if method in ("GET", "HEAD", "OPTIONS") else "write"
    device = next((s for m, rx, s in ENDPOINT_SCOPES if m == method and rx.match(api_path)), None)
    return f"{family}:{action}", device


def require(granted: list[str] | None, method: str, api_path: str) -> None:
    needed, device = needed_for(method, api_path)
    if allows(granted, needed) or (device is not None and device in (granted or [])):
        return
    raise Forbidden(f"此 API 令牌的权限范围不包括 {needed}", code="token_scope", detail={"needed": needed, "granted": granted})
