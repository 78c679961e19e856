from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from chengyun.core.registry import CockpitPanel, NavItem
from chengyun.people import roles as R


class SupervisionConfig(AppConfig):
    name = "chengyun.supervision"
    label = "supervision"
    url_prefix = "supervision"
    verbose_name = _("督查督办")
    api_router = "chengyun.supervision.api.router"
    demo_generator = "chengyun.supervision.demo.generate"
    demo_order = 40
    # Lead units' handlers and the district-wide roles; area-bound field roles have no tasks here.
    nav = [NavItem(_("督查督办"), "supervision:board", order=40,
                   roles=R.DISTRICT_WIDE | R.UNIT_BOUND, group="supervision")]
    cockpit_panels = [CockpitPanel("supervision.keytasks", _("重点任务红黄绿"), "chengyun.supervision.cockpit.keytasks", order=20)]

    def ready(self) -> None:
        from chengyun.core.audit_display import register_verbs

        from .services.lifecycle import TRANSITIONS

        register_verbs("supervision.keytask", {k: t.label for k, t in TRANSITIONS.items()})  # the audit page names each transition
        from chengyun.people import policy
        from chengyun.reports import kinds

        from . import models as m
        from . import reporting

        # Task definitions are the ops center's and the leaders'; a lead unit reads its tasks
        # and writes only its own daily entries (and its own stalled projects' records).
        wide = R.OPS_CENTER | {R.DISTRICT_LEADER, R.SYSADMIN}
        # The lead unit and the cooperating units (配合单位) see a task; only the lead unit reports on it.
        task_units = ("lead_unit_id", "cooperating_units")
        policy.register(m.KeyTask, policy.Rule(read=R.UNIT_BOUND, unit=task_units, wide_write=wide, distinct=True))
        via_task = tuple(f"task__{path}" for path in task_units)
        policy.register(m.Milestone, policy.Rule(read=R.UNIT_BOUND, unit=via_task, wide_write=wide, distinct=True))
        policy.register(m.TaskLink, policy.Rule(read=R.UNIT_BOUND, unit=via_task, wide_write=wide, distinct=True))
        policy.register(m.StatusHistory, policy.Rule(read=R.UNIT_BOUND, unit=via_task, wide_write=frozenset(), distinct=True))
        policy.register(m.DailyEntry, policy.Rule(read=R.UNIT_BOUND, write=R.UNIT_BOUND, unit="unit_id", wide_write=wide))
        for model in (m.Meeting, m.AgendaItem, m.Decision):
            policy.register(model, policy.Rule(read=R.ALL_ROLES, everyone_reads=True, wide_write=wide))
        policy.register(m.Category, policy.Rule(read=R.ALL_ROLES, everyone_reads=True, wide_write=frozenset({R.SYSADMIN, R.OPS_SHIFT_LEADER})))
        policy.register(m.StalledProject, policy.Rule(read=R.UNIT_BOUND, write=R.UNIT_BOUND, unit="lead_unit_id", wide_write=wide))
        for model in (m.ProjectMeasure, m.Mediation, m.JudicialSupport):
            policy.register(model, policy.Rule(read=R.UNIT_BOUND, write=R.UNIT_BOUND, unit="project__lead_unit_id", wide_write=wide))

        kinds.register(reporting.MONTHLY)
        kinds.register(reporting.DAILY)
