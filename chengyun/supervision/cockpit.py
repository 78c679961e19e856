"""Supervision's panel on the leader's cockpit: key tasks in progress by red/yellow/green, with
the district's three rectification drives (道路塌陷、污水溢流、半拉子工程) pinned on top.

The counts go through the task board's own filter (TaskFilter) on what the user may see, and
link to the board with the same parameters (the board shows tasks in progress unless asked)."""
from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from chengyun.core.panels import given, list_url
from chengyun.core.registry import Figure, PanelData, PanelScope
from chengyun.people import policy

from .filters import TaskFilter
from .models import KeyTask

# The three drives of the district's rectification plan, in the order the leader reads them.
PINNED_CATEGORIES = ("road_collapse", "sewage_overflow", "stalled")
STATUS_LABELS = {"red": "红色（逾期）", "yellow": "黄色（滞后或临期）", "green": "绿色（正常）"}


def active_tasks(user, **params):
    """The board's rows for ``params``: visible, filtered, in progress."""
    qs = policy.visible(user, KeyTask.objects.all())
    return TaskFilter(**given(params)).filter(qs).filter(state=KeyTask.State.ACTIVE)


def pinned(user) -> list[KeyTask]:
    """Each drive's task: the category's rectification task in progress with the widest cooperation."""
    qs = (policy.visible(user, KeyTask.objects.select_related("category", "lead_unit"))
          .filter(state=KeyTask.State.ACTIVE, source=KeyTask.Source.RECTIFICATION, category__code__in=PINNED_CATEGORIES)
          .annotate(partners=Count("cooperating_units", distinct=True)).order_by("-partners", "start_date", "code"))
    first: dict[str, KeyTask] = {}
    for task in qs:
        first.setdefault(task.category.code, task)
    return [first[c] for c in PINNED_CATEGORIES if c in first]


def keytasks(scope: PanelScope) -> PanelData:
    counts = dict(active_tasks(scope.user).order_by().values("status").annotate(n=Count("id", distinct=True)).values_list("status", "n"))
    figures = [Figure(_(STATUS_LABELS[s]), counts.get(s, 0), _("项"), list_url("supervision:board", status=s), status=s)
               for s in ("red", "yellow", "green")]
    rows = [{"label": t.title, "value": f"{t.actual_progress:.0f}% / {t.planned_progress:.0f}%", "url": t.get_absolute_url(),
             "status": t.status, "group": _("三项整治"), "note": t.status_reason[:60]}
            for t in pinned(scope.user)]
    total = sum(counts.values())
    chart = {
        "tooltip": {"trigger": "item"},
        "color": ["#d23c3c", "#e0a100", "#2e9d57"],
        "series": [{"type": "pie", "radius": ["45%", "70%"], "label": {"formatter": "{b} {c}"},
                    "data": [{"name": _(STATUS_LABELS[s]), "value": counts.get(s, 0)} for s in ("red", "yellow", "green")]}],
    } if total else None
    return PanelData(figures=figures, rows=rows, chart=chart, note=_("重点任务按全区统计，不随街道筛选"))
