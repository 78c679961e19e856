from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem

from . import access


class CockpitConfig(AppConfig):
    """The leader's cockpit (领导驾驶舱): every module's registered panel on one big screen, and
    each role's home page (what the role works on, not the district's plain counts)."""

    name = "chengyun.cockpit"
    label = "cockpit"
    url_prefix = "cockpit"
    api_prefix = "cockpit"
    api_router = "chengyun.cockpit.api.router"
    verbose_name = _("领导驾驶舱")
    home_page = "chengyun.cockpit.home.home"
    nav = [NavItem(_("领导驾驶舱"), "cockpit:screen", order=5, roles=access.VIEWERS, group="leader")]
    # The cockpit's own panels join the modules': they read across modules (cases and supervision).
    cockpit_panels = [
        CockpitPanel("cockpit.leader", _("需要领导关注"), "chengyun.cockpit.leader.needs_leader", order=1),
        CockpitPanel("cockpit.rankings", _("排名与本月变化"), "chengyun.cockpit.rankings.rankings", order=90),
    ]
