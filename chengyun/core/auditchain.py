"""The audit log's hash chain: canonical hashing of an entry, the chain lock and linking new
entries (see ``auditlog`` for the whole design). It imports no model, so the model can use it."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from django.db import connection, transaction
from django.utils import timezone

GENESIS = "0" * 64
_LOCK_KEY = 0x43594155  # "CYAU": the advisory lock id of the audit chain
HASHED_FIELDS = ("seq", "prev_hash", "at", "request_id", "actor_id", "actor_name", "source", "ip", "action", "verb",
                 "object_type", "object_id", "object_repr", "before", "after")


def _at(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: Any) -> bytes:
    data = {f: getattr(entry, f) for f in HASHED_FIELDS}
    data["at"] = _at(entry.at)
    data["ip"] = str(entry.ip) if entry.ip else None
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=True).encode()


def digest(entry: Any) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


@contextmanager
def chain_lock() -> Iterator[None]:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                c.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        yield


def link(entries: Iterable[Any]) -> None:
    """Give unsaved entries their seq, prev_hash and hash. Call inside chain_lock()."""
    entries = list(entries)
    if not entries:
        return
    seq, prev = type(entries[0]).chain_head()
    for e in entries:
        if e.at is None:
            e.at = timezone.now()
        # What is hashed is exactly what the JSON column gives back.
        e.before = json.loads(json.dumps(e.before)) if e.before is not None else None
        e.after = json.loads(json.dumps(e.after)) if e.after is not None else None
        seq += 1
        e.seq, e.prev_hash = seq, prev
        e.hash = digest(e)
        prev = e.hash
