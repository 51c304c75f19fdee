"""Supervisors' routing settings: each team's queue (strategy, automatic assignment, VIP and
priority first), the workspace's default capacities, skills and what needs them, and each agent's
capacity and skills. Thin, as views.py: parse, access_*, one service, redirect or render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layan import errors
from layan.accounts.actors import Actor
from layan.accounts.models import Role
from layan.accounts.selectors import access_agent, access_team
from layan.connectors.selectors import list_inboxes
from layan.routing import services as routing
from layan.routing.models import DEFAULT_CAPACITY, ChannelGroup, SkillKind, Strategy
from layan.routing.selectors import access_skill, routing_overview
from layan.web.session import session_agent_with_role

LEVELS = range(6)  # 0: does not have the skill


def _manager_or_403(request):
    return session_agent_with_role(request, Role.SUPERVISOR)


def _done(request, call, success: str):
    """Run one service call; report its outcome on the page it came from."""
    try:
        call()
    except errors.LayanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("web:settings-routing")


@login_required
@require_GET
def routing_page(request):
    agent = _manager_or_403(request)
    overview = routing_overview(agent=agent)
    defaults = overview.settings
    agents = []
    for row in overview.agents:
        capacity = {
            group: getattr(row.routing, f"{group}_capacity", None) if row.routing else None for group in ChannelGroup.values
        }
        effective = {group: capacity[group] if capacity[group] is not None else getattr(defaults, f"{group}_capacity")
                     for group in ChannelGroup.values}
        agents.append({"row": row, "capacity": capacity, "effective": effective,
                       "skills": [(skill, row.levels.get(skill.pk, 0)) for skill in overview.skills]})
    skills = [{"skill": skill, "inbox_ids": {link.inbox_id for link in skill.inboxes.all()},
               "tags": ", ".join(link.tag.name for link in skill.tags.all())} for skill in overview.skills]
    return render(request, "web/settings/routing.html", {
        "agent": agent, "overview": overview, "agents": agents, "skills": skills, "levels": LEVELS,
        "strategies": Strategy.choices, "skill_kinds": SkillKind.choices, "default_capacity": DEFAULT_CAPACITY,
    })


@login_required
@require_POST
def routing_defaults(request):
    agent = _manager_or_403(request)
    return _done(request, lambda: routing.set_routing_defaults(
        actor=Actor.for_agent(agent), chat_capacity=request.POST.get("chat_capacity", ""),
        email_capacity=request.POST.get("email_capacity", "")), _("Default capacities saved."))


@login_required
@require_POST
def routing_queue(request, team_id: int):
    agent = _manager_or_403(request)
    try:
        team = access_team(agent=agent, team_id=team_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    return _done(request, lambda: routing.configure_queue(
        actor=Actor.for_agent(agent), team=team, strategy=request.POST.get("strategy", ""),
        auto_assign=request.POST.get("auto_assign") == "on",
        priority_first=request.POST.get("priority_first") == "on"),
        _("Queue of %(team)s saved.") % {"team": team.name})


@login_required
@require_POST
def routing_skill_create(request):
    agent = _manager_or_403(request)
    return _done(request, lambda: routing.create_skill(
        actor=Actor.for_agent(agent), name=request.POST.get("name", ""),
        kind=request.POST.get("kind", SkillKind.TOPIC)), _("Skill added."))


def _skill_or_404(agent, skill_id: int):
    try:
        return access_skill(agent=agent, skill_id=skill_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_POST
def routing_skill_delete(request, skill_id: int):
    agent = _manager_or_403(request)
    skill = _skill_or_404(agent, skill_id)
    return _done(request, lambda: routing.delete_skill(actor=Actor.for_agent(agent), skill=skill),
                 _("Skill %(name)s removed.") % {"name": skill.name})


@login_required
@require_POST
def routing_skill_requirements(request, skill_id: int):
    agent = _manager_or_403(request)
    skill = _skill_or_404(agent, skill_id)
    wanted = set(request.POST.getlist("inbox"))
    inboxes = [inbox for inbox in list_inboxes(agent=agent) if str(inbox.pk) in wanted]
    tags = [t.strip() for t in request.POST.get("tags", "").split(",") if t.strip()]
    return _done(request, lambda: routing.set_skill_requirements(
        actor=Actor.for_agent(agent), skill=skill, inboxes=inboxes, tag_names=tags),
        _("What needs %(name)s saved.") % {"name": skill.name})


@login_required
@require_POST
def routing_agent(request, agent_id: int):
    agent = _manager_or_403(request)
    try:
        member = access_agent(agent=agent, agent_id=agent_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    levels = {}
    for key, value in request.POST.items():
        if key.startswith("skill_") and key[6:].isdigit():
            try:
                levels[int(key[6:])] = int(value or 0)
            except ValueError:
                messages.error(request, _("A skill level is from 1 to 5."))
                return redirect("web:settings-routing")
    return _done(request, lambda: routing.set_agent_routing(
        actor=Actor.for_agent(agent), agent=member, chat_capacity=request.POST.get("chat_capacity", ""),
        email_capacity=request.POST.get("email_capacity", ""), skill_levels=levels),
        _("Routing of %(agent)s saved.") % {"agent": member.display_name})
