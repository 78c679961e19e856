"""Recording changes. Services call these after every write of domain data."""
from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any, Iterable, Mapping

from django.db import models

from . import auditchain, current
from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


# Secrets (device passwords, …) never reach the log: a masked field is recorded as MASK, and an
# update that changes it as {"value": MASK, "changed": true}. Apps register theirs from ready().
MASK = "******"
_masked: dict[str, frozenset[str]] = {}


def mask_fields(model: type[models.Model], *names: str) -> None:
    """Record these fields of ``model`` as MASK in every audit entry (created, updated, deleted, bulk)."""
    key = object_type(model)
    _masked[key] = frozenset(_masked.get(key, frozenset()) | set(names))


def _masked_of(obj: Any) -> frozenset[str]:
    return _masked.get(object_type(obj), frozenset()) if _masked else frozenset()


class Snapshot(dict):
    """A snapshot; for masked fields it also keeps, out of the JSON, whether they held a value
    that ``updated`` can compare (a digest, never written anywhere)."""

    masked_digests: dict[str, str]


def _digest(value: Any) -> str:
    import hashlib

    return hashlib.sha256(str(value).encode()).hexdigest()


def snapshot(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The object's concrete field values (and many-to-many ids) as JSON-ready data."""
    skip = set(exclude)
    data = Snapshot()
    data.masked_digests = {}
    masked = _masked_of(obj)
    for f in obj._meta.concrete_fields:
        if f.name in skip:
            continue
        if f.name in masked:
            value = getattr(obj, f.attname)
            data[f.attname] = MASK if value not in (None, "") else value
            data.masked_digests[f.attname] = _digest(value)
            continue
        data[f.attname] = _jsonable(getattr(obj, f.attname))
    if obj.pk is not None:
        for f in obj._meta.many_to_many:
            if f.name not in skip:
                data[f.name] = sorted(getattr(obj, f.name).values_list("pk", flat=True))
    return data


def object_type(obj_or_model: Any) -> str:
    meta = obj_or_model._meta
    return f"{meta.app_label}.{meta.model_name}"


def _entry(action: str, obj: Any, *, before: Any, after: Any, verb: str = "", object_id: str | None = None, object_repr: str | None = None, otype: str | None = None) -> AuditEntry:
    ctx = current.get()
    user = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
    return AuditEntry(
        request_id=ctx.request_id,
        actor=user,
        actor_name=(user.get_full_name() or user.get_username()) if user else "",
        source=ctx.source,
        ip=ctx.ip,
        action=action,
        verb=verb,
        object_type=otype or object_type(obj),
        object_id=str(object_id if object_id is not None else getattr(obj, "pk", "") or ""),
        object_repr=(object_repr if object_repr is not None else str(obj))[:255],
        before=_jsonable(before),
        after=_jsonable(after),
    )


def created(obj: models.Model, *, verb: str = "") -> AuditEntry:
    entry = _entry(AuditEntry.Action.CREATE, obj, before=None, after=snapshot(obj), verb=verb)
    entry.save()
    return entry


def updated(obj: models.Model, before: dict[str, Any], *, verb: str = "") -> AuditEntry | None:
    """Record the fields that changed; nothing is recorded when nothing changed."""
    after_full = snapshot(obj)
    changed = {k for k in after_full if before.get(k) != after_full.get(k)}
    secret_changed = set()
    before_digests = getattr(before, "masked_digests", {})
    for k, digest in getattr(after_full, "masked_digests", {}).items():
        if k in before_digests and before_digests[k] != digest:
            secret_changed.add(k)
    changed |= secret_changed
    if not changed:
        return None
    entry = _entry(
        AuditEntry.Action.UPDATE, obj,
        before={k: before.get(k) for k in sorted(changed)},
        after={k: {"value": after_full[k], "changed": True} if k in secret_changed else after_full[k] for k in sorted(changed)},
        verb=verb,
    )
    entry.save()
    return entry


def save_changes(obj: models.Model, values: Mapping[str, Any], *, verb: str = "") -> AuditEntry | None:
    """Set `values` on a stored record, save it and record what changed (None when nothing did)."""
    before = snapshot(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()
    return updated(obj, before, verb=verb)


def deleted(obj: models.Model, before: dict[str, Any] | None = None, *, verb: str = "") -> AuditEntry:
    entry = _entry(AuditEntry.Action.DELETE, obj, before=before if before is not None else snapshot(obj), after=None, verb=verb)
    entry.save()
    return entry


def action(obj: Any, verb: str, *, before: Any = None, after: Any = None, otype: str | None = None, object_id: str | None = None, object_repr: str | None = None) -> AuditEntry:
    """A named action (a workflow transition, an import, a merge) with what it changed."""
    entry = _entry(AuditEntry.Action.ACTION, obj, before=before, after=after, verb=verb, otype=otype, object_id=object_id, object_repr=object_repr)
    entry.save()
    return entry


def bulk_created(objs: Iterable[models.Model], *, verb: str = "import") -> int:
    """One entry per created object, written in one statement (importers, generators)."""

    entries = [_entry(AuditEntry.Action.CREATE, o, before=None, after=snapshot_fields(o), verb=verb) for o in objs]
    with auditchain.chain_lock():
        auditchain.link(entries)
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def snapshot_fields(obj: models.Model) -> dict[str, Any]:
    """Concrete fields only (no many-to-many query), for bulk paths."""
    masked = _masked_of(obj)
    return {f.attname: (MASK if f.name in masked and getattr(obj, f.attname) not in (None, "") else _jsonable(getattr(obj, f.attname)))
            for f in obj._meta.concrete_fields}
