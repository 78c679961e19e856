"""Rendered fragments of busy list pages, shared by every web process and kept exact.

A fragment is stored in the Django cache (Redis in production) under a key made of:

- the versions of the change stamps the fragment depends on, read from the database on every
  request (one primary-key query) — a write bumps its stamp as its transaction commits
  (`changed`), so a request that starts after the write returned sees a new version and
  renders afresh: never stale;
- what the viewer's scope does to the query: the caller passes the compiled SQL and parameters
  of the scoped queryset, so two people share a fragment only when the database would give
  them the same rows — a narrower scope (other grids, another unit, their own reports) is a
  different statement, hence a different key: nothing one scope hides leaks into another;
- the active language, and whatever else the caller names (page number, query string).

A fragment must hold nothing personal. A form's CSRF token is the one per-session value the
list pages carry: render with `csrf_token=CSRF_PLACEHOLDER` in the context and `personalise`
puts the viewer's token in.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from typing import Callable, Iterable, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import QuerySet
from django.middleware.csrf import get_token
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

T = TypeVar("T")
TIMEOUT = 300  # seconds; the stamps make fragments exact, this only bounds the cache's memory
CSRF_PLACEHOLDER = "\x00csrf\x00"
# CHENGYUN_PAGE_CACHE=0 renders every time: the load benchmark's "before" in the same run conditions.
ENABLED = os.environ.get("CHENGYUN_PAGE_CACHE", "1") != "0"


def versions(names: Iterable[str]) -> str:
    from .models import ChangeStamp

    names = sorted(names)
    found = dict(ChangeStamp.objects.filter(name__in=names).values_list("name", "version"))
    return ",".join(f"{n}={found.get(n, 0)}" for n in names)


def query_key(qs: QuerySet) -> str:
    """The scoped query as the database will run it: equal keys, equal rows."""
    if qs.query.is_empty():
        return "empty"
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # a condition no row can meet (an `in` over an empty list): no rows, for anyone
        return "empty"
    return f"{sql}|{params!r}"


def cached(name: str, stamp_names: Iterable[str], parts: Iterable[object], build: Callable[[], T]) -> T:
    """What `build()` would return (rendered HTML, or a page of rows as plain data), from the
    cache when nothing it depends on moved. The stamps are read before `build` queries the rows,
    so a value is never filed under a version older than its data."""
    stamp_names = list(stamp_names)
    if not ENABLED or any(_pending(n) for n in stamp_names):
        return build()  # this transaction wrote what the value shows: others don't see it yet
    version = versions(stamp_names)
    db = settings.DATABASES[DEFAULT_DB_ALIAS]
    where = f"{db.get('HOST', '')}:{db.get('PORT', '')}/{db.get('NAME', '')}"  # installations may share one Redis
    raw = "\x1f".join([name, where, get_language() or "", version, *map(str, parts)])
    key = f"pagecache:{name}:{hashlib.sha256(raw.encode()).hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, TIMEOUT)
    return value


def personalise(request, html: str) -> str:
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)


def changed(name: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Mark stamp `name` as moved by the current write: bumped once, as the transaction commits
    (at once outside a transaction); a rolled-back write bumps nothing. Bumping after the commit
    rather than inside the transaction keeps case writes from queueing on the stamp's row lock."""
    if not connections[using].in_atomic_block:
        bump(name)
    elif not _pending(name, using):  # one bump per transaction, however many rows it saves

        def after_commit() -> None:
            bump(name)

        after_commit.stamp_name = name
        transaction.on_commit(after_commit, using=using)


def bump(name: str) -> None:
    """A new random version rather than +1: a database restored from a backup goes back to an
    old version, and the writes after it must not meet values cached for other writes that
    once carried the same number."""
    from .models import ChangeStamp

    value = secrets.randbits(62)
    if not ChangeStamp.objects.filter(name=name).update(version=value):
        ChangeStamp.objects.get_or_create(name=name, defaults={"version": value})


def _pending(name: str, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the open transaction has a bump of `name` waiting for its commit. Django drops
    the callbacks of a rolled-back transaction or savepoint, so this forgets them too."""
    conn = connections[using]
    return conn.in_atomic_block and any(getattr(entry[1], "stamp_name", None) == name for entry in conn.run_on_commit)
