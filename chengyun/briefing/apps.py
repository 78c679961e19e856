from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BriefingConfig(AppConfig):
    """The district's own reports — daily brief, weekly consultation pack, monthly summary — that
    join cases, supervision and water. It sits above those apps, so the report centre
    (chengyun.reports, below them) stays a registry that knows no domain."""

    name = "chengyun.briefing"
    label = "briefing"
    verbose_name = _("综合报告")
    demo_generator = "chengyun.briefing.demo.generate"
    demo_order = 95  # last: the archive reports on every other module's demo data, research included

    def ready(self) -> None:
        from chengyun.reports import kinds

        from . import reporting

        for kind in reporting.KINDS:
            kinds.register(kind)
