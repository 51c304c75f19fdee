"""Exact business-time arithmetic on a frozen calendar value; no database. See
docs/flows/servicelevels.md.

A calendar is open during weekly local-time intervals (several per weekday), except on closed
dates (public holidays of a country, company closures), and open as usual on holidays the company
works through. Durations are real elapsed time (a 23-hour DST day open all day counts 23 hours).
Open intervals are half-open, [opens, closes): a closing instant is closed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_package

MINUTES_PER_DAY = 24 * 60
ZERO = timedelta(0)
# Far enough for any target (a year of business days), short enough that a calendar that never
# opens again fails fast instead of looping.
SEARCH_LIMIT_DAYS = 366 * 5

Interval = tuple[int, int]  # local minutes since midnight, [start, end), 0 <= start < end <= 1440


class NeverOpens(ValueError):
    """The calendar has no open time within the search limit (no hours, or closed for years)."""


@functools.lru_cache(maxsize=512)
def holiday_dates(country: str, subdivision: str, year: int) -> frozenset[date]:
    """Public holidays of ``country`` (and ``subdivision``) in ``year``, from the holidays package."""
    if not country:
        return frozenset()
    found = holidays_package.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(found.keys())


def _normalise_week(week: Iterable[Iterable[Interval]]) -> tuple[tuple[Interval, ...], ...]:
    return _normalised(tuple(tuple((int(s), int(e)) for s, e in day) for day in week))


@functools.lru_cache(maxsize=256)
def _normalised(week: tuple[tuple[Interval, ...], ...]) -> tuple[tuple[Interval, ...], ...]:
    days = [sorted(day) for day in week]
    if len(days) != 7:
        raise ValueError("a week has seven days of intervals, Monday first")
    result = []
    for day in days:
        merged: list[list[int]] = []
        for start, end in day:
            if not 0 <= start < end <= MINUTES_PER_DAY:
                raise ValueError(f"bad interval {start}-{end}")
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        result.append(tuple((s, e) for s, e in merged))
    return tuple(result)


@dataclass(frozen=True)
class Calendar:
    """Weekly hours in ``timezone``, minus holidays and closures, plus the days worked through.

    ``week[0]`` is Monday. Build with :meth:`build` to normalise the intervals."""

    timezone: str
    week: tuple[tuple[Interval, ...], ...]
    holiday_country: str = ""
    holiday_subdivision: str = ""
    closed_dates: frozenset[date] = frozenset()
    open_dates: frozenset[date] = frozenset()  # holidays the company works through
    _days: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    _weeks: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    _zone: ZoneInfo | None = field(default=None, compare=False, hash=False, repr=False)
    # The open time of a week without closures, plus room for the longest DST shift: a remainder
    # above it certainly outlasts any real week, so only then is a whole week worth summing.
    _week_bound: timedelta = field(default=ZERO, compare=False, hash=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        nominal = sum(e - s for day in self.week for s, e in day)
        object.__setattr__(self, "_week_bound", timedelta(minutes=nominal + 120))

    @classmethod
    def build(cls, *, timezone: str, week: Iterable[Iterable[Interval]], holiday_country: str = "",
              holiday_subdivision: str = "", closed_dates: Iterable[date] = (),
              open_dates: Iterable[date] = ()) -> Calendar:
        ZoneInfo(timezone)  # refuse an unknown zone now, not in the middle of a sweep
        return cls(timezone=timezone, week=_normalise_week(week), holiday_country=holiday_country,
                   holiday_subdivision=holiday_subdivision, closed_dates=frozenset(closed_dates),
                   open_dates=frozenset(open_dates))

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    # --- days -------------------------------------------------------------------------------

    def is_closed_date(self, day: date) -> bool:
        if day in self.closed_dates:
            return True
        if day in self.open_dates:
            return False
        return day in holiday_dates(self.holiday_country, self.holiday_subdivision, day.year)

    def open_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The open intervals of local date ``day`` as UTC instants, sorted, disjoint, non-empty."""
        cached = self._days.get(day)
        if cached is None:
            cached = () if self.is_closed_date(day) else _utc_intervals(self.timezone, day, self.week[day.weekday()])
            self._days[day] = cached
        return cached

    def open_time(self, day: date) -> timedelta:
        return sum((e - s for s, e in self.open_intervals(day)), ZERO)

    def _week_open_time(self, monday: date) -> timedelta:
        cached = self._weeks.get(monday)
        if cached is None:
            cached = sum((self.open_time(monday + timedelta(days=i)) for i in range(7)), ZERO)
            self._weeks[monday] = cached
        return cached

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    # --- instants ---------------------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        _check_aware(instant)
        return any(s <= instant < e for s, e in self.open_intervals(self.local_date(instant)))

    def next_opening(self, instant: datetime) -> datetime:
        """``instant`` itself when open, otherwise the next instant the calendar opens."""
        _check_aware(instant)
        day = self.local_date(instant)
        for _ in range(SEARCH_LIMIT_DAYS):
            for opens, closes in self.open_intervals(day):
                if instant < closes:
                    return max(opens, instant)
            day += timedelta(days=1)
        raise NeverOpens(self.timezone)

    def add(self, instant: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of open time has passed since ``instant``.

        A zero duration answers ``instant``. Otherwise the answer is open or exactly a closing
        instant (the business time ran out as the calendar closed)."""
        _check_aware(instant)
        if duration < ZERO:
            raise ValueError("duration must not be negative")
        if duration == ZERO:
            return instant
        remaining = duration
        day = self.local_date(instant)
        for opens, closes in self.open_intervals(day):  # the first day: from ``instant`` on
            if closes <= instant:
                continue
            begin = max(opens, instant)
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        day += timedelta(days=1)
        for _ in range(SEARCH_LIMIT_DAYS):
            if day.weekday() == 0 and remaining > self._week_bound:
                # Skip whole weeks while the remainder outlasts them (zero-hour weeks are walked).
                week = self._week_open_time(day)
                while week and remaining > week:
                    remaining -= week
                    day += timedelta(days=7)
                    week = self._week_open_time(day)
            for opens, closes in self.open_intervals(day):
                if remaining <= closes - opens:
                    return opens + remaining
                remaining -= closes - opens
            day += timedelta(days=1)
        raise NeverOpens(self.timezone)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time from ``start`` to ``end`` (zero when ``end`` is not after ``start``)."""
        _check_aware(start)
        _check_aware(end)
        if end <= start:
            return ZERO
        total = ZERO
        first, last = self.local_date(start), self.local_date(end)
        day = first
        while day <= last:
            if day.weekday() == 0 and day > first and day + timedelta(days=7) <= last:
                total += self._week_open_time(day)  # a whole week inside the span
                day += timedelta(days=7)
                continue
            for opens, closes in self.open_intervals(day):
                if closes > start and opens < end:
                    total += min(closes, end) - max(opens, start)
            day += timedelta(days=1)
        return total

    # --- minutes, the unit of targets -------------------------------------------------------

    def add_minutes(self, instant: datetime, minutes: int) -> datetime:
        return self.add(instant, timedelta(minutes=minutes))

    def minutes_between(self, start: datetime, end: datetime) -> float:
        return self.between(start, end) / timedelta(minutes=1)


def _local(zone: ZoneInfo, day: date, minute: int) -> datetime:
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


@functools.lru_cache(maxsize=65536)
def _utc_intervals(timezone: str, day: date, hours: tuple[Interval, ...]) -> tuple[tuple[datetime, datetime], ...]:
    """A day's local hours as UTC instants; shared by every calendar value of the process (a
    calendar is rebuilt from the database for each clock computation)."""
    zone = ZoneInfo(timezone)
    intervals: list[tuple[datetime, datetime]] = []
    for start, end in hours:
        opens, closes = _local(zone, day, start), _local(zone, day, end)
        # A wall-clock time skipped by a DST jump can map after a later one: clamp so the day's
        # intervals stay ordered and never overlap.
        if intervals and opens < intervals[-1][1]:
            opens = intervals[-1][1]
        if closes > opens:
            intervals.append((opens, closes))
    return tuple(intervals)


ALWAYS_OPEN_WEEK = tuple(((0, MINUTES_PER_DAY),) for _ in range(7))


def always_open(timezone: str = "UTC") -> Calendar:
    """24/7: every instant is open, so business time is elapsed time."""
    return Calendar.build(timezone=timezone, week=ALWAYS_OPEN_WEEK)


def _check_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")
