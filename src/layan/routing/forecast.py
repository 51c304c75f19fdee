"""The staffing forecast: from what a workspace measured — contacts arriving per hour of the week
and how long they take to handle — the contacts expected and the agents needed in each hour of the
coming seven days, by channel group (chat, email). See docs/flows/contact-center.md.

Reads only, in two aggregate queries whatever the size of the history: conversations grouped by
channel and local (weekday, hour), and logged time grouped by channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Workspace
from layan.conversations.models import Conversation, TimeEntry
from layan.routing.erlang import Staffing, agents_needed

HOURS_AHEAD = 7 * 24


@dataclass(frozen=True)
class ChannelGroup:
    """Channels staffed as one queue, with their service-level target and planning inputs."""

    key: str
    label: str
    channels: tuple[str, ...]
    target_service_level: float  # e.g. 0.8 ...
    target_seconds: int  # ... answered within this many seconds
    default_aht_seconds: int  # used when nothing was measured
    max_occupancy: float | None = 0.85
    shrinkage: float = 0.3
    # Contacts one agent handles at once (chats run side by side); the handle time Erlang C sees
    # is the measured one divided by this.
    concurrency: int = 1
    # Whether a conversation's first reply → solved span, when it is short, measures handle time
    # (true of chats handled in one sitting; an email's span says nothing about the work in it).
    session_proxy: bool = False

    def __post_init__(self):
        problems = []
        if not 0 < self.target_service_level < 1:
            problems.append("target_service_level must be between 0 and 1")
        if self.target_seconds < 0 or self.default_aht_seconds <= 0:
            problems.append("target_seconds must be at least 0 and default_aht_seconds above 0")
        if self.max_occupancy is not None and not 0 < self.max_occupancy <= 1:
            problems.append("max_occupancy must be above 0 and at most 1 (or null)")
        if not 0 <= self.shrinkage < 1 or self.concurrency < 1:
            problems.append("shrinkage must be in [0, 1) and concurrency at least 1")
        if problems:
            raise ImproperlyConfigured(f"LAYAN_STAFFING group {self.key!r}: " + "; ".join(problems))

    @property
    def target_label(self) -> str:
        """The target as people say it: "80% in 20 s", "90% in 4 h"."""
        share = round(self.target_service_level * 100, 1)
        share = int(share) if share == int(share) else share
        seconds = self.target_seconds
        if seconds >= 3600 and seconds % 3600 == 0:
            return gettext("%(share)s%% in %(n)s h") % {"share": share, "n": seconds // 3600}
        if seconds >= 60 and seconds % 60 == 0:
            return gettext("%(share)s%% in %(n)s min") % {"share": share, "n": seconds // 60}
        return gettext("%(share)s%% in %(n)s s") % {"share": share, "n": seconds}


DEFAULT_GROUPS = (
    ChannelGroup(key="chat", label=_("Chat"),
                 channels=("livechat", "whatsapp", "telegram", "messenger", "instagram", "sms", "voice"),
                 target_service_level=0.8, target_seconds=20, default_aht_seconds=6 * 60, session_proxy=True),
    ChannelGroup(key="email", label=_("Email"), channels=("email", "webform", "api"),
                 target_service_level=0.9, target_seconds=4 * 3600, default_aht_seconds=8 * 60),
)
HISTORY_WEEKS = 4
MIN_SAMPLE = 10  # conversations: fewer measured ones fall back to the next source
SESSION_PROXY_CAP = timedelta(hours=1)


def configured_groups() -> tuple[ChannelGroup, ...]:
    """The channel groups, with overrides from ``settings.LAYAN_STAFFING["groups"]`` (a dict of
    group key → fields to change, e.g. ``{"chat": {"target_seconds": 30, "concurrency": 2}}``)."""
    overrides = getattr(settings, "LAYAN_STAFFING", {}).get("groups", {})
    known = {group.key for group in DEFAULT_GROUPS}
    changeable = set(ChannelGroup.__dataclass_fields__) - {"key", "label"}
    if not isinstance(overrides, dict) or set(overrides) - known:
        raise ImproperlyConfigured(f"LAYAN_STAFFING groups must be some of {sorted(known)}")
    groups = []
    for group in DEFAULT_GROUPS:
        changes = dict(overrides.get(group.key, {}))
        if set(changes) - changeable:
            raise ImproperlyConfigured(f"LAYAN_STAFFING group {group.key!r} has no {sorted(set(changes) - changeable)};"
                                       f" it has {sorted(changeable)}")
        if "channels" in changes:
            changes["channels"] = tuple(changes["channels"])
        groups.append(ChannelGroup(**{**group.__dict__, **changes}))
    return tuple(groups)


def history_weeks() -> int:
    weeks = getattr(settings, "LAYAN_STAFFING", {}).get("history_weeks", HISTORY_WEEKS)
    if not isinstance(weeks, int) or not 1 <= weeks <= 52:
        raise ImproperlyConfigured("LAYAN_STAFFING history_weeks must be a whole number of weeks from 1 to 52")
    return weeks


class HandleTimeSource:
    TIME_ENTRIES = "time_entries"
    SESSIONS = "sessions"
    DEFAULT = "default"

    LABELS = {
        TIME_ENTRIES: _("logged time"),
        SESSIONS: _("first reply to solved, chats solved within an hour"),
        DEFAULT: _("default: not enough measured"),
    }


@dataclass(frozen=True)
class GroupInputs:
    """What the forecast of one channel group rests on, shown next to it."""

    group: ChannelGroup
    aht_seconds: float
    aht_source: str  # a HandleTimeSource value
    aht_sample: int  # conversations measured (0 for the default)
    contacts_observed: int  # conversations of the group in the history window

    @property
    def aht_source_label(self):
        return HandleTimeSource.LABELS[self.aht_source]

    @property
    def aht_label(self) -> str:
        from layan.routing.live import format_wait

        return format_wait(round(self.aht_seconds))


@dataclass(frozen=True)
class GroupHour:
    key: str  # the channel group
    expected: float  # contacts expected in the hour
    staffing: Staffing


@dataclass(frozen=True)
class HourForecast:
    starts_at: datetime  # in the workspace's timezone
    groups: dict[str, GroupHour]  # in the order of the channel groups

    @property
    def cells(self) -> list[GroupHour]:
        return list(self.groups.values())


@dataclass(frozen=True)
class DayForecast:
    day: date
    hours: list[HourForecast]

    @property
    def peaks(self) -> list[tuple[str, int]]:
        """(group key, the most agents to roster in any hour of the day), in group order."""
        keys = list(self.hours[0].groups) if self.hours else []
        return [(key, max(hour.groups[key].staffing.rostered for hour in self.hours)) for key in keys]


@dataclass(frozen=True)
class StaffingForecast:
    timezone: str
    history_start: datetime  # the measured window, in the workspace's timezone
    history_end: datetime
    weeks_observed: int  # whole weeks of the window with any conversation at all
    inputs: list[GroupInputs]
    hours: list[HourForecast] = field(repr=False)

    @property
    def days(self) -> list[DayForecast]:
        grouped: dict[date, list[HourForecast]] = {}
        for hour in self.hours:
            grouped.setdefault(hour.starts_at.date(), []).append(hour)
        return [DayForecast(day=day, hours=hours) for day, hours in grouped.items()]


def _local_hour_start(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(minute=0, second=0, microsecond=0)


def staffing_forecast(*, workspace: Workspace, now: datetime | None = None) -> StaffingForecast:
    """The expected contacts and agents needed per channel group for each of the next 168 hours,
    starting with the current one, from the last ``history_weeks()`` weeks of this workspace."""
    zone = ZoneInfo(workspace.timezone)
    groups = configured_groups()
    weeks = history_weeks()
    # The window ends where the current local hour starts and reaches back whole weeks of wall
    # time, so every (weekday, hour) of the week lies in it equally often.
    end = _local_hour_start(now or timezone.now(), zone)
    start = end - timedelta(weeks=weeks)

    in_session = Q(session_seconds__gte=0, session_seconds__lte=SESSION_PROXY_CAP.total_seconds())
    rows = (
        Conversation.objects.filter(workspace_id=workspace.pk, created_at__gte=start, created_at__lt=end)
        .annotate(**_local_weekday_and_hour(zone, start, end),
                  session_seconds=_SecondsBetween(F("solved_at"), F("first_response_at")))
        .values("channel", "weekday", "hour")
        .annotate(arrivals=Count("id"), first=Min("created_at"),
                  sessions=Count("id", filter=in_session), session_time=Sum("session_seconds", filter=in_session))
        .order_by()
    )
    logged = (
        TimeEntry.objects.filter(workspace_id=workspace.pk, created_at__gte=start, created_at__lt=end)
        .values("conversation__channel")
        .annotate(seconds=Sum("seconds"), conversations=Count("conversation", distinct=True))
        .order_by()
    )

    arrivals: dict[tuple[str, int, int], int] = {}
    contacts: dict[str, int] = {}
    sessions: dict[str, tuple[int, float]] = {}
    first_seen = None
    for row in rows:
        arrivals[(row["channel"], row["weekday"], row["hour"])] = row["arrivals"]
        contacts[row["channel"]] = contacts.get(row["channel"], 0) + row["arrivals"]
        count, seconds = sessions.get(row["channel"], (0, 0.0))
        spent = float(row["session_time"] or 0)
        sessions[row["channel"]] = (count + row["sessions"], seconds + spent)
        first_seen = row["first"] if first_seen is None else min(first_seen, row["first"])
    time_logged = {row["conversation__channel"]: (row["conversations"], row["seconds"]) for row in logged}

    # A workspace younger than the window: only the whole weeks since its first conversation count.
    weeks_observed = weeks
    if first_seen is not None:
        empty_weeks = (first_seen - start) // timedelta(weeks=1)
        weeks_observed = max(1, weeks - empty_weeks)

    inputs = [_group_inputs(group, contacts, sessions, time_logged) for group in groups]
    utc_end = end.astimezone(ZoneInfo("UTC"))
    hours = []
    for offset in range(HOURS_AHEAD):
        # Stepping in real hours keeps DST days right: the local clock may skip or repeat one.
        starts_at = (utc_end + timedelta(hours=offset)).astimezone(zone)
        slot = (starts_at.isoweekday(), starts_at.hour)
        cells = {}
        for item in inputs:
            group = item.group
            expected = sum(arrivals.get((channel, *slot), 0) for channel in group.channels) / weeks_observed
            cells[group.key] = GroupHour(key=group.key, expected=expected, staffing=_staffing(expected, item))
        hours.append(HourForecast(starts_at=starts_at, groups=cells))
    return StaffingForecast(timezone=workspace.timezone, history_start=start.astimezone(zone),
                            history_end=end, weeks_observed=weeks_observed, inputs=inputs, hours=hours)


class _SecondsBetween(Func):
    """Whole seconds from the second timestamp to the first (NULL if either is), in each database's
    own arithmetic: Django's timedelta arithmetic on SQLite calls back into Python for every row."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="ROUND((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="ROUND(EXTRACT(EPOCH FROM (%(expressions)s)))",
                           arg_joiner=" - ", **extra)


class _SQLiteLocalPart(Func):
    """A part of a UTC timestamp shifted by an SQLite date modifier, by SQLite's own strftime."""

    template = "CAST(strftime('%(part)s', %(expressions)s) AS INTEGER)"
    output_field = IntegerField()


class _SQLiteIsoWeekday(_SQLiteLocalPart):
    # strftime's %w counts Sunday as 0; ISO counts Monday 1 to Sunday 7.
    template = "((CAST(strftime('%%%%w', %(expressions)s) AS INTEGER) + 6) %%%% 7 + 1)"


def _local_weekday_and_hour(zone: ZoneInfo, start: datetime, end: datetime) -> dict:
    """The local ISO weekday and hour of ``created_at`` as SQL.

    PostgreSQL converts time zones natively. On SQLite Django's timezone-aware extracts call back
    into Python for every row (about 40 µs each: 0.9 s for 20,000 conversations), so there the UTC
    offsets the zone has in the window become SQLite's own date modifiers instead: one offset, or
    one per stretch between the window's DST changes.
    """
    if connection.vendor != "sqlite":
        return {"weekday": ExtractIsoWeekDay("created_at", tzinfo=zone), "hour": ExtractHour("created_at", tzinfo=zone)}
    stretches: list[tuple[datetime, int]] = []  # (from, UTC offset in minutes)
    moment = start.astimezone(UTC)
    while moment < end:
        offset = int(moment.astimezone(zone).utcoffset().total_seconds() // 60)
        if not stretches or stretches[-1][1] != offset:
            stretches.append((moment, offset))
        moment += timedelta(minutes=15)  # zones change offset on quarter hours, never finer
    modifier = Value(f"{stretches[0][1]:+d} minutes")
    if len(stretches) > 1:
        modifier = Case(*[When(created_at__gte=since, then=Value(f"{offset:+d} minutes"))
                          for since, offset in reversed(stretches[1:])],
                        default=modifier, output_field=CharField())
    return {"weekday": _SQLiteIsoWeekday(F("created_at"), modifier),
            "hour": _SQLiteLocalPart(F("created_at"), modifier, part="%%H")}


def _group_inputs(group: ChannelGroup, contacts, sessions, time_logged) -> GroupInputs:
    observed = sum(contacts.get(channel, 0) for channel in group.channels)
    logged_count = sum(time_logged.get(channel, (0, 0))[0] for channel in group.channels)
    if logged_count >= MIN_SAMPLE:
        seconds = sum(time_logged.get(channel, (0, 0))[1] for channel in group.channels)
        return GroupInputs(group=group, aht_seconds=seconds / logged_count, aht_source=HandleTimeSource.TIME_ENTRIES,
                           aht_sample=logged_count, contacts_observed=observed)
    session_count = sum(sessions.get(channel, (0, 0.0))[0] for channel in group.channels)
    session_seconds = sum(sessions.get(channel, (0, 0.0))[1] for channel in group.channels)
    # A session of zero seconds (solved with the first reply) is real but says the work was elsewhere.
    if group.session_proxy and session_count >= MIN_SAMPLE and session_seconds > 0:
        return GroupInputs(group=group, aht_seconds=session_seconds / session_count,
                           aht_source=HandleTimeSource.SESSIONS, aht_sample=session_count, contacts_observed=observed)
    return GroupInputs(group=group, aht_seconds=float(group.default_aht_seconds), aht_source=HandleTimeSource.DEFAULT,
                       aht_sample=0, contacts_observed=observed)


_cache: dict[tuple, Staffing] = {}


def _staffing(expected: float, inputs: GroupInputs) -> Staffing:
    group = inputs.group
    key = (round(expected, 6), round(inputs.aht_seconds, 3), group.concurrency, group.target_service_level,
           group.target_seconds, group.max_occupancy, group.shrinkage)
    found = _cache.get(key)
    if found is None:
        if len(_cache) > 10_000:
            _cache.clear()
        found = _cache[key] = agents_needed(
            arrivals_per_hour=expected, aht_seconds=inputs.aht_seconds / max(1, group.concurrency),
            target_service_level=group.target_service_level, target_seconds=group.target_seconds,
            max_occupancy=group.max_occupancy, shrinkage=group.shrinkage)
    return found


def peak(forecast: StaffingForecast, group_key: str) -> int:
    """The most agents any hour of the forecast needs for the group (rostered, after shrinkage)."""
    return max((hour.groups[group_key].staffing.rostered for hour in forecast.hours), default=0)


__all__ = ["DEFAULT_GROUPS", "ChannelGroup", "GroupInputs", "HandleTimeSource", "StaffingForecast", "peak",
           "staffing_forecast"]
