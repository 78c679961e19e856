"""Locking out repeated failed sign-ins (GB/T 22239-2019 8.1.4.1 b: 登录失败处理).

Failures are counted per subject — the account (username), the client address, or the API
token / Open311 api_key (by its prefix) — within LOGIN_THROTTLE_WINDOW_SECONDS. At
LOGIN_THROTTLE_ATTEMPTS the subject is locked for LOGIN_LOCKOUT_SECONDS. Counts live in the
database (not a cache) so that every process agrees and the security administrator can see and
lift a lock. Locking and unlocking are audited.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chengyun.core import audit

from .models import Lockout

Subject = tuple[str, str]  # (Lockout.Kind, subject)


def subjects_for_login(username: str, ip: str | None) -> list[Subject]:
    out = [(Lockout.Kind.ACCOUNT, (username or "").strip().lower()[:150])]
    if ip:
        out.append((Lockout.Kind.ADDRESS, ip))
    return out


def subjects_for_token(key: str, ip: str | None) -> list[Subject]:
    out = [(Lockout.Kind.TOKEN, (key or "")[:10])]
    if ip:
        out.append((Lockout.Kind.ADDRESS, ip))
    return out


def locked(subjects: Iterable[Subject], now: dt.datetime | None = None) -> Lockout | None:
    """The first of these subjects that is locked now, or None."""
    now = now or timezone.now()
    for kind, subject in subjects:
        lock = Lockout.objects.filter(kind=kind, subject=subject, locked_until__gt=now).first()
        if lock is not None:
            return lock
    return None


def _row(kind: str, subject: str, now: dt.datetime) -> Lockout:
    lock = Lockout.objects.select_for_update().filter(kind=kind, subject=subject).first()
    if lock is not None:
        return lock
    try:
        with transaction.atomic():
            return Lockout.objects.create(kind=kind, subject=subject, failures=0, window_start=now, last_failure_at=now)
    except IntegrityError:  # another process created it first
        return Lockout.objects.select_for_update().get(kind=kind, subject=subject)


def record_failure(subjects: Iterable[Subject], *, now: dt.datetime | None = None) -> Lockout | None:
    """Count one failure for each subject; returns a lock that this failure set, if any."""
    now = now or timezone.now()
    window = dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    newly_locked = None
    with transaction.atomic():
        for kind, subject in subjects:
            if not subject:
                continue
            lock = _row(kind, subject, now)
            if lock.locked_until and lock.locked_until > now:
                continue
            if now - lock.window_start > window or (lock.locked_until and lock.locked_until <= now):
                lock.failures, lock.window_start, lock.locked_until = 0, now, None
            lock.failures += 1
            lock.last_failure_at = now
            if lock.failures >= settings.LOGIN_THROTTLE_ATTEMPTS:
                lock.locked_until = now + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
                newly_locked = lock
                lock.save()
                audit.action(lock, "lock", after={"kind": kind, "subject": subject, "failures": lock.failures,
                                                  "locked_until": lock.locked_until})
            else:
                lock.save()
    return newly_locked


def clear(subjects: Iterable[Subject]) -> None:
    """A successful sign-in forgets the failures of its account and address (not active locks)."""
    now = timezone.now()
    for kind, subject in subjects:
        Lockout.objects.filter(kind=kind, subject=subject).exclude(locked_until__gt=now).delete()


def unlock(user: Any, lock: Lockout) -> None:
    """Lift a lock (security administrator, or the CLI operator when user is None)."""
    from . import policy
    from . import roles as R

    if user is not None:
        policy.require_role(user, {R.SECURITY_ADMIN, R.SYSADMIN}, "只有安全管理员可以解除锁定")
    with transaction.atomic():
        before = {"kind": lock.kind, "subject": lock.subject, "failures": lock.failures, "locked_until": lock.locked_until}
        audit.action(lock, "unlock", before=before, after=None)
        Lockout.objects.filter(pk=lock.pk).delete()


def unlock_subject(user: Any, kind: str, subject: str) -> int:
    locks = list(Lockout.objects.filter(kind=kind, subject=subject))
    for lock in locks:
        unlock(user, lock)
    return len(locks)


def active_locks(now: dt.datetime | None = None):
    return Lockout.objects.filter(locked_until__gt=now or timezone.now()).order_by("-locked_until")


def minutes_left(lock: Lockout) -> int:
    return max(1, math.ceil((lock.locked_until - timezone.now()).total_seconds() / 60))


def forget_stale(now: dt.datetime | None = None) -> int:
    """Remove counters whose window has passed and whose lock (if any) is over."""
    now = now or timezone.now()
    window_start = now - dt.timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    stale = Lockout.objects.filter(last_failure_at__lt=window_start).exclude(locked_until__gt=now)
    return stale.delete()[0]
