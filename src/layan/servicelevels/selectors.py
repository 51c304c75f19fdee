"""Reads for service levels: the calendar value a conversation's clocks run on, the policy that
applies to a conversation, and what the inbox and the conversation page show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from django.db.models import Count, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Coalesce

from layan.conversations.models import Conversation
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
