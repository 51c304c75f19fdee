"""Supervisors' service-level settings: business calendars (weekly hours, exceptions, teams, the
coming public holidays) and policies (conditions, targets, clock, escalations, order). Thin, as
views.py: parse, access_*, one service, redirect or render."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from layan import errors
from layan.accounts.actors import Actor
from layan.accounts.models import Role
from layan.accounts.selectors import list_teams
from layan.connectors.models import InboxKind
from layan.conversations.models import ConversationType, Priority
from layan.customers.models import Tier
from layan.servicelevels import settings_services as services
from layan.servicelevels.models import (
    MIDNIGHT,
    ClosureKind,
    EscalationKind,
    HoursKind,
    Metric,
    Trigger,
    Weekday,
)
from layan.servicelevels.selectors import (
    access_calendar,
    access_policy,
    calendars_for,
    country_choices,
    policies_for,
    team_calendars,
    timezone_choices,
    upcoming_holidays,
)
from layan.web.session import session_agent_with_role

DEFAULT_WEEK = ["08:00-17:00"] * 5 + ["", ""]
BLANK_ESCALATIONS = 3  # empty rows offered under the existing ones
FORM_ESCALATIONS_MAX = 20


def _manager_or_403(request):
    return session_agent_with_role(request, Role.SUPERVISOR)


def _calendar_or_404(agent, calendar_id: int):
    try:
        return access_calendar(agent=agent, calendar_id=calendar_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


def _policy_or_404(agent, policy_id: int):
    try:
        return access_policy(agent=agent, policy_id=policy_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


def _ranges(hours_rows) -> list[str]:
    """A calendar's hours as the seven texts of the form, Monday first."""
    week: list[list[str]] = [[] for _day in range(7)]
    for row in hours_rows:
        closes = "24:00" if row.closes_at == MIDNIGHT else f"{row.closes_at:%H:%M}"
        week[row.weekday].append(f"{row.opens_at:%H:%M}-{closes}")
    return [", ".join(day) for day in week]


def _dated_lines(closures, kind: str) -> str:
    return "\n".join(f"{c.date.isoformat()} {c.name}".rstrip() for c in closures if c.kind == kind)


@login_required
@require_GET
def service_levels_page(request):
    agent = _manager_or_403(request)
    calendars = [{"calendar": calendar, "week": list(zip(Weekday.labels, _ranges(calendar.hours.all()), strict=True)),
                  "teams": [link.team for link in calendar.team_links.all()],
                  "exceptions": len(calendar.closures.all())} for calendar in calendars_for(agent)]
    policies = [{"policy": policy, "conditions": _conditions(policy)} for policy in policies_for(agent)]
    return render(request, "web/settings/service_levels.html", {
        "agent": agent, "calendars": calendars, "policies": policies, "flash": list(messages.get_messages(request))})


def _conditions(policy) -> list[tuple[str, str]]:
    """(condition, the values chosen) for the non-empty conditions of ``policy``."""
    shown = []
    for label, values, choices in ((_("Priority"), policy.priorities, Priority), (_("Channel"), policy.channels, InboxKind),
                                   (_("Customer tier"), policy.customer_tiers, Tier),
                                   (_("Type"), policy.types, ConversationType)):
        names = dict(choices.choices)
        if values:
            shown.append((label, ", ".join(str(names.get(v, v)) for v in values)))
    teams = [team.name for team in policy.teams.all()]
    if teams:
        shown.append((_("Team"), ", ".join(teams)))
    return shown


# --- calendars -------------------------------------------------------------------------------------


def _calendar_form(request, agent, *, calendar=None, error=None, status=200):
    if request.method == "POST":
        post = request.POST
        values = {"name": post.get("name", ""), "timezone": post.get("timezone", ""),
                  "holiday_country": post.get("holiday_country", ""),
                  "holiday_subdivision": post.get("holiday_subdivision", ""),
                  "is_default": post.get("is_default") == "on", "closed_dates": post.get("closed_dates", ""),
                  "open_dates": post.get("open_dates", ""), "teams": set(post.getlist("teams"))}
        week = [post.get(f"hours-{day}", "") for day in range(7)]
    elif calendar is not None:
        closures = list(calendar.closures.all())
        values = {"name": calendar.name, "timezone": calendar.timezone, "holiday_country": calendar.holiday_country,
                  "holiday_subdivision": calendar.holiday_subdivision, "is_default": calendar.is_default,
                  "closed_dates": _dated_lines(closures, ClosureKind.CLOSED),
                  "open_dates": _dated_lines(closures, ClosureKind.OPEN),
                  "teams": {str(link.team_id) for link in calendar.team_links.all()}}
        week = _ranges(calendar.hours.all())
    else:
        values = {"name": "", "timezone": "Asia/Jakarta", "holiday_country": "ID", "holiday_subdivision": "",
                  "is_default": False, "closed_dates": "", "open_dates": "", "teams": set()}
        week = DEFAULT_WEEK
    holidays_of = calendar if calendar is not None else None
    country = holidays_of.holiday_country if holidays_of else values["holiday_country"]
    zone = holidays_of.timezone if holidays_of else "Asia/Jakarta"
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    worked = {c.date for c in calendar.closures.all() if c.kind == ClosureKind.OPEN} if calendar else set()
    coming = [{"date": day, "name": name, "worked": day in worked} for day, name in upcoming_holidays(
        country=country, subdivision=holidays_of.holiday_subdivision if holidays_of else "", since=today)]
    using = team_calendars(agent)
    teams = [{"team": team, "selected": str(team.pk) in values["teams"],
              "elsewhere": using[team.pk] if team.pk in using and (calendar is None or using[team.pk].pk != calendar.pk)
              else None} for team in list_teams(agent=agent)]
    return render(request, "web/settings/service_levels_calendar.html", {
        "agent": agent, "calendar": calendar, "values": values, "error": error,
        "week": list(zip(range(7), Weekday.labels, week, strict=True)), "timezones": timezone_choices(),
        "countries": country_choices(), "holidays": coming, "teams": teams,
    }, status=status)


def _calendar_fields(post) -> dict:
    return {"name": post.get("name", ""), "timezone": post.get("timezone", ""),
            "holiday_country": post.get("holiday_country", ""), "holiday_subdivision": post.get("holiday_subdivision", ""),
            "is_default": post.get("is_default") == "on", "week": [post.get(f"hours-{day}", "") for day in range(7)],
            "closed_dates": post.get("closed_dates", ""), "open_dates": post.get("open_dates", ""),
            "team_ids": post.getlist("teams")}


@login_required
@require_http_methods(["GET", "POST"])
def calendar_create(request):
    agent = _manager_or_403(request)
    if request.method == "GET":
        return _calendar_form(request, agent)
    try:
        calendar = services.save_calendar(actor=Actor.for_agent(agent), **_calendar_fields(request.POST))
    except errors.LayanError as exc:
        return _calendar_form(request, agent, error=exc, status=exc.status)
    messages.success(request, _("Calendar %(name)s created.") % {"name": calendar.name})
    return redirect("web:settings-service-levels")


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request, calendar_id: int):
    agent = _manager_or_403(request)
    calendar = _calendar_or_404(agent, calendar_id)
    if request.method == "GET":
        return _calendar_form(request, agent, calendar=calendar)
    try:
        services.save_calendar(actor=Actor.for_agent(agent), calendar=calendar, **_calendar_fields(request.POST))
    except errors.LayanError as exc:
        return _calendar_form(request, agent, calendar=calendar, error=exc, status=exc.status)
    messages.success(request, _("Calendar %(name)s saved.") % {"name": request.POST.get("name", "").strip()})
    return redirect("web:settings-service-levels")


@login_required
@require_POST
def calendar_delete(request, calendar_id: int):
    agent = _manager_or_403(request)
    calendar = _calendar_or_404(agent, calendar_id)
    try:
        services.delete_calendar(actor=Actor.for_agent(agent), calendar=calendar)
    except errors.LayanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Calendar %(name)s deleted.") % {"name": calendar.name})
    return redirect("web:settings-service-levels")


# --- policies --------------------------------------------------------------------------------------

ESCALATION_FIELDS = ("trigger", "metric", "action", "team", "priority")


def _escalation_rows(post) -> list[dict]:
    count = min(int(post.get("escalation_rows", "0") or 0) if post.get("escalation_rows", "").isdigit() else 0,
                FORM_ESCALATIONS_MAX)
    return [{name: post.get(f"esc-{i}-{name}", "") for name in ESCALATION_FIELDS} for i in range(count)]


def _policy_fields(post) -> dict:
    return {"name": post.get("name", ""), "is_active": post.get("is_active") == "on",
            "priorities": post.getlist("priorities"), "channels": post.getlist("channels"),
            "customer_tiers": post.getlist("customer_tiers"), "types": post.getlist("types"),
            "team_ids": post.getlist("teams"), "first_response_minutes": post.get("first_response_minutes", ""),
            "next_response_minutes": post.get("next_response_minutes", ""),
            "resolution_minutes": post.get("resolution_minutes", ""), "hours": post.get("hours", ""),
            "calendar_id": post.get("calendar", ""), "warning_minutes": post.get("warning_minutes", ""),
            "escalations": _escalation_rows(post)}


def _policy_form(request, agent, *, policy=None, error=None, status=200):
    if request.method == "POST":
        fields = _policy_fields(request.POST)
        values = {**fields, "team_ids": set(fields["team_ids"]), "calendar_id": fields["calendar_id"]}
        rows = fields["escalations"]
    elif policy is not None:
        values = {"name": policy.name, "is_active": policy.is_active, "priorities": policy.priorities,
                  "channels": policy.channels, "customer_tiers": policy.customer_tiers, "types": policy.types,
                  "team_ids": {str(t.pk) for t in policy.teams.all()},
                  "first_response_minutes": policy.first_response_minutes or "",
                  "next_response_minutes": policy.next_response_minutes or "",
                  "resolution_minutes": policy.resolution_minutes or "", "hours": policy.hours,
                  "calendar_id": str(policy.calendar_id or ""), "warning_minutes": policy.warning_minutes or ""}
        rows = [{"trigger": e.trigger, "metric": e.metric, "action": e.action, "team": str(e.team_id or ""),
                 "priority": e.priority} for e in policy.escalations.all()]
    else:
        values = {"name": "", "is_active": True, "priorities": [], "channels": [], "customer_tiers": [], "types": [],
                  "team_ids": set(), "first_response_minutes": "", "next_response_minutes": "",
                  "resolution_minutes": "", "hours": HoursKind.BUSINESS, "calendar_id": "", "warning_minutes": ""}
        rows = []
    rows = [row for row in rows if row.get("action")] + [dict.fromkeys(ESCALATION_FIELDS, "")
                                                           for _i in range(BLANK_ESCALATIONS)]
    return render(request, "web/settings/service_levels_policy.html", {
        "agent": agent, "policy": policy, "values": values, "error": error,
        "escalations": list(enumerate(rows)), "escalation_count": len(rows),
        "conditions": [(name, label, choices, values[name]) for name, label, choices in (
            ("priorities", _("Priority"), Priority.choices), ("channels", _("Channel"), InboxKind.choices),
            ("customer_tiers", _("Customer tier"), Tier.choices), ("types", _("Type"), ConversationType.choices))],
        "teams": list(list_teams(agent=agent)), "calendars": list(calendars_for(agent).prefetch_related(None)),
        "hours_kinds": HoursKind.choices, "triggers": Trigger.choices, "metrics": Metric.choices,
        "actions": EscalationKind.choices, "priorities": Priority.choices,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def policy_create(request):
    agent = _manager_or_403(request)
    if request.method == "GET":
        return _policy_form(request, agent)
    try:
        policy = services.save_policy(actor=Actor.for_agent(agent), **_policy_fields(request.POST))
    except errors.LayanError as exc:
        return _policy_form(request, agent, error=exc, status=exc.status)
    messages.success(request, _("Policy %(name)s created.") % {"name": policy.name})
    return redirect("web:settings-service-levels")


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, policy_id: int):
    agent = _manager_or_403(request)
    policy = _policy_or_404(agent, policy_id)
    if request.method == "GET":
        return _policy_form(request, agent, policy=policy)
    try:
        policy = services.save_policy(actor=Actor.for_agent(agent), policy=policy, **_policy_fields(request.POST))
    except errors.LayanError as exc:
        return _policy_form(request, agent, policy=policy, error=exc, status=exc.status)
    messages.success(request, _("Policy %(name)s saved.") % {"name": policy.name})
    return redirect("web:settings-service-levels")


@login_required
@require_POST
def policy_move(request, policy_id: int):
    agent = _manager_or_403(request)
    policy = _policy_or_404(agent, policy_id)
    try:
        services.move_policy(actor=Actor.for_agent(agent), policy=policy, direction=request.POST.get("direction", ""))
    except errors.LayanError as exc:
        messages.error(request, exc.message)
    return redirect("web:settings-service-levels")


@login_required
@require_POST
def policy_delete(request, policy_id: int):
    agent = _manager_or_403(request)
    policy = _policy_or_404(agent, policy_id)
    services.delete_policy(actor=Actor.for_agent(agent), policy=policy)
    messages.success(request, _("Policy %(name)s deleted.") % {"name": policy.name})
    return redirect("web:settings-service-levels")
