"""Reads for the on-call line: a rotation's schedule, who is on call, which rotation covers a
conversation, and the access checks the on-call page goes through."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.errors import NotFound
from layan.servicelevels.oncall_models import OnCallOverride, OnCallPage, OnCallRotation
from layan.servicelevels.oncall_schedule import Cover, Schedule, Slot, on_call_at, slots_between

SCHEDULE_DAYS = 14


def rotation_schedule(rotation: OnCallRotation, *, start: datetime | None = None,
                      end: datetime | None = None) -> Schedule:
    """The rotation's shape with its members in order and the overrides touching [start, end)
    (all of them when no window is given): two queries."""
    overrides = OnCallOverride.objects.filter(rotation=rotation)
    if start is not None:
        overrides = overrides.filter(ends_at__gt=start)
    if end is not None:
        overrides = overrides.filter(starts_at__lt=end)
    members = tuple(rotation.members.order_by("position").values_list("agent_id", flat=True))
    covers = tuple(Cover(agent_id=o.agent_id, starts_at=o.starts_at, ends_at=o.ends_at, order=o.pk)
                   for o in overrides.only("pk", "agent_id", "starts_at", "ends_at"))
    return Schedule(timezone=rotation.timezone, member_ids=members, shift_hours=rotation.shift_hours,
                    handover_time=rotation.handover_time, starts_on=rotation.starts_on, overrides=covers)


def on_call_agent(rotation: OnCallRotation, at: datetime) -> Agent | None:
    """Who is on call for ``rotation`` at the instant ``at`` (an override first)."""
    schedule = rotation_schedule(rotation, start=at, end=at + timedelta(microseconds=1))
    agent_id = on_call_at(schedule, at)
    if agent_id is None:
        return None
    return Agent.objects.filter(pk=agent_id, workspace_id=rotation.workspace_id).first()


def rotation_for_conversation(*, workspace_id: int, team_id: int | None) -> OnCallRotation | None:
    """The active rotation of the conversation's team, else the workspace's own."""
    rotations = OnCallRotation.objects.filter(workspace_id=workspace_id, is_active=True).filter(
        Q(team__isnull=True) | Q(team_id=team_id) if team_id else Q(team__isnull=True))
    by_team = {r.team_id: r for r in rotations}
    return by_team.get(team_id) if team_id in by_team else by_team.get(None)


def list_rotations(*, agent: Agent):
    """Every rotation of the agent's workspace (any agent may see who is on call)."""
    return OnCallRotation.objects.filter(workspace_id=agent.workspace_id).select_related("team").order_by(
        "team__name", "name", "pk")


def access_rotation(*, agent: Agent, rotation_id: int) -> OnCallRotation:
    rotation = list_rotations(agent=agent).filter(pk=rotation_id).first()
    if rotation is None:
        raise NotFound(_("On-call rotation not found."), field="rotation")
    return rotation


def access_override(*, agent: Agent, override_id: int) -> OnCallOverride:
    found = OnCallOverride.objects.filter(workspace_id=agent.workspace_id, pk=override_id).select_related(
        "rotation").first()
    if found is None:
        raise NotFound(_("Override not found."), field="override")
    return found


def access_page(*, agent: Agent, page_id: int) -> OnCallPage:
    page = OnCallPage.objects.filter(workspace_id=agent.workspace_id, pk=page_id).select_related(
        "conversation", "agent", "acknowledged_by", "rotation").first()
    if page is None:
        raise NotFound(_("Page not found."), field="page")
    return page


def open_pages(*, agent: Agent, limit: int = 50) -> list[OnCallPage]:
    """The workspace's unacknowledged pages, newest first."""
    return list(OnCallPage.objects.filter(workspace_id=agent.workspace_id, acknowledged_at__isnull=True)
                .select_related("conversation", "agent", "rotation").order_by("-created_at")[:limit])


def upcoming_slots(rotation: OnCallRotation, *, days: int = SCHEDULE_DAYS,
                   now: datetime | None = None) -> list[tuple[Slot, Agent | None]]:
    """Who is on call from now for ``days`` days, with each slot's agent (three queries)."""
    start = now or timezone.now()
    end = start + timedelta(days=days)
    slots = slots_between(rotation_schedule(rotation, start=start, end=end), start, end)
    agents = Agent.objects.in_bulk({s.agent_id for s in slots if s.agent_id})
    return [(slot, agents.get(slot.agent_id)) for slot in slots]


def upcoming_overrides(rotation: OnCallRotation, *, now: datetime | None = None):
    return (OnCallOverride.objects.filter(rotation=rotation, ends_at__gt=now or timezone.now())
            .select_related("agent", "created_by").order_by("starts_at", "pk"))


def open_page_for_conversation(*, conversation) -> OnCallPage | None:
    """The conversation's unacknowledged emergency page, if any (one query, for its banner)."""
    return (OnCallPage.objects.filter(conversation_id=conversation.pk, workspace_id=conversation.workspace_id,
                                      acknowledged_at__isnull=True).select_related("agent").first())
