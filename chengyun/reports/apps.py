from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import NavItem
from chengyun.people import roles as R

# Who works with the district's reports: those who generate them and those they are written for
# (leaders, departments, street chiefs, river chiefs). Anyone may still open a report sent to them;
# the menu is for those whose work it is.
REPORT_READERS = R.DISTRICT_WIDE | frozenset({R.DEPT_HANDLER, R.STREET_CHIEF, R.RIVER_CHIEF})


class ReportsConfig(AppConfig):
    name = "chengyun.reports"
    label = "reports"
    url_prefix = "reports"
    api_router = "chengyun.reports.api.router"
    verbose_name = _("报告")
    nav = [NavItem(_("报告归档"), "reports:archive", order=65, group="leader", roles=REPORT_READERS),
           NavItem(_("报告中心"), "reports:centre", order=64, group="leader", roles=REPORT_READERS)]

    def ready(self) -> None:
        from chengyun.people import policy
        from chengyun.people import roles as R

        from .models import ReportRun

        # Generated reports are circulated to every unit (主送各单位); only the services write them.
        policy.register(ReportRun, policy.Rule(read=R.ALL_ROLES, everyone_reads=True, wide_write=frozenset()))

        from .models import ReportSchedule

        # Schedules are read by everyone who reads the archive; reports.schedules decides who sets them.
        policy.register(ReportSchedule, policy.Rule(read=R.ALL_ROLES, everyone_reads=True, wide_write=frozenset()))
