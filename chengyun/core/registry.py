"""How a domain app plugs into the platform without editing shared files.

An app's AppConfig may declare:
- ``nav``: a list of NavItem for the web shell (shown only to roles that may use them);
- ``api_router``: dotted path of its django-ninja Router, mounted at /api/v1/<api_prefix>/;
- ``api_prefix``: that prefix (defaults to the app label);
- ``demo_generator``: dotted path of ``generate(ctx)`` adding its part of the demo district;
  run in ``demo_order`` (lower first);
- ``demo_services``: extra long-running commands (argument lists for the ``chengyun``
  console script) that ``chengyun demo`` runs beside the web server and the worker.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from django.apps import apps
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class NavItem:
    label: Any  # lazy translated string
    url_name: str
    order: int = 100
    roles: frozenset[str] | None = None  # None: every signed-in user
    children: tuple["NavItem", ...] = field(default_factory=tuple)


def _configs() -> Iterable[Any]:
    return apps.get_app_configs()


def nav_items() -> list[NavItem]:
    items: list[NavItem] = []
    for config in _configs():
        items.extend(getattr(config, "nav", ()) or ())
    return sorted(items, key=lambda i: i.order)


def api_routers() -> list[tuple[str, Any]]:
    routers = []
    for config in _configs():
        path = getattr(config, "api_router", None)
        if path:
            routers.append((getattr(config, "api_prefix", config.label), import_string(path)))
    return routers


def demo_generators() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for config in _configs():
        path = getattr(config, "demo_generator", None)
        if path:
            found.append((getattr(config, "demo_order", 100), config.label, import_string(path)))
    return [(label, fn) for _, label, fn in sorted(found, key=lambda t: (t[0], t[1]))]


def demo_services() -> list[tuple[str, list[str]]]:
    services = []
    for config in _configs():
        for argv in getattr(config, "demo_services", ()) or ():
            services.append((config.label, list(argv)))
    return services


def page_urlconfs() -> list[tuple[str, str, str]]:
    """(url prefix, urlconf module, namespace) for apps that declare ``url_prefix``."""
    found = []
    for config in _configs():
        prefix = getattr(config, "url_prefix", None)
        if prefix:
            found.append((prefix, f"{config.name}.urls", config.label))
    return found


def root_urlconfs() -> list[str]:
    """Extra urlconfs an app mounts at the site root (e.g. /open311/v2/), via ``root_urlconf``."""
    return [c.root_urlconf for c in _configs() if getattr(c, "root_urlconf", None)]
