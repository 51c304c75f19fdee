"""Reads for service levels: the calendar value a conversation's clocks run on, the policy that
applies to a conversation, and what the inbox and the conversation page show."""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, date, datetime

from django.db.models import Count, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.conversations.models import Conversation
from layan.errors import NotFound
from layan.servicelevels import business_time
from layan.servicelevels.models import (
    BusinessCalendar,
    ClockState,
    ClosureKind,
    HoursKind,
    ServiceLevelBreach,
    ServiceLevelClock,
    ServiceLevelPolicy,
    TeamCalendar,
)

# Conversations without a running clock sort after every due time.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)


def calendar_value(calendar: BusinessCalendar) -> business_time.Calendar:
    """The frozen calendar of ``calendar``: 2 queries (hours, exceptions)."""
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for hours in calendar.hours.all():
        week[hours.weekday].append(hours.minutes)
    closed, opened = set(), set()
    for closure in calendar.closures.all():
        (closed if closure.kind == ClosureKind.CLOSED else opened).add(closure.date)
    return business_time.Calendar.build(
        timezone=calendar.timezone, week=week, holiday_country=calendar.holiday_country,
        holiday_subdivision=calendar.holiday_subdivision, closed_dates=closed, open_dates=opened)


def calendar_for(*, workspace_id: int, team_id: int | None, policy: ServiceLevelPolicy | None) -> BusinessCalendar | None:
    """The policy's own calendar, else the team's, else the workspace default (1 query at most)."""
    if policy is not None and policy.calendar_id:
        return BusinessCalendar.objects.filter(pk=policy.calendar_id).first()
    if team_id:
        link = TeamCalendar.objects.select_related("calendar").filter(team_id=team_id).first()
        if link is not None:
            return link.calendar
    return BusinessCalendar.objects.filter(workspace_id=workspace_id, is_default=True).first()


def active_policies(*, workspace_id: int) -> list[ServiceLevelPolicy]:
    """The workspace's active policies in order, with their teams (2 queries)."""
    return list(ServiceLevelPolicy.objects.filter(workspace_id=workspace_id, is_active=True)
                .prefetch_related("teams").order_by("position", "id"))


def policy_matches(policy: ServiceLevelPolicy, conversation: Conversation) -> bool:
    """Every non-empty condition of ``policy`` holds for ``conversation`` (loaded with customer)."""
    team_ids = {t.pk for t in policy.teams.all()}
    return ((not policy.priorities or conversation.priority in policy.priorities)
            and (not policy.channels or conversation.channel in policy.channels)
            and (not policy.types or conversation.type in policy.types)
            and (not policy.customer_tiers or conversation.customer.tier in policy.customer_tiers)
            and (not team_ids or conversation.team_id in team_ids))


def choose_policy(policies: Sequence[ServiceLevelPolicy], conversation: Conversation) -> ServiceLevelPolicy | None:
    return next((p for p in policies if policy_matches(p, conversation)), None)


def clock_calendar(policy: ServiceLevelPolicy, calendar: BusinessCalendar | None) -> business_time.Calendar:
    """What a policy's clocks count: the calendar's open time, or all time for 24/7 (and for
    business hours with no calendar defined anywhere — documented in servicelevels.md)."""
    if policy.hours == HoursKind.ALWAYS or calendar is None:
        return business_time.always_open()
    return calendar_value(calendar)


def with_service_level(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Join each conversation's summary (no extra query) and annotate ``sla_due``, the time to
    sort by: its next due time, or far in the future without a running clock."""
    return qs.select_related("service_level").annotate(
        sla_due=Coalesce(F("service_level__next_due_at"), Value(NO_DUE, output_field=DateTimeField())))


def conversation_clocks(*, conversation: Conversation) -> list[ServiceLevelClock]:
    """The conversation's clocks in metric order, for its page (1 query)."""
    order = {"first_response": 0, "next_response": 1, "resolution": 2}
    clocks = list(ServiceLevelClock.objects.filter(conversation=conversation)
                  .exclude(state=ClockState.CANCELLED).select_related("policy"))
    return sorted(clocks, key=lambda c: order.get(c.metric, 9))


def attainment_by_team(*, workspace_id: int, since: datetime) -> dict[int | None, tuple[int, int]]:
    """Targets settled since ``since``, per conversation team: (met, missed). Met: a target
    stopped in time (the clock's current cycle); missed: a breach recorded since then (each one,
    every cycle). One query each. A next-response target met earlier the same day and followed
    by a new cycle is no longer counted as met: the figure leans low, never high."""
    met = {row["conversation__team_id"]: row["n"] for row in
           ServiceLevelClock.objects.filter(workspace_id=workspace_id, state=ClockState.ACHIEVED,
                                            stopped_at__gte=since, breached_at__isnull=True)
           .values("conversation__team_id").annotate(n=Count("id")).order_by()}
    missed = {row["conversation__team_id"]: row["n"] for row in
              ServiceLevelBreach.objects.filter(workspace_id=workspace_id, breached_at__gte=since)
              .values("conversation__team_id").annotate(n=Count("id")).order_by()}
    return {team: (met.get(team, 0), missed.get(team, 0)) for team in {*met, *missed}}


# --- the settings pages ----------------------------------------------------------------------------

# Indonesia's three zones come first on the settings page; any IANA zone is accepted.
INDONESIAN_ZONES = (("Asia/Jakarta", "WIB"), ("Asia/Makassar", "WITA"), ("Asia/Jayapura", "WIT"))


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_choices() -> list[tuple[str, str]]:
    """(zone, label): WIB, WITA and WIT first, then every other zone by name."""
    first = [(zone, f"{abbr} — {zone}") for zone, abbr in INDONESIAN_ZONES]
    taken = {zone for zone, _abbr in INDONESIAN_ZONES}
    return first + [(zone, zone) for zone in sorted(known_timezones() - taken)]


@functools.cache
def supported_countries() -> dict[str, tuple[str, ...]]:
    """Country code → the subdivision codes the holidays package knows for it."""
    import holidays as holidays_package

    return {code: tuple(subdivisions) for code, subdivisions in
            holidays_package.list_supported_countries(include_aliases=False).items()}


@functools.cache
def _country_names() -> dict[str, str]:
    from holidays.registry import COUNTRIES

    # The package names its classes after the country ("HongKong"); spaced, that is the English name.
    return {entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in COUNTRIES.values()}


def country_choices() -> list[tuple[str, str]]:
    """(code, "ID — Indonesia"): Indonesia first, then by name."""
    names = _country_names()
    rows = sorted(((code, f"{code} — {names.get(code, code)}") for code in supported_countries()),
                  key=lambda row: (row[0] != "ID", row[1].split(" — ", 1)[1]))
    return rows


def calendars_for(agent: Agent) -> QuerySet[BusinessCalendar]:
    """The workspace's calendars with their hours, exceptions and teams (4 queries, however many)."""
    return (BusinessCalendar.objects.filter(workspace_id=agent.workspace_id)
            .prefetch_related("hours", "closures", "team_links__team").order_by("-is_default", "name", "pk"))


def access_calendar(*, agent: Agent, calendar_id: int) -> BusinessCalendar:
    found = calendars_for(agent).filter(pk=calendar_id).first()
    if found is None:
        raise NotFound(_("Calendar not found."), field="calendar")
    return found


def policies_for(agent: Agent) -> QuerySet[ServiceLevelPolicy]:
    """The workspace's policies in the order they are tried, with their teams, escalations and
    calendar (3 queries, however many)."""
    return (ServiceLevelPolicy.objects.filter(workspace_id=agent.workspace_id).select_related("calendar")
            .prefetch_related("teams", "escalations__team").order_by("position", "id"))


def access_policy(*, agent: Agent, policy_id: int) -> ServiceLevelPolicy:
    found = policies_for(agent).filter(pk=policy_id).first()
    if found is None:
        raise NotFound(_("Policy not found."), field="policy")
    return found


def upcoming_holidays(*, country: str, subdivision: str = "", since: date,
                      count: int = 10) -> list[tuple[date, str]]:
    """The next ``count`` public holidays of ``country`` from ``since`` on (the holidays package)."""
    import holidays as holidays_package

    if not country or country not in supported_countries():
        return []
    from django.utils.translation import get_language

    years = range(since.year, since.year + 3)
    supported = getattr(holidays_package.country_holidays(country), "supported_languages", ()) or ()
    language = next((lang for lang in supported if lang.split("_")[0] == (get_language() or "en").split("-")[0]), None)
    found = holidays_package.country_holidays(country, subdiv=subdivision or None, years=years, language=language)
    return [(day, name) for day, name in sorted(found.items()) if day >= since][:count]


def team_calendars(agent: Agent) -> dict[int, BusinessCalendar]:
    """Team id → the calendar it works by, for the workspace's teams that have one (1 query)."""
    return {link.team_id: link.calendar for link in
            TeamCalendar.objects.filter(calendar__workspace_id=agent.workspace_id).select_related("calendar")}
