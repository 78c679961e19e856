"""Water alerts: raised by the evaluation (through ``readings``) and the periodic device check,
worked through one declared table of transitions (``TRANSITIONS``): acknowledged, disposed
of, or escalated to a city-management case or a supervision task. Device alerts close
themselves when the device is heard from again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from chengyun.core import audit, current
from chengyun.core.errors import Conflict, Invalid
from chengyun.core.notify import notify
from chengyun.core.stamps import StampedCache
from chengyun.people import policy
from chengyun.people import roles as R
from chengyun.people.models import Person

from ..evaluation import SHANGHAI
from ..models import Alert, Outfall, Section
from ..rules import rule
from .checks import OPS, case_point


def _open_key(kind: str, site_kind: str, code: str, factor: str) -> str:
    return f"{kind}:{site_kind}:{code}:{factor}"


# Other apps follow alerts without water knowing them (drainage keeps its overflow records from
# overflow alerts): each listener is called, inside the write's transaction, with the alert, what
# happened — "raised", "repeat" (new sightings counted on the open alert) or "closed" — and the
# evidence values of this sighting. Registered from the listening app's ``ready()``.
AlertListener = Callable[[Alert, str, Sequence[float]], None]
_alert_listeners: list[AlertListener] = []


def on_alert_change(listener: AlertListener) -> None:
    if listener not in _alert_listeners:
        _alert_listeners.append(listener)


def _announce(alert: Alert, verb: str, values: Sequence[float] = ()) -> None:
    for listener in list(_alert_listeners):
        listener(alert, verb, tuple(values))


def raise_alert(site: Section | Outfall, kind: str, *, at: dt.datetime, message: str, factor: str = "", value: float | None = None,
                threshold: float | None = None, device_mn: str = "", dedup_factor: str | None = None,
                times: Sequence[dt.datetime] = (), values: Sequence[float] = ()) -> Alert:
    """Open an alert, or count a repeat on the open one of the same site, kind and factor.

    ``at`` is the newest evidence; ``times`` all evidence times of this call when a batch
    found several (each one newer than the alert's last sighting counts once). Re-evaluating
    the same evidence changes nothing, so the hook may run twice on the same readings.
    ``dedup_factor`` keys the open alert differently from the factor recorded (a section has
    one open target-class alert whichever factor limits it this hour). ``values`` are all
    evidence values of this call, for the listeners (default: ``value``).
    """
    times = sorted(set(times) | {at})
    values = tuple(values) or ((value,) if value is not None else ())
    key = _open_key(kind, site.SITE_KIND, site.code, factor if dedup_factor is None else dedup_factor)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(open_key=key).first()
        if alert is not None:
            new = sum(t > alert.last_seen_at for t in times)
            if new:
                before = audit.snapshot(alert)
                alert.last_seen_at, alert.occurrences = at, alert.occurrences + new
                alert.value, alert.threshold, alert.message = value, threshold, message[:500]
                alert.save(update_fields=["last_seen_at", "occurrences", "value", "threshold", "message"])
                audit.updated(alert, before, verb="repeat")
                _announce(alert, "repeat", values)
            return alert
        fields = dict(kind=kind, grid_id=site.grid_id, street_id=site.street_id, device_mn=device_mn, factor=factor, value=value,
                      threshold=threshold, message=message[:500], first_seen_at=times[0], last_seen_at=at, occurrences=len(times),
                      open_key=key)
        fields["section" if site.SITE_KIND == "section" else "outfall"] = site
        try:
            with transaction.atomic():
                alert = Alert.objects.create(**fields)
        except IntegrityError:
            # A concurrent evaluation opened it first: count on that one.
            return raise_alert(site, kind, at=at, message=message, factor=factor, value=value, threshold=threshold,
                               device_mn=device_mn, dedup_factor=dedup_factor, times=times, values=values)
        audit.created(alert)
        _announce(alert, "raised", values)
        if kind in DEVICE_ALERT_KINDS:
            _devices_alerted.bump()
    _notify_new_alert(alert)
    return alert


def _notify_new_alert(alert: Alert) -> None:
    recipients = list(Person.objects.filter(active=True, user__isnull=False, roles__code__in=[R.OPS_SHIFT_LEADER]).select_related("user").distinct())
    site = alert.site
    chief = getattr(site, "chief", None) or (site.reach.chief if site.reach_id and site.reach.chief_id else None)
    if chief is not None and chief.person.user_id:
        recipients.append(chief.person)
    users = [p.user for p in recipients if p.user_id]
    if users:
        notify(users, f"水环境告警：{alert.get_kind_display()}（{site.name}）", body=alert.message,
               url=f"/water/alerts/{alert.pk}/", level="warning", dedup_key=f"water.alert:{alert.pk}", kind="reach_alert")


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    # No roles: nobody may take it by hand, only the system (user None).
    roles: frozenset[str]
    required: tuple[str, ...] = ()
    # Escalations go out once: a second case or task for the same alert would duplicate work.
    once: bool = False
    # The alert kinds it applies to; None: all. `refusal` tells the others why not.
    kinds: frozenset[str] | None = None
    refusal: str = ""

    def applies(self, alert: Alert) -> bool:
        return self.kinds is None or alert.kind in self.kinds


_S = Alert.Status
_HANDLERS = R.OPS_CENTER | frozenset({R.SYSADMIN, R.RIVER_CHIEF, R.STREET_CHIEF, R.DEPT_HANDLER})

# Silent and stale devices are conditions the system can see end: when the device reports
# again, the alert closes itself (``resolve_device_alerts``).
DEVICE_ALERT_KINDS = frozenset({Alert.Kind.DEVICE_SILENT, Alert.Kind.DEVICE_STALE})

# The alert lifecycle: new → acknowledged → disposed; escalating hands it to a case or a
# supervision task and leaves it acknowledged until someone closes it with a note.
# A device alert also closes when the device is heard from again, acknowledged or escalated
# alike: the fault it reports is over, and a supervision task keeps its own course (its
# handler reads on the alert why it closed; whoever acknowledged it is notified).
TRANSITIONS: dict[str, Transition] = {
    "acknowledge": Transition("确认", frozenset({_S.NEW}), _S.ACKNOWLEDGED, _HANDLERS),
    "dispose": Transition("处置完毕", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.DISPOSED, _HANDLERS, ("disposal_note",)),
    # A silent device is an upkeep matter for the ops center, not a city-management case.
    "to_case": Transition("转为城市管理案件", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.ACKNOWLEDGED, OPS, once=True,
                          kinds=frozenset(Alert.Kind.values) - DEVICE_ALERT_KINDS,
                          refusal="设备离线/停更属于运维问题，请转督办任务而不是城市管理案件"),
    "to_task": Transition("转为督办任务", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.ACKNOWLEDGED, OPS, ("lead_unit", "deadline"), once=True),
    "auto_close": Transition("设备恢复上报，系统自动关闭", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.DISPOSED, frozenset(),
                             ("disposal_note",), kinds=DEVICE_ALERT_KINDS),
    # Rain entered after the fact can make every sighting of a dry-weather alert a wet-day flow.
    "rain_recorded": Transition("补录降雨，系统撤销", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.DISPOSED, frozenset(),
                                ("disposal_note",), kinds=frozenset({Alert.Kind.DRY_WEATHER_FLOW})),
    # Flow back under the weir for a while: the overflow is over (``overflow``); a person may also dispose of it.
    "overflow_ended": Transition("溢流结束，系统关闭", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.DISPOSED, frozenset(),
                                 ("disposal_note",), kinds=frozenset({Alert.Kind.OUTFALL_OVERFLOW})),
    # A looser target class can leave an open exceedance alert with nothing left to report (``targets``).
    "target_changed": Transition("目标类别调整，系统关闭", frozenset({_S.NEW, _S.ACKNOWLEDGED}), _S.DISPOSED, frozenset(),
                                 ("disposal_note",), kinds=frozenset({Alert.Kind.TARGET_EXCEEDED})),
}


def allowed_transitions(user: Any, alert: Alert) -> list[str]:
    p = policy.principal(user)
    if not policy.can_write(user, alert):
        return []
    return [name for name, t in TRANSITIONS.items()
            if alert.status in t.sources and t.applies(alert) and p.has(t.roles) and not (t.once and (alert.case_number or alert.task_id))]


def _begin(user: Any, alert: Alert, name: str, fields: dict[str, Any]) -> Transition:
    t = TRANSITIONS.get(name)
    if t is None:
        raise Invalid(f"未知操作 {name}", code="unknown_transition")
    if user is not None:
        policy.require_write(user, alert, "您无权处理该告警")
        policy.require_role(user, t.roles, f"您的角色不能执行“{t.label}”")
    if not t.applies(alert):
        raise Conflict(t.refusal or f"{alert.get_kind_display()}告警不能{t.label}", code="bad_transition")
    if alert.status not in t.sources:
        raise Conflict(f"告警当前为“{alert.get_status_display()}”，不能{t.label}", code="bad_transition")
    if t.once and (alert.case_number or alert.task_id):
        where = f"案件 {alert.case_number}" if alert.case_number else f"督办任务 #{alert.task_id}"
        raise Conflict(f"该告警已转为{where}，不能重复转办", code="already_escalated")
    missing = [f for f in t.required if fields.get(f) in (None, "")]
    if missing:
        names = {"disposal_note": "处置说明", "lead_unit": "牵头单位", "deadline": "办理期限"}
        raise Invalid(f"{t.label}需要填写：{'、'.join(names.get(m, m) for m in missing)}", code="missing_fields", detail={"fields": missing})
    return t


def _finish(user: Any, alert: Alert, name: str, t: Transition, before: dict[str, Any]) -> None:
    now = timezone.now()
    if t.target == _S.ACKNOWLEDGED and alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, user
    if t.target == _S.DISPOSED:
        alert.disposed_at, alert.disposed_by = now, user
        alert.open_key = None  # a later exceedance opens a fresh alert
    alert.status = t.target
    alert.save()
    audit.action(alert, name, before=before, after={k: v for k, v in audit.snapshot(alert).items() if before.get(k) != v})
    if t.target == _S.DISPOSED and alert.kind in DEVICE_ALERT_KINDS:
        _devices_alerted.bump()
    if t.target == _S.DISPOSED:
        _announce(alert, "closed")


def acknowledge_alert(user: Any, alert: Alert) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        t = _begin(user, alert, "acknowledge", {})
        before = audit.snapshot(alert)
        _finish(user, alert, "acknowledge", t, before)
    return alert


def dispose_alert(user: Any, alert: Alert, *, disposal_note: str) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        t = _begin(user, alert, "dispose", {"disposal_note": (disposal_note or "").strip()})
        before = audit.snapshot(alert)
        alert.disposal_note = disposal_note.strip()
        _finish(user, alert, "dispose", t, before)
    return alert


# ---------------------------------------------------------------- device alerts closing themselves

def _open_device_alert_mns() -> frozenset[str]:
    return frozenset(Alert.objects.filter(kind__in=DEVICE_ALERT_KINDS, open_key__isnull=False).values_list("device_mn", flat=True))


# The ingest hook asks this for every batch: a memory lookup, with one stamp query every few
# seconds, so only a device that has an open silent/stale alert costs a query on the ingest
# path. Alerts are opened by the periodic job in another process, hence a shared stamp.
_devices_alerted: StampedCache[frozenset[str]] = StampedCache("water.device_alerts", _open_device_alert_mns)


def has_open_device_alert(device_mn: str) -> bool:
    return device_mn in _devices_alerted.get()


def _local(t: dt.datetime) -> str:
    return f"{t.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def resolve_device_alerts(device_mn: str, *, heard_at: dt.datetime | None, newest_data: dt.datetime | None,
                          now: dt.datetime | None = None, alerts: Sequence[Alert] | None = None) -> list[Alert]:
    """Close the device's open silent / stale alerts whose condition no longer holds, as the system.

    Silent ends when the device was heard from (``heard_at``) within the silent window; stale
    ends when its newest data time is within the stale window — the same tests that raise them,
    so an alert closed here is not raised again by the next check. ``alerts`` are the device's
    open device alerts if the caller already has them. Returns the alerts closed."""
    now = now or timezone.now()
    silent_ok = heard_at is not None and now - heard_at <= dt.timedelta(minutes=int(rule("silent_minutes")))
    stale_ok = newest_data is not None and now - newest_data <= dt.timedelta(minutes=int(rule("stale_minutes")))
    if not (silent_ok or stale_ok):
        return []
    if alerts is None:
        alerts = list(Alert.objects.filter(kind__in=DEVICE_ALERT_KINDS, device_mn=device_mn, open_key__isnull=False))
    notes = {}
    if silent_ok:
        notes[Alert.Kind.DEVICE_SILENT] = f"设备恢复上报（{_local(heard_at)}），系统自动关闭"
    if stale_ok:
        notes[Alert.Kind.DEVICE_STALE] = f"设备数据恢复更新（最新数据时间 {_local(newest_data)}），系统自动关闭"
    closed = []
    ctx = current.get()
    # The system closes it, whichever request, job or ingest thread noticed: the audit entry
    # must not name a person who merely uploaded data.
    with current.acting(None, source=ctx.source, request_id=ctx.request_id):
        for a in alerts:
            if a.kind in notes:
                done = auto_close(a, notes[a.kind])
                if done is not None:
                    closed.append(done)
    return closed


def auto_close(alert: Alert, note: str, name: str = "auto_close") -> Alert | None:
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("section", "outfall", "acknowledged_by").get(pk=alert.pk)
        t = TRANSITIONS[name]
        if alert.status not in t.sources:
            return None  # someone disposed of it meanwhile
        _begin(None, alert, name, {"disposal_note": note})
        before = audit.snapshot(alert)
        alert.disposal_note = note
        _finish(None, alert, name, t, before)
    if alert.acknowledged_by_id:
        site = alert.site
        notify([alert.acknowledged_by], kind="reach_alert", title=f"水环境告警已自动关闭：{alert.get_kind_display()}（{site.name}）", body=note,
               url=f"/water/alerts/{alert.pk}/", dedup_key=f"water.alert:{alert.pk}:{name}")
    return alert


def case_category(alert: Alert) -> str:
    """The city-management catalogue item an alert becomes: 0130 for discharges, 0126 for river pollution."""
    if alert.kind in (Alert.Kind.DEVICE_SILENT, Alert.Kind.DEVICE_STALE):
        raise Invalid("设备离线/停更属于运维问题，请转督办任务而不是城市管理案件", code="not_a_case")
    if alert.kind == Alert.Kind.DRY_WEATHER_FLOW or alert.outfall_id:
        return "0130"
    return "0126"


# Whether the drainage network has a node under a code. Drainage is the higher app, so it is
# handed in (``register_network_nodes``); until it is, no outfall offers a trace.
_network_has_node: Callable[[str], bool] | None = None


def register_network_nodes(has_node: Callable[[str], bool] | None) -> None:
    global _network_has_node
    _network_has_node = has_node


def outfall_trace_url(outfall: Outfall) -> str:
    """The drainage network upstream of an outfall: where an illicit discharge comes from.
    Empty when no network node carries the outfall's code (e.g. a treatment plant's outfall):
    a link there would lead to a trace of nothing."""
    if _network_has_node is None or not _network_has_node(outfall.code):
        return ""
    return f"/drainage/trace/?node={outfall.code}&direction=upstream"


def trace_url(alert: Alert) -> str:
    return outfall_trace_url(alert.outfall) if alert.outfall_id else ""


def escalate_alert(user: Any, alert: Alert, *, to: str, lead_unit=None, deadline: dt.date | None = None, note: str = "") -> Alert:
    """Turn an alert into a city-management case (to="case") or a supervision task (to="task")."""
    name = {"case": "to_case", "task": "to_task"}.get(to)
    if name is None:
        raise Invalid("转办去向应为 case（案件）或 task（督办任务）", code="invalid_target", detail={"field": "to"})
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("section", "outfall", "outfall__unit").get(pk=alert.pk)
        t = _begin(user, alert, name, {"lead_unit": lead_unit, "deadline": deadline})
        before = audit.snapshot(alert)
        site = alert.site
        text = f"【水环境告警】{site.name}（{site.code}）{alert.get_kind_display()}：{alert.message}"
        if note:
            text += f"\n{note}"
        if to == "case":
            from chengyun.cases import services as cases

            url = trace_url(alert)
            lng, lat = case_point(site)
            # The case is the system's sensor report (only the system files "sensor" cases);
            # who escalated it is in this alert's audit trail.
            case = cases.report(
                None, source="sensor", category_code=case_category(alert), lng=lng, lat=lat, description=text,
                address=f"{site.water_body.name} {site.name}", external_id=f"water.alert:{alert.pk}", occurred_at=alert.first_seen_at,
                extra={"water_alert": alert.pk, "site_kind": alert.site_kind, "site_code": site.code, **({"trace_url": url} if url else {})},
            )
            alert.case_id, alert.case_number = case.pk, str(case.number)
        else:
            from chengyun.supervision import services as supervision

            if deadline < timezone.localdate():
                raise Invalid("办理期限不能早于今天", code="invalid_deadline", detail={"field": "deadline"})
            links = [("water.alert", str(alert.pk)), (f"water.{alert.site_kind}", site.code)]
            if alert.case_number:
                links.append(("cases.case", alert.case_number))
            task = supervision.create_task(
                user, title=f"{site.name}{alert.get_kind_display()}督办", source="rectification", category="river",
                lead_unit=lead_unit, deadline=deadline, description=text, links=links,
            )
            alert.task_id = task.pk
        _finish(user, alert, name, t, before)
    return alert

