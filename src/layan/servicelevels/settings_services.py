"""Writers behind the service-level settings pages: business calendars (hours, exceptions, teams)
and policies (conditions, targets, escalations, order). Supervisors and admins only; every change
is validated with a message naming what is wrong, audited, and made in one transaction. See
docs/flows/servicelevels.md ("Settings").

Changing a policy or a calendar does not rewrite clocks already running: ``services.sync_clocks``
applies the policy that matches at a conversation's next event (message, reply, status, priority,
type, team), counting the time already spent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time

from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.models import Role, Team, Workspace
from layan.accounts.selectors import require_role
from layan.accounts.services import record_audit
from layan.connectors.models import InboxKind
from layan.conversations.models import ConversationType, Priority
from layan.customers.models import Tier
from layan.errors import Conflict, ErrorCode, InvalidInput, PermissionDenied
from layan.servicelevels.models import (
    MIDNIGHT,
    BusinessCalendar,
    BusinessHours,
    CalendarClosure,
    ClosureKind,
    Escalation,
    EscalationKind,
    HoursKind,
    Metric,
    ServiceLevelPolicy,
    TeamCalendar,
    Trigger,
    Weekday,
)
from layan.servicelevels.selectors import known_timezones, supported_countries

NAME_MAX = 120
# A year of minutes: longer targets are typing mistakes, not promises.
MAX_TARGET_MINUTES = 365 * 24 * 60
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$")
_DATED_LINE = re.compile(r"^(\S+)\s*[:\-–—]?\s*(.*)$")


def _require_manager(actor: Actor) -> None:
    if actor.kind == "system":
        return
    if actor.agent is None:
        raise PermissionDenied(_("Your role does not allow this."))
    require_role(actor.agent, Role.SUPERVISOR)


def _same_workspace(actor: Actor, obj) -> None:
    if obj.workspace_id != actor.workspace.pk:
        raise InvalidInput(_("Not found in this workspace."))


def _name(value: str, *, field: str = "name") -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("Give it a name."), field=field)
    if len(value) > NAME_MAX:
        raise InvalidInput(_("A name has at most %(n)s characters.") % {"n": NAME_MAX}, field=field)
    return value


# --- parsing what people type --------------------------------------------------------------------


def _clock_time(hours: str, minutes: str, *, closing: bool, day: str, text: str) -> time:
    h, m = int(hours), int(minutes)
    if closing and (h, m) == (24, 0):
        return MIDNIGHT
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise InvalidInput(_("%(day)s: %(time)s is not a time of day (00:00 to 23:59, or 24:00 to close at "
                             "midnight).") % {"day": day, "time": text}, field="hours")
    return time(h, m)


def parse_day_hours(text: str, *, day: str) -> list[tuple[time, time]]:
    """``"08:00-12:00, 13:00-17:00"`` → the day's open intervals; empty means closed all day.

    Closing at 00:00 or 24:00 means at midnight. Reversed, empty and overlapping intervals are
    refused with the day and the interval named."""
    text = (text or "").strip()
    if not text:
        return []
    intervals: list[tuple[time, time, str]] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        match = _RANGE.match(part)
        if match is None:
            raise InvalidInput(_("%(day)s: “%(text)s” is not a time range; write it like 08:00-17:00, several "
                                 "separated by commas.") % {"day": day, "text": part}, field="hours")
        h1, m1, h2, m2 = match.groups()
        opens = _clock_time(h1, m1, closing=False, day=day, text=f"{h1}:{m1}")
        closes = _clock_time(h2, m2, closing=True, day=day, text=f"{h2}:{m2}")
        if closes != MIDNIGHT and closes <= opens:
            raise InvalidInput(_("%(day)s: %(range)s closes before it opens. Hours past midnight are two ranges: "
                                 "until 24:00 on this day and from 00:00 on the next.") % {
                                     "day": day, "range": part}, field="hours")
        intervals.append((opens, closes, part))
    intervals.sort(key=lambda i: i[0])

    def end_minutes(closes: time) -> int:
        return 24 * 60 if closes == MIDNIGHT else closes.hour * 60 + closes.minute

    for (_o1, c1, text1), (o2, _c2, text2) in zip(intervals, intervals[1:], strict=False):
        if o2.hour * 60 + o2.minute < end_minutes(c1):
            raise InvalidInput(_("%(day)s: %(first)s and %(second)s overlap.") % {
                "day": day, "first": text1, "second": text2}, field="hours")
    return [(o, c) for o, c, _text in intervals]


def parse_dated_lines(text: str, *, field: str) -> list[tuple[date, str]]:
    """One ``YYYY-MM-DD name`` per line (the name optional) → [(date, name)]; a date twice is refused."""
    found: dict[date, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = _DATED_LINE.match(line)
        raw_date, name = match.group(1), match.group(2).strip()
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            day = None
        if day is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date):
            raise InvalidInput(_("Line %(n)s: “%(text)s” does not start with a date written as YYYY-MM-DD.") % {
                "n": number, "text": line}, field=field)
        if day in found:
            raise InvalidInput(_("Line %(n)s: %(date)s is listed twice.") % {"n": number, "date": raw_date},
                               field=field)
        if len(name) > NAME_MAX:
            raise InvalidInput(_("Line %(n)s: a name has at most %(max)s characters.") % {
                "n": number, "max": NAME_MAX}, field=field)
        found[day] = name
    return sorted(found.items())


def _timezone(value: str) -> str:
    value = (value or "").strip()
    if value not in known_timezones():
        raise InvalidInput(_("Unknown time zone: %(zone)s") % {"zone": value or "—"}, field="timezone")
    return value


def _country(country: str, subdivision: str) -> tuple[str, str]:
    country = (country or "").strip().upper()
    subdivision = (subdivision or "").strip().upper()
    countries = supported_countries()
    if country and country not in countries:
        raise InvalidInput(_("No public holidays are known for country code %(code)s.") % {"code": country},
                           field="holiday_country")
    if subdivision:
        if not country:
            raise InvalidInput(_("A region needs a country."), field="holiday_subdivision")
        if subdivision not in countries[country]:
            known = ", ".join(countries[country]) or _("none")
            raise InvalidInput(_("%(region)s is not a region of %(country)s known for holidays (known: %(known)s).")
                               % {"region": subdivision, "country": country, "known": known},
                               field="holiday_subdivision")
    return country, subdivision


def _teams(actor: Actor, team_ids: Iterable, *, field: str = "teams") -> list[Team]:
    wanted = set()
    for raw in team_ids:
        try:
            wanted.add(int(raw))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(_("Choose teams of this workspace."), field=field) from exc
    teams = list(Team.objects.filter(workspace=actor.workspace, pk__in=wanted).order_by("name"))
    if len(teams) != len(wanted):
        raise InvalidInput(_("Choose teams of this workspace."), field=field)
    return teams


# --- calendars -----------------------------------------------------------------------------------


def calendar_snapshot(calendar: BusinessCalendar) -> dict:
    """What the audit log keeps of a calendar."""
    # Keys are the weekdays' code names, not their labels: the log reads the same in every language.
    hours = {Weekday(day).name.lower(): [] for day in range(7)}
    for row in calendar.hours.all():
        closes = "24:00" if row.closes_at == MIDNIGHT else f"{row.closes_at:%H:%M}"
        hours[Weekday(row.weekday).name.lower()].append(f"{row.opens_at:%H:%M}-{closes}")
    return {
        "name": calendar.name, "timezone": calendar.timezone, "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision, "is_default": calendar.is_default,
        "hours": {day: ", ".join(ranges) for day, ranges in hours.items()},
        "exceptions": [[c.date.isoformat(), c.kind, c.name] for c in calendar.closures.all()],
        "teams": sorted(link.team_id for link in calendar.team_links.all()),
    }


@transaction.atomic
def save_calendar(*, actor: Actor, calendar: BusinessCalendar | None = None, name: str, timezone: str,
                  holiday_country: str, holiday_subdivision: str = "", is_default: bool = False,
                  week: Sequence[str], closed_dates: str = "", open_dates: str = "",
                  team_ids: Iterable = ()) -> BusinessCalendar:
    """Create (``calendar=None``) or replace a calendar with its weekly hours (seven texts, Monday
    first), exceptions (``YYYY-MM-DD name`` lines) and the teams that work by it. A team chosen
    here leaves the calendar it used before."""
    _require_manager(actor)
    if calendar is not None:
        _same_workspace(actor, calendar)
    name = _name(name)
    timezone = _timezone(timezone)
    holiday_country, holiday_subdivision = _country(holiday_country, holiday_subdivision)
    if len(week) != 7:
        raise InvalidInput(_("Give the hours of all seven days."), field="hours")
    hours = [(day, interval) for day in range(7)
             for interval in parse_day_hours(week[day], day=str(Weekday(day).label))]
    closed = parse_dated_lines(closed_dates, field="closed_dates")
    opened = parse_dated_lines(open_dates, field="open_dates")
    both = sorted({d for d, _n in closed} & {d for d, _n in opened})
    if both:
        raise InvalidInput(_("%(date)s cannot be both closed and open.") % {"date": both[0].isoformat()},
                           field="open_dates")
    teams = _teams(actor, team_ids)

    before = None
    if calendar is None:
        calendar = BusinessCalendar(workspace=actor.workspace)
    else:
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        before = calendar_snapshot(calendar)
    calendar.name, calendar.timezone = name, timezone
    calendar.holiday_country, calendar.holiday_subdivision = holiday_country, holiday_subdivision
    calendar.is_default = is_default
    try:
        with transaction.atomic():
            if is_default:
                (BusinessCalendar.objects.filter(workspace=actor.workspace, is_default=True)
                 .exclude(pk=calendar.pk).update(is_default=False))
            calendar.save()
    except IntegrityError as exc:
        # The unique constraints decide: a name taken, or another default saved at the same moment.
        if BusinessCalendar.objects.filter(workspace=actor.workspace, name=name).exclude(pk=calendar.pk).exists():
            raise Conflict(_("A calendar named %(name)s already exists.") % {"name": name},
                           code=ErrorCode.DUPLICATE, field="name") from exc
        raise Conflict(_("Another calendar was made the default at the same moment; try again."),
                       field="is_default") from exc

    calendar.hours.all().delete()
    BusinessHours.objects.bulk_create([BusinessHours(calendar=calendar, weekday=day, opens_at=opens, closes_at=closes)
                                       for day, (opens, closes) in hours])
    calendar.closures.all().delete()
    CalendarClosure.objects.bulk_create(
        [CalendarClosure(calendar=calendar, date=d, kind=ClosureKind.CLOSED, name=n) for d, n in closed]
        + [CalendarClosure(calendar=calendar, date=d, kind=ClosureKind.OPEN, name=n) for d, n in opened])
    team_pks = [team.pk for team in teams]
    TeamCalendar.objects.filter(calendar=calendar).exclude(team_id__in=team_pks).delete()
    for team in teams:
        TeamCalendar.objects.update_or_create(team=team, defaults={"calendar": calendar})

    after = calendar_snapshot(BusinessCalendar.objects.prefetch_related("hours", "closures", "team_links")
                              .get(pk=calendar.pk))
    record_audit(actor=actor, action="servicelevels.calendar_created" if before is None else
                 "servicelevels.calendar_updated", object_type="business_calendar", object_id=calendar.pk,
                 before=before, after=after)
    return calendar


@transaction.atomic
def delete_calendar(*, actor: Actor, calendar: BusinessCalendar) -> None:
    """Delete a calendar nobody uses. Refused, naming the users, while a policy or a team works by
    it, or while it is the default that business-hours policies without a calendar fall back to."""
    _require_manager(actor)
    _same_workspace(actor, calendar)
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    policies = list(ServiceLevelPolicy.objects.filter(calendar=calendar).order_by("position", "id")
                    .values_list("name", flat=True))
    if policies:
        raise Conflict(_("%(calendar)s is used by the policies %(names)s; choose another calendar there first.") % {
            "calendar": calendar.name, "names": ", ".join(policies)}, field="calendar")
    teams = list(TeamCalendar.objects.filter(calendar=calendar).order_by("team__name")
                 .values_list("team__name", flat=True))
    if teams:
        raise Conflict(_("%(calendar)s is used by the teams %(names)s; give them another calendar first.") % {
            "calendar": calendar.name, "names": ", ".join(teams)}, field="calendar")
    if calendar.is_default:
        relying = list(ServiceLevelPolicy.objects.filter(workspace=actor.workspace, hours=HoursKind.BUSINESS,
                                                         calendar__isnull=True)
                       .order_by("position", "id").values_list("name", flat=True))
        if relying:
            raise Conflict(_("%(calendar)s is the default calendar of the policies %(names)s, which run in business "
                             "hours without a calendar of their own; make another calendar the default first.") % {
                "calendar": calendar.name, "names": ", ".join(relying)}, field="calendar")
    before = calendar_snapshot(calendar)
    pk = calendar.pk
    try:
        with transaction.atomic():
            calendar.delete()
    except ProtectedError as exc:  # a policy chose it meanwhile
        raise Conflict(_("A policy started using %(calendar)s; reload and try again.") % {"calendar": calendar.name},
                       field="calendar") from exc
    record_audit(actor=actor, action="servicelevels.calendar_deleted", object_type="business_calendar",
                 object_id=pk, before=before)


# --- policies ------------------------------------------------------------------------------------


def _choices(values: Iterable[str], allowed: Sequence[str], field: str) -> list[str]:
    chosen = []
    for value in values:
        if value not in allowed:
            raise InvalidInput(_("Choose from: %(values)s") % {"values": ", ".join(allowed)}, field=field)
        if value not in chosen:
            chosen.append(value)
    return [v for v in allowed if v in chosen]  # a stable order, whatever order the form sent


def _minutes(value, *, field: str, allow_zero: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        minutes = int(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(_("Give a whole number of minutes."), field=field) from exc
    if minutes < (0 if allow_zero else 1) or minutes > MAX_TARGET_MINUTES:
        raise InvalidInput(_("Give a number of minutes from %(low)s to %(high)s.") % {
            "low": 0 if allow_zero else 1, "high": MAX_TARGET_MINUTES}, field=field)
    return minutes


def _escalations(actor: Actor, rows: Sequence[Mapping[str, str]]) -> list[dict]:
    """Rows of the form (trigger, metric, action, team, priority); a row without an action is left
    out. Returns the distinct escalations in the form's order."""
    cleaned: list[dict] = []
    for number, row in enumerate(rows, start=1):
        action = (row.get("action") or "").strip()
        if not action:
            continue
        field = f"escalation-{number}"
        if action not in EscalationKind.values:
            raise InvalidInput(_("Escalation %(n)s: choose an action.") % {"n": number}, field=field)
        trigger = (row.get("trigger") or "").strip()
        if trigger not in Trigger.values:
            raise InvalidInput(_("Escalation %(n)s: choose on warning or on breach.") % {"n": number}, field=field)
        metric = (row.get("metric") or "").strip()
        if metric and metric not in Metric.values:
            raise InvalidInput(_("Escalation %(n)s: choose a target or any.") % {"n": number}, field=field)
        team_id = None
        if action == EscalationKind.REASSIGN:
            if not (row.get("team") or "").strip():
                raise InvalidInput(_("Escalation %(n)s: choose the team to reassign to.") % {"n": number}, field=field)
            team_id = _teams(actor, [row["team"]], field=field)[0].pk
        priority = (row.get("priority") or "").strip() if action == EscalationKind.RAISE_PRIORITY else ""
        if priority and priority not in Priority.values:
            raise InvalidInput(_("Escalation %(n)s: choose a priority or one step up.") % {"n": number}, field=field)
        item = {"trigger": trigger, "metric": metric, "action": action, "team_id": team_id, "priority": priority}
        if item not in cleaned:
            cleaned.append(item)
    return cleaned


def _escalation_key(escalation: Escalation) -> dict:
    return {"trigger": escalation.trigger, "metric": escalation.metric, "action": escalation.action,
            "team_id": escalation.team_id, "priority": escalation.priority}


def policy_snapshot(policy: ServiceLevelPolicy) -> dict:
    """What the audit log keeps of a policy."""
    return {
        "name": policy.name, "position": policy.position, "is_active": policy.is_active,
        "priorities": policy.priorities, "channels": policy.channels, "customer_tiers": policy.customer_tiers,
        "types": policy.types, "teams": sorted(t.pk for t in policy.teams.all()),
        "first_response_minutes": policy.first_response_minutes, "next_response_minutes": policy.next_response_minutes,
        "resolution_minutes": policy.resolution_minutes, "hours": policy.hours, "calendar": policy.calendar_id,
        "warning_minutes": policy.warning_minutes,
        "escalations": [_escalation_key(e) for e in policy.escalations.all()],
    }


@transaction.atomic
def save_policy(*, actor: Actor, policy: ServiceLevelPolicy | None = None, name: str, is_active: bool = True,
                priorities: Iterable[str] = (), channels: Iterable[str] = (), customer_tiers: Iterable[str] = (),
                types: Iterable[str] = (), team_ids: Iterable = (), first_response_minutes=None,
                next_response_minutes=None, resolution_minutes=None, hours: str = HoursKind.BUSINESS,
                calendar_id=None, warning_minutes=0,
                escalations: Sequence[Mapping[str, str]] = ()) -> ServiceLevelPolicy:
    """Create (``policy=None``, placed last) or replace a policy with its conditions, targets and
    escalations. Escalations kept unchanged keep their history (what already ran does not run
    again); removed ones are deleted."""
    _require_manager(actor)
    if policy is not None:
        _same_workspace(actor, policy)
    name = _name(name)
    priorities = _choices(priorities, Priority.values, "priorities")
    channels = _choices(channels, InboxKind.values, "channels")
    customer_tiers = _choices(customer_tiers, Tier.values, "customer_tiers")
    types = _choices(types, ConversationType.values, "types")
    teams = _teams(actor, team_ids)
    targets = {
        "first_response_minutes": _minutes(first_response_minutes, field="first_response_minutes"),
        "next_response_minutes": _minutes(next_response_minutes, field="next_response_minutes"),
        "resolution_minutes": _minutes(resolution_minutes, field="resolution_minutes"),
    }
    if not any(targets.values()):
        raise InvalidInput(_("Give at least one target: first response, next response or resolution."),
                           field="first_response_minutes")
    warning = _minutes(warning_minutes, field="warning_minutes", allow_zero=True) or 0
    shortest = min(v for v in targets.values() if v)
    if warning >= shortest:
        raise InvalidInput(_("The warning comes before the shortest target (%(n)s minutes): give fewer minutes.")
                           % {"n": shortest}, field="warning_minutes")
    if hours not in HoursKind.values:
        raise InvalidInput(_("Choose business hours or 24/7."), field="hours")
    calendar = None
    if hours == HoursKind.BUSINESS and calendar_id not in (None, ""):
        calendar = BusinessCalendar.objects.filter(workspace=actor.workspace, pk=_int(calendar_id, "calendar")).first()
        if calendar is None:
            raise InvalidInput(_("Choose a calendar of this workspace."), field="calendar")
    wanted_escalations = _escalations(actor, escalations)
    if not warning and any(e["trigger"] == Trigger.WARNING for e in wanted_escalations):
        raise InvalidInput(_("Escalations on warning need a warning time: give the minutes before the target."),
                           field="warning_minutes")

    _lock_policy_order(actor)
    before = None
    if policy is None:
        last = (ServiceLevelPolicy.objects.filter(workspace=actor.workspace).aggregate(m=Max("position"))["m"])
        policy = ServiceLevelPolicy(workspace=actor.workspace, position=0 if last is None else last + 1)
    else:
        policy = (ServiceLevelPolicy.objects.select_for_update().prefetch_related("teams", "escalations")
                  .get(pk=policy.pk))
        before = policy_snapshot(policy)
    policy.name, policy.is_active = name, bool(is_active)
    policy.priorities, policy.channels, policy.customer_tiers, policy.types = priorities, channels, customer_tiers, types
    for field, value in targets.items():
        setattr(policy, field, value)
    policy.hours, policy.calendar, policy.warning_minutes = hours, calendar, warning
    policy.save()
    policy.teams.set(teams)

    existing = list(Escalation.objects.filter(policy=policy).order_by("id"))
    kept_keys = []
    for escalation in existing:
        key = _escalation_key(escalation)
        if key in wanted_escalations and key not in kept_keys:
            kept_keys.append(key)
        else:
            escalation.delete()
    Escalation.objects.bulk_create([Escalation(policy=policy, **item) for item in wanted_escalations
                                    if item not in kept_keys])

    after = policy_snapshot(ServiceLevelPolicy.objects.prefetch_related("teams", "escalations").get(pk=policy.pk))
    record_audit(actor=actor, action="servicelevels.policy_created" if before is None else
                 "servicelevels.policy_updated", object_type="service_level_policy", object_id=policy.pk,
                 before=before, after=after)
    return policy


def _lock_policy_order(actor: Actor) -> None:
    """Policies placed and moved at the same time take turns (the workspace row is the lock), so
    positions stay distinct: 0, 1, 2 …"""
    Workspace.objects.select_for_update().filter(pk=actor.workspace.pk).first()


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("Choose a calendar of this workspace."), field=field) from exc


@transaction.atomic
def move_policy(*, actor: Actor, policy: ServiceLevelPolicy, direction: str) -> None:
    """Swap the policy with its neighbour above (``up``) or below (``down``); positions are
    renumbered 0, 1, 2 … in the order the policies are tried."""
    _require_manager(actor)
    _same_workspace(actor, policy)
    if direction not in ("up", "down"):
        raise InvalidInput(_("Move a policy up or down."), field="direction")
    _lock_policy_order(actor)
    ordered = list(ServiceLevelPolicy.objects.select_for_update().filter(workspace=actor.workspace)
                   .order_by("position", "id"))
    index = next(i for i, p in enumerate(ordered) if p.pk == policy.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return  # already first or last
    before = [p.pk for p in ordered]
    ordered[index], ordered[other] = ordered[other], ordered[index]
    changed = []
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
            changed.append(item)
    ServiceLevelPolicy.objects.bulk_update(changed, ["position"])
    record_audit(actor=actor, action="servicelevels.policy_moved", object_type="service_level_policy",
                 object_id=policy.pk, before={"order": before}, after={"order": [p.pk for p in ordered]})


@transaction.atomic
def delete_policy(*, actor: Actor, policy: ServiceLevelPolicy) -> None:
    """Delete a policy with its escalations. Clocks it started keep running on their due times
    until the conversation's next event chooses a policy anew; breaches stay recorded."""
    _require_manager(actor)
    _same_workspace(actor, policy)
    policy = ServiceLevelPolicy.objects.select_for_update().prefetch_related("teams", "escalations").get(pk=policy.pk)
    before = policy_snapshot(policy)
    pk = policy.pk
    policy.delete()
    record_audit(actor=actor, action="servicelevels.policy_deleted", object_type="service_level_policy",
                 object_id=pk, before=before)
