"""How a domain app plugs into the platform without editing shared files.

An app's AppConfig may declare:
- ``nav``: a list of NavItem for the web shell (shown only to roles that may use them);
- ``api_router``: dotted path of its django-ninja Router, mounted at /api/v1/<api_prefix>/;
- ``api_prefix``: that prefix (defaults to the app label);
- ``extra_api_routers``: further (prefix, dotted path) pairs, for an app serving a second API family;
- ``demo_generator``: dotted path of ``generate(ctx)`` adding its part of the demo district;
  run in ``demo_order`` (lower first);
- ``demo_services``: extra long-running commands (argument lists for the ``chengyun``
  console script) that ``chengyun demo`` runs beside the web server and the worker; or a
  method taking the values of the app's ``demo_settings`` and returning those lists;
- ``cockpit_panels``: a list of CockpitPanel, the app's contribution to the leader's cockpit
  (issue 14): the cockpit renders whatever is registered, so a new module adds its panel
  without touching the cockpit;
- ``home_page``: dotted path of ``fn(request)`` returning the signed-in user's home page (a
  response) or None to let the next app (or the plain home page) answer: each role lands on its work;
- ``demo_settings``: a list of DemoSetting, the ports and addresses those services use, each
  offered as a ``chengyun demo`` option and read from a ``CHENGYUN_*`` setting; a port some
  service listens on is checked before anything starts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Mapping

from django.apps import apps
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


# The domains the navigation is grouped by, in the order shown (key: label). Labels are
# keys are what a NavItem's ``group`` names.
NAV_GROUPS: dict[str, Any] = {
    "leader": _("领导决策"),
    "cityops": _("城市管理"),
    "supervision": _("督查督办"),
    "water": _("水环境"),
    "drainage": _("排水与道路"),
    "renewal": _("城市更新"),
    "governance": _("基层治理"),  # property management, the village fund
    "system": _("系统管理"),
}


@dataclass(frozen=True)
class NavItem:
    label: Any  # lazy translated string
    url_name: str
    order: int = 100
    roles: frozenset[str] | None = None  # None: every signed-in user
    children: tuple["NavItem", ...] = field(default_factory=tuple)
    group: str = ""  # a NAV_GROUPS key; "" while an app has not said


@dataclass(frozen=True)
class PanelScope:
    """What a cockpit panel is asked for: whose eyes, which days (inclusive), which street."""

    user: Any
    start: date
    end: date
    street_id: int | None = None


@dataclass(frozen=True)
class Figure:
    """One number on a panel. ``url`` is the filtered list behind it: its count must equal ``value``."""

    label: Any
    value: Any
    unit: Any = ""
    url: str = ""
    status: str = ""  # "", "green", "yellow" or "red"
    # False when ``value`` is not a number of rows (an amount, a rate): ``url`` then leads to the
    # page that explains it, and the list-count check (tests/cockpit) leaves it out.
    counted: bool = True


@dataclass
class PanelData:
    figures: list[Figure] = field(default_factory=list)
    chart: dict | None = None  # an ECharts option, plain data (no functions: it travels as JSON)
    rows: list[dict] = field(default_factory=list)  # a ranking or table: {"label", "value", "url", "status"}
    points: list[dict] = field(default_factory=list)  # map markers: {"lng", "lat", "label", "status", "url"}
    note: Any = ""


@dataclass(frozen=True)
class CockpitPanel:
    key: str  # unique across apps, e.g. "cases.today"
    title: Any
    compute: str  # dotted path of ``fn(scope: PanelScope) -> PanelData``
    order: int = 100
    roles: frozenset[str] | None = None  # None: every role that reaches the cockpit

    def data(self, scope: PanelScope) -> PanelData:
        return import_string(self.compute)(scope)


@dataclass(frozen=True)
class DemoSetting:
    """A port or address a module's demo services use: ``chengyun demo`` option and setting at once."""

    option: str  # e.g. "--hj212-port"
    setting: str  # the Django setting, e.g. "HJ212_PORT"; its environment variable is CHENGYUN_<setting>
    help: str
    kind: type = int  # int for a port, str for an address
    # For a port: what listens on it (in the user's words), where, and the first argument of the
    # demo service that opens it (so a service that dies at start can be told from a taken port).
    service: Any = ""
    host: str = "127.0.0.1"
    served_by: str = ""

    @property
    def env(self) -> str:
        return f"CHENGYUN_{self.setting}"

    @property
    def listens(self) -> bool:
        return bool(self.service)


def _configs() -> Iterable[Any]:
    return apps.get_app_configs()


def nav_items() -> list[NavItem]:
    items: list[NavItem] = []
    for config in _configs():
        items.extend(getattr(config, "nav", ()) or ())
    return sorted(items, key=lambda i: i.order)


def cockpit_panels() -> list[CockpitPanel]:
    panels: list[CockpitPanel] = []
    for config in _configs():
        panels.extend(getattr(config, "cockpit_panels", ()) or ())
    return sorted(panels, key=lambda p: (p.order, p.key))


def nav_groups(items: Iterable[NavItem]) -> list[tuple[str, Any, list[NavItem]]]:
    """(key, label, items) per domain in NAV_GROUPS order; items of no (or an unknown) group come last."""
    by_group: dict[str, list[NavItem]] = {}
    for item in items:
        by_group.setdefault(item.group if item.group in NAV_GROUPS else "", []).append(item)
    groups = [(key, label, by_group[key]) for key, label in NAV_GROUPS.items() if by_group.get(key)]
    if by_group.get(""):
        groups.append(("", "", by_group[""]))
    return groups


def home_pages() -> list[Callable[..., Any]]:
    return [import_string(c.home_page) for c in _configs() if getattr(c, "home_page", None)]


def api_routers() -> list[tuple[str, Any]]:
    routers = []
    for config in _configs():
        path = getattr(config, "api_router", None)
        if path:
            routers.append((getattr(config, "api_prefix", config.label), import_string(path)))
        # A second router of the same app under a prefix of its own (watershed's /exchange/).
        for prefix, extra in getattr(config, "extra_api_routers", ()) or ():
            routers.append((prefix, import_string(extra)))
    return routers


def demo_generators() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for config in _configs():
        path = getattr(config, "demo_generator", None)
        if path:
            found.append((getattr(config, "demo_order", 100), config.label, import_string(path)))
    return [(label, fn) for _, label, fn in sorted(found, key=lambda t: (t[0], t[1]))]


def demo_settings() -> list[DemoSetting]:
    found: list[DemoSetting] = []
    for config in _configs():
        found.extend(getattr(config, "demo_settings", ()) or ())
    return found


def demo_services(values: Mapping[str, Any] | None = None) -> list[tuple[str, list[str]]]:
    """(app label, argv) of every app's demo services; ``values`` are the demo settings' values."""
    from django.conf import settings

    if values is None:
        values = {s.setting: getattr(settings, s.setting) for s in demo_settings()}
    services = []
    for config in _configs():
        declared = getattr(config, "demo_services", ()) or ()
        if callable(declared):
            declared = declared(values)
        for argv in declared or ():
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
