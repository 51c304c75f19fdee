"""Reads for accounts and the role checks every view and endpoint goes through."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layan.accounts.models import (
    Agent,
    APIToken,
    AuditEntry,
    Availability,
    Notification,
    Role,
    Team,
)
from layan.errors import NotFound, PermissionDenied


def require_role(agent: Agent, *roles: str) -> None:
    """Refuse unless the agent has one of ``roles`` (admin always passes)."""
    if agent.role == Role.ADMIN or agent.role in roles:
        return
    raise PermissionDenied(_("Your role does not allow this."))


def agent_team_ids(agent: Agent) -> set[int]:
    cached = getattr(agent, "_team_ids", None)
    if cached is None:
        cached = set(agent.teams.values_list("id", flat=True))
        agent._team_ids = cached
    return cached


def active_agent_for_token(raw: str) -> tuple[Agent, APIToken] | None:
    """The agent a bearer token acts as, or None if unknown, revoked or inactive."""
    from layan.accounts.services import hash_token

    token = (
        APIToken.objects.select_related("agent__workspace", "agent__user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.agent.is_active or not token.agent.user.is_active:
        return None
    return token.agent, token


def agents_for_user(user) -> QuerySet[Agent]:
    return Agent.objects.select_related("workspace").filter(user=user, is_active=True).order_by("id")


def list_agents(*, agent: Agent) -> QuerySet[Agent]:
    return Agent.objects.select_related("user").filter(workspace_id=agent.workspace_id).order_by("id")


def access_agent(*, agent: Agent, agent_id: int) -> Agent:
    found = list_agents(agent=agent).filter(pk=agent_id).first()
    if found is None:
        raise NotFound(_("Agent not found."), field="agent")
    return found


def list_teams(*, agent: Agent) -> QuerySet[Team]:
    return Team.objects.filter(workspace_id=agent.workspace_id).prefetch_related("members").order_by("name")


def access_team(*, agent: Agent, team_id: int) -> Team:
    found = list_teams(agent=agent).filter(pk=team_id).first()
    if found is None:
        raise NotFound(_("Team not found."), field="team")
    return found


def audit_trail(*, agent: Agent, object_type: str, object_id) -> QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.select_related("actor_agent")
        .filter(workspace_id=agent.workspace_id, object_type=object_type, object_id=str(object_id))
        .order_by("id")
    )


def agents_online(*, workspace_id: int, team_id: int | None = None) -> bool:
    """Whether anyone takes conversations now: an active agent who is online (in the team, if given)."""
    agents = Agent.objects.filter(workspace_id=workspace_id, is_active=True, availability=Availability.ONLINE)
    if team_id is not None:
        agents = agents.filter(teams__id=team_id)
    return agents.exists()


def agent_notifications(*, agent: Agent, limit: int = 50) -> list[Notification]:
    """The agent's own latest notifications, newest first (no one reads another's)."""
    return list(Notification.objects.filter(agent=agent).order_by("-id")[:limit])
