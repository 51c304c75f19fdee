"""Writers that set service levels up in one call each: a business calendar with its weekly hours,
closures and teams, and a policy with its conditions, targets and escalations. The demo loader
uses them; they check what they are given as the admin forms do (``full_clean``) and audit.
See docs/flows/servicelevels.md."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.models import Role, Team
from layan.accounts.selectors import require_role
from layan.accounts.services import record_audit
from layan.errors import Conflict, InvalidInput
from layan.servicelevels.models import (
    BusinessCalendar,
    BusinessHours,
    CalendarClosure,
    ClockState,
    ClosureKind,
    ConversationServiceLevel,
    Escalation,
    ServiceLevelBreach,
    ServiceLevelClock,
    ServiceLevelPolicy,
    TeamCalendar,
)


def _require_manager(actor: Actor) -> None:
    if actor.agent is not None:
        require_role(actor.agent, Role.SUPERVISOR)


def _checked(row, exclude: Iterable[str] = ()) -> None:
    try:
        row.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=None if field == "__all__" else field) from exc


def _own_teams(actor: Actor, teams: Iterable[Team]) -> list[Team]:
    teams = list(teams)
    if any(t.workspace_id != actor.workspace.pk for t in teams):
        raise InvalidInput(_("Team not found."), field="teams")
    return teams


@transaction.atomic
def create_business_calendar(*, actor: Actor, name: str, hours: Iterable[tuple[int, time, time]],
                             timezone_name: str = "Asia/Jakarta", holiday_country: str = "ID",
                             holiday_subdivision: str = "", is_default: bool = False,
                             closures: Iterable[tuple[date, str]] = (), open_dates: Iterable[tuple[date, str]] = (),
                             teams: Iterable[Team] = ()) -> BusinessCalendar:
    """A calendar open ``hours`` (weekday 0 = Monday, opens, closes; several a day for split
    shifts), closed on ``closures`` (date, name: cuti bersama, company days) and open on
    ``open_dates`` despite a holiday; ``teams`` work by it."""
    _require_manager(actor)
    calendar = BusinessCalendar(workspace=actor.workspace, name=(name or "").strip(), timezone=timezone_name,
                                holiday_country=holiday_country, holiday_subdivision=holiday_subdivision,
                                is_default=bool(is_default))
    _checked(calendar, exclude=["workspace"])
    try:
        with transaction.atomic():
            calendar.save()
    except IntegrityError as exc:
        raise Conflict(_("A calendar with that name already exists, or the workspace has a default one."),
                       field="name") from exc
    rows = [BusinessHours(calendar=calendar, weekday=day, opens_at=opens, closes_at=closes)
            for day, opens, closes in hours]
    for row in rows:
        _checked(row, exclude=["calendar"])
    BusinessHours.objects.bulk_create(rows)
    exceptions = ([CalendarClosure(calendar=calendar, date=d, kind=ClosureKind.CLOSED, name=n) for d, n in closures]
                  + [CalendarClosure(calendar=calendar, date=d, kind=ClosureKind.OPEN, name=n) for d, n in open_dates])
    if len({c.date for c in exceptions}) != len(exceptions):
        raise InvalidInput(_("A date can be listed once."), field="closures")
    CalendarClosure.objects.bulk_create(exceptions)
    team_list = _own_teams(actor, teams)
    for team in team_list:
        TeamCalendar.objects.update_or_create(team=team, defaults={"calendar": calendar})
    record_audit(actor=actor, action="servicelevels.calendar_created", object_type="business_calendar",
                 object_id=calendar.pk, after={
                     "name": calendar.name, "timezone": calendar.timezone, "holidays": calendar.holiday_country,
                     "default": calendar.is_default, "hours": [(d, f"{o:%H:%M}", f"{c:%H:%M}") for d, o, c in
                                                               ((r.weekday, r.opens_at, r.closes_at) for r in rows)],
                     "exceptions": [(c.date.isoformat(), c.kind) for c in exceptions],
                     "teams": [t.pk for t in team_list]})
    return calendar


@transaction.atomic
def create_service_level_policy(*, actor: Actor, name: str, position: int, hours: str,
                                first_response_minutes: int | None = None, next_response_minutes: int | None = None,
                                resolution_minutes: int | None = None, warning_minutes: int = 0,
                                priorities: Iterable[str] = (), channels: Iterable[str] = (),
                                customer_tiers: Iterable[str] = (), types: Iterable[str] = (),
                                teams: Iterable[Team] = (), calendar: BusinessCalendar | None = None,
                                escalations: Iterable[dict] = ()) -> ServiceLevelPolicy:
    """A policy (conditions, targets in minutes, business hours or 24/7) with its escalations:
    dicts of Escalation's fields (trigger, action, and metric, team or priority as they need).
    Clocks pick it up on each conversation's next event or ``sync_clocks``."""
    _require_manager(actor)
    if calendar is not None and calendar.workspace_id != actor.workspace.pk:
        raise InvalidInput(_("Calendar not found."), field="calendar")
    policy = ServiceLevelPolicy(
        workspace=actor.workspace, name=(name or "").strip(), position=position, hours=hours,
        first_response_minutes=first_response_minutes, next_response_minutes=next_response_minutes,
        resolution_minutes=resolution_minutes, warning_minutes=warning_minutes, priorities=list(priorities),
        channels=list(channels), customer_tiers=list(customer_tiers), types=list(types), calendar=calendar)
    _checked(policy, exclude=["workspace"])
    if not any((first_response_minutes, next_response_minutes, resolution_minutes)):
        raise InvalidInput(_("Give the policy at least one target."), field="first_response_minutes")
    policy.save()
    team_list = _own_teams(actor, teams)
    policy.teams.set(team_list)
    rows = []
    for spec in escalations:
        team = spec.get("team")
        if team is not None and team.workspace_id != actor.workspace.pk:
            raise InvalidInput(_("Team not found."), field="escalations")
        row = Escalation(policy=policy, trigger=spec["trigger"], action=spec["action"], metric=spec.get("metric", ""),
                         team=team, priority=spec.get("priority", ""))
        _checked(row, exclude=["policy"])
        rows.append(row)
    Escalation.objects.bulk_create(rows)
    record_audit(actor=actor, action="servicelevels.policy_created", object_type="service_level_policy",
                 object_id=policy.pk, after={
                     "name": policy.name, "position": position, "hours": hours,
                     "targets": [first_response_minutes, next_response_minutes, resolution_minutes],
                     "warning_minutes": warning_minutes, "priorities": policy.priorities,
                     "customer_tiers": policy.customer_tiers, "teams": [t.pk for t in team_list],
                     "escalations": [(r.trigger, r.action, r.metric) for r in rows]})
    return policy


@transaction.atomic
def record_past_due_as_history(*, workspace_id: int, now: datetime) -> tuple[int, int]:
    """For loaders of past conversations (the demo): the warnings and breaches already due at
    ``now`` recorded as the sweeper would have recorded them when they fell due — breached at the
    due time — but published to nobody: their notifications and escalations belong to that past,
    and replaying them would page agents about last month. Returns (warnings, breaches).
    A live workspace leaves this to the sweeper."""
    running = ServiceLevelClock.objects.filter(workspace_id=workspace_id, state=ClockState.RUNNING)
    missed = list(running.filter(breached_at__isnull=True, due_at__lte=now).values(
        "pk", "conversation_id", "policy_id", "metric", "cycle", "target_minutes", "due_at"))
    ServiceLevelBreach.objects.bulk_create([ServiceLevelBreach(
        workspace_id=workspace_id, conversation_id=row["conversation_id"], policy_id=row["policy_id"],
        metric=row["metric"], cycle=row["cycle"], target_minutes=row["target_minutes"], due_at=row["due_at"],
        breached_at=row["due_at"]) for row in missed])
    running.filter(pk__in=[row["pk"] for row in missed]).update(
        breached_at=F("due_at"), warned_at=Coalesce(F("warned_at"), F("warn_at")), updated_at=now)
    ConversationServiceLevel.objects.filter(
        conversation_id__in={row["conversation_id"] for row in missed}).update(breached=True)
    warned = running.filter(warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now).update(
        warned_at=F("warn_at"), updated_at=now)
    return warned, len(missed)
