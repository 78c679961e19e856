"""Working-time arithmetic for case deadlines (pure Python, no Django).

City-management case time limits (GB/T 30428 practice) are stated in one of
four units:

========================  ==================================================
``urgent_hour`` 紧急工作时  continuous clock hours; nights and holidays count
``work_hour``   工作时      hours inside working periods on working days only
``work_day``    工作日      one full working day of working hours (8 h by default)
``natural_day`` 自然日      calendar days, i.e. n x 24 continuous hours
========================  ==================================================

Which dates are working days comes from ``chinese_calendar`` (statutory
holidays and 调休 make-up days), falling back to Monday-Friday for years the
library has no data for, with per-date overrides taking precedence (the Django
layer passes in administrators' corrections).  Paused intervals (挂账) do not
count towards any unit.

Decisions callers rely on:

* A deadline is the *earliest* instant at which the counted time reaches the
  limit.  So a limit used up exactly at the end of a working period ends there
  (Mon 08:00 + 4 work_hour = Mon 12:00, not 14:00; Mon 08:00 + 1 work_day =
  Mon 18:00), a zero limit ends at the start instant itself, and a start
  outside working hours begins counting at the next period start
  (Mon 10:00 + 1 work_day = Tue 10:00).
* An open pause (end None) that begins before the limit runs out makes the
  deadline unknown: ``add`` returns None rather than raising, because "paused
  indefinitely" is a normal state for a case.  ``elapsed`` treats an open pause
  as lasting until the instant being measured.
* Every datetime argument must be timezone-aware (naive -> ValueError); any
  zone is accepted and results come back in the calendar's zone.  Arithmetic is
  done in UTC, so zones with DST would also be handled correctly.
* ``work_day`` defaults to the total length of the configured working periods
  (8 h for 08:00-12:00 + 14:00-18:00); ``work_day_hours`` overrides it.
* Years chinese_calendar has no data for (it raises NotImplementedError) fall
  back to Monday-Friday; the library must be upgraded each year once the State
  Council publishes the next year's holiday notice, and overrides bridge the gap.
* Times are kept to the microsecond; ``add`` walks day by day (60 work_days
  take a few milliseconds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "DEFAULT_WORKING_HOURS",
    "UNITS",
    "Pause",
    "WorkCalendar",
    "WorkingHours",
]

WorkingHours = Sequence[tuple[time, time]]
Pause = tuple[datetime, datetime | None]

UNITS: tuple[str, ...] = ("urgent_hour", "work_hour", "work_day", "natural_day")
_CONTINUOUS_UNITS = frozenset({"urgent_hour", "natural_day"})

DEFAULT_WORKING_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 0), time(12, 0)),
    (time(14, 0), time(18, 0)),
)

_UTC = timezone.utc
_US = timedelta(microseconds=1)
# A walk that finds no working time in this many days means the calendar is
# misconfigured (e.g. overrides closing every day); fail loudly, don't spin.
_MAX_WALK_DAYS = 366 * 100

# Interval bounds are UTC datetimes; None as an end means "open-ended".
_Interval = tuple[datetime, datetime | None]


class WorkCalendar:
    """Working days, working periods and the four time-limit units for one time zone.

    ``work_day_hours`` defaults to the total length of ``working_hours`` (8 h
    for the default 08:00-12:00 + 14:00-18:00), so "1 work_day" from any
    instant lands at the same clock time on the next working day.
    """

    def __init__(
        self,
        working_hours: WorkingHours = DEFAULT_WORKING_HOURS,
        overrides: Mapping[date, bool] | None = None,
        tz: str | tzinfo = "Asia/Shanghai",
        work_day_hours: float | None = None,
    ) -> None:
        self._periods = _check_working_hours(working_hours)
        self._overrides = _check_overrides(overrides or {})
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz
        day_seconds = sum(
            (datetime.combine(date.min, e) - datetime.combine(date.min, s)).total_seconds() for s, e in self._periods
        )
        if work_day_hours is None:
            self.work_day_seconds = day_seconds
        else:
            if isinstance(work_day_hours, bool) or not math.isfinite(work_day_hours) or work_day_hours <= 0:
                raise ValueError(f"work_day_hours must be a positive number, got {work_day_hours!r}")
            self.work_day_seconds = float(work_day_hours) * 3600.0
        self._workday_cache: dict[date, bool] = {}

    @property
    def working_hours(self) -> tuple[tuple[time, time], ...]:
        return self._periods

    @property
    def overrides(self) -> Mapping[date, bool]:
        return dict(self._overrides)

    # -- calendar -----------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """Override, else chinese_calendar, else Monday-Friday for years it does not cover.

        An aware datetime is reduced to its local date in this calendar's zone.
        """
        if isinstance(d, datetime):
            d = _aware(d, "d").astimezone(self.tz).date()
        cached = self._workday_cache.get(d)
        if cached is not None:
            return cached
        if d in self._overrides:
            result = self._overrides[d]
        else:
            try:
                result = bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                # The library only knows years whose holiday notice has been
                # published; until it is upgraded, administrators' overrides
                # cover the real holidays.
                result = d.weekday() < 5
        self._workday_cache[d] = result
        return result

    # -- public arithmetic --------------------------------------------------

    def add(
        self,
        start: datetime,
        amount: float,
        unit: str,
        pauses: Iterable[Pause] = (),
    ) -> datetime | None:
        """Deadline for a limit of ``amount`` ``unit`` starting at ``start``.

        Returns an aware datetime in this calendar's zone, or None when an
        open pause (end None) stops the clock before the limit is used up:
        the deadline is then unknown until the pause is closed.  A pause that
        opens only after the limit has run out does not affect the deadline.
        """
        unit_seconds = self._unit_seconds(unit)
        need = _amount_us(amount, unit_seconds)
        start_utc = _aware(start, "start").astimezone(_UTC)
        merged = _merge_pauses(pauses)
        if need == 0:
            return start_utc.astimezone(self.tz)
        for s, e in self._counted_intervals(start_utc, unit, merged):
            if e is None:
                return (s + need * _US).astimezone(self.tz)
            length = (e - s) // _US
            # `<=`: a limit used up exactly at a period's end ends there.
            if need <= length:
                return (s + need * _US).astimezone(self.tz)
            need -= length
        return None

    def elapsed(
        self,
        start: datetime,
        end: datetime,
        unit: str,
        pauses: Iterable[Pause] = (),
    ) -> float:
        """How many ``unit`` have been used between ``start`` and ``end`` (0 if end <= start).

        An open pause counts as paused up to ``end``.
        """
        unit_seconds = self._unit_seconds(unit)
        used = self._counted_us(start, end, unit, pauses)
        return used / 1_000_000 / unit_seconds

    def used_fraction(
        self,
        start: datetime,
        deadline: datetime,
        now: datetime,
        unit: str,
        pauses: Iterable[Pause] = (),
    ) -> float:
        """Share of the limit used at ``now``, measured in the limit's own clock.

        0.8 is the usual early-warning threshold; values above 1 mean overdue.
        A limit of zero length reports 1.0 once ``now`` reaches the deadline.
        """
        pauses = list(pauses)
        total = self.elapsed(start, deadline, unit, pauses)
        if total <= 0:
            return 1.0 if _aware(now, "now") >= _aware(deadline, "deadline") else 0.0
        return self.elapsed(start, now, unit, pauses) / total

    def working_seconds_between(self, a: datetime, b: datetime, pauses: Iterable[Pause] = ()) -> float:
        """Working seconds in [a, b) on this calendar (0 if b <= a)."""
        return self._counted_us(a, b, "work_hour", pauses) / 1_000_000

    # -- internals ----------------------------------------------------------

    def _unit_seconds(self, unit: str) -> float:
        if unit in ("urgent_hour", "work_hour"):
            return 3600.0
        if unit == "work_day":
            return self.work_day_seconds
        if unit == "natural_day":
            return 86400.0
        raise ValueError(f"unknown time-limit unit {unit!r}; expected one of {', '.join(UNITS)}")

    def _counted_us(self, start: datetime, end: datetime, unit: str, pauses: Iterable[Pause]) -> int:
        a = _aware(start, "start").astimezone(_UTC)
        b = _aware(end, "end").astimezone(_UTC)
        merged = _merge_pauses(pauses)
        if b <= a:
            return 0
        total = 0
        for s, e in self._counted_intervals(a, unit, merged):
            if s >= b:
                break
            stop = b if e is None or e > b else e
            total += (stop - s) // _US
        return total

    def _counted_intervals(self, start_utc: datetime, unit: str, pauses: list[_Interval]) -> Iterator[_Interval]:
        if unit in _CONTINUOUS_UNITS:
            base: Iterable[_Interval] = ((start_utc, None),)
        else:
            base = self._working_periods_from(start_utc)
        return _subtract(base, pauses)

    def _working_periods_from(self, start_utc: datetime) -> Iterator[_Interval]:
        d = start_utc.astimezone(self.tz).date()
        idle_days = 0
        while True:
            found = False
            if self.is_workday(d):
                for ts, te in self._periods:
                    s = datetime.combine(d, ts, tzinfo=self.tz).astimezone(_UTC)
                    e = datetime.combine(d, te, tzinfo=self.tz).astimezone(_UTC)
                    if e <= start_utc:
                        continue
                    found = True
                    yield (max(s, start_utc), e)
            idle_days = 0 if found else idle_days + 1
            if idle_days > _MAX_WALK_DAYS:
                raise RuntimeError(f"no working time found in {_MAX_WALK_DAYS} days after {d}; check the overrides")
            d += timedelta(days=1)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def _aware(dt: datetime, name: str) -> datetime:
    if not isinstance(dt, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
    return dt


def _amount_us(amount: float, unit_seconds: float) -> int:
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise ValueError(f"amount must be a number, got {amount!r}")
    if not math.isfinite(amount):
        raise ValueError(f"amount must be finite, got {amount!r}")
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount!r}")
    return round(amount * unit_seconds * 1_000_000)


def _check_working_hours(periods: WorkingHours) -> tuple[tuple[time, time], ...]:
    checked = tuple((s, e) for s, e in periods)
    if not checked:
        raise ValueError("working_hours must contain at least one period")
    for s, e in checked:
        if not (isinstance(s, time) and isinstance(e, time)):
            raise ValueError(f"working period bounds must be datetime.time, got {s!r}, {e!r}")
        if s.tzinfo is not None or e.tzinfo is not None:
            raise ValueError("working period times must be naive; the calendar's tz applies")
        if not s < e:
            raise ValueError(f"working period must start before it ends: {s}-{e}")
    for (_, e1), (s2, _) in zip(checked, checked[1:]):
        if s2 < e1:
            raise ValueError(f"working periods must be in order and not overlap: ...-{e1} then {s2}-...")
    return checked


def _check_overrides(overrides: Mapping[date, bool]) -> dict[date, bool]:
    checked: dict[date, bool] = {}
    for d, flag in overrides.items():
        # datetime is a date subclass but would never match a date lookup.
        if not isinstance(d, date) or isinstance(d, datetime):
            raise ValueError(f"override keys must be datetime.date, got {d!r}")
        if not isinstance(flag, bool):
            raise ValueError(f"override for {d} must be a bool is_workday flag, got {flag!r}")
        checked[d] = flag
    return checked


def _merge_pauses(pauses: Iterable[Pause]) -> list[_Interval]:
    items: list[_Interval] = []
    for pause in pauses:
        try:
            ps, pe = pause
        except (TypeError, ValueError):
            raise ValueError(f"a pause must be a (start, end-or-None) pair, got {pause!r}") from None
        s = _aware(ps, "pause start").astimezone(_UTC)
        e = None if pe is None else _aware(pe, "pause end").astimezone(_UTC)
        if e is not None and e < s:
            raise ValueError(f"pause ends before it starts: {ps.isoformat()} .. {pe.isoformat()}")
        if e is not None and e == s:
            continue
        items.append((s, e))
    items.sort(key=lambda p: p[0])
    merged: list[_Interval] = []
    for s, e in items:
        if merged:
            ms, me = merged[-1]
            if me is None:
                break  # an open pause swallows everything after it
            if s <= me:
                merged[-1] = (ms, None if e is None else max(me, e))
                continue
        merged.append((s, e))
    return merged


def _subtract(intervals: Iterable[_Interval], pauses: list[_Interval]) -> Iterator[_Interval]:
    """Yield the parts of chronologically ordered ``intervals`` outside ``pauses``.

    Stops for good at an open pause: nothing after it can count.
    """
    i, n = 0, len(pauses)
    for s, e in intervals:
        while True:
            while i < n and pauses[i][1] is not None and pauses[i][1] <= s:  # type: ignore[operator]
                i += 1
            if i == n:
                yield (s, e)
                break
            ps, pe = pauses[i]
            if e is not None and ps >= e:
                yield (s, e)
                break
            if ps > s:
                yield (s, ps)
            if pe is None:
                return
            s = pe
            if e is not None and s >= e:
                break
