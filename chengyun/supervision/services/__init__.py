"""Every write of the supervision domain: policy check, write, audit entry — in one place.

Views, the API, the Excel import, the CLI and the scheduled jobs call these functions. One module per
concern; this package re-exports their public functions, so callers write `services.create_task(...)`
without knowing which module holds it. The day status is evaluated for is `services.dates.today()`.
"""
from .dates import as_of, cutoff_at, week_of
from .keytasks import (
    create_category, resolve_category, resolve_source, MilestoneSpec, create_task, TASK_FIELDS, update_task, add_milestone,
    update_milestone, complete_milestone, add_link, LINK_URLS, link_url, get_task,
)
from .lifecycle import (
    Transition, WIDE, TRANSITIONS, allowed_actions, transition, milestone_states, evaluate_task, refresh_status, refresh_all,
    status_on,
)
from .daily import tasks_due_entries, submit_daily_entry, missing_entries, BoardRow, daily_board
from .meetings import MEETING_CATEGORY, agenda_for, create_meeting, add_agenda_item, record_meeting, add_decision
from .stalled_projects import (
    PROJECT_FIELDS, create_stalled_project, update_stalled_project, add_measure, add_mediation, add_judicial_support,
    supervise_project,
)
from .reminders import unit_users, ops_users, send_cutoff_reminders, flag_missing, remind_deadlines, escalate_overdue, tick
