"""API v1: the caller, agents (read), teams, inboxes."""

from __future__ import annotations

from ninja import Router, Status

from layan.accounts import services
from layan.accounts.models import Role
from layan.accounts.selectors import (
    access_agent,
    access_team,
    list_agents,
    list_teams,
    require_role,
)
from layan.api import render
from layan.api.schemas import ERRORS, AgentOut, InboxIn, InboxOut, TeamIn, TeamOut, TeamPatch
from layan.connectors import services as inbox_services
from layan.connectors.selectors import access_inbox, list_inboxes

router = Router()


def _agents(request):
    return list_agents(agent=request.agent).prefetch_related("teams")


@router.get("/me", response={200: AgentOut, **ERRORS}, tags=["agents"], summary="The calling agent")
def me(request):
    return render.agent_out(_agents(request).get(pk=request.agent.pk))


@router.get("/agents", response={200: list[AgentOut], **ERRORS}, tags=["agents"], summary="List agents")
def agents(request):
    return [render.agent_out(a) for a in _agents(request)]


@router.get("/agents/{int:agent_id}", response={200: AgentOut, **ERRORS}, tags=["agents"], summary="Get an agent")
def agent(request, agent_id: int):
    access_agent(agent=request.agent, agent_id=agent_id)
    return render.agent_out(_agents(request).get(pk=agent_id))


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, tags=["teams"], summary="List teams")
def teams(request):
    return [render.team_out(t) for t in list_teams(agent=request.agent)]


@router.get("/teams/{int:team_id}", response={200: TeamOut, **ERRORS}, tags=["teams"], summary="Get a team")
def team(request, team_id: int):
    return render.team_out(access_team(agent=request.agent, team_id=team_id))


@router.post("/teams", response={201: TeamOut, **ERRORS}, tags=["teams"], summary="Create a team (admin)")
def create_team(request, payload: TeamIn):
    require_role(request.agent, Role.ADMIN)
    members = [access_agent(agent=request.agent, agent_id=pk) for pk in payload.member_ids]
    created = services.create_team(actor=request.actor, name=payload.name, description=payload.description)
    if members:
        services.set_team_members(actor=request.actor, team=created, agents=members)
    return Status(201, render.team_out(access_team(agent=request.agent, team_id=created.pk)))


@router.patch("/teams/{int:team_id}", response={200: TeamOut, **ERRORS}, tags=["teams"],
              summary="Rename a team or set its members (admin)")
def update_team(request, team_id: int, payload: TeamPatch):
    require_role(request.agent, Role.ADMIN)
    found = access_team(agent=request.agent, team_id=team_id)
    members = None
    if payload.member_ids is not None:
        members = [access_agent(agent=request.agent, agent_id=pk) for pk in payload.member_ids]
    services.update_team(actor=request.actor, team=found, name=payload.name, description=payload.description)
    if members is not None:
        services.set_team_members(actor=request.actor, team=found, agents=members)
    return render.team_out(access_team(agent=request.agent, team_id=team_id))


@router.delete("/teams/{int:team_id}", response={204: None, **ERRORS}, tags=["teams"],
               summary="Delete a team (admin)")
def delete_team(request, team_id: int):
    require_role(request.agent, Role.ADMIN)
    services.delete_team(actor=request.actor, team=access_team(agent=request.agent, team_id=team_id))
    return Status(204, None)


@router.get("/inboxes", response={200: list[InboxOut], **ERRORS}, tags=["inboxes"], summary="List inboxes")
def inboxes(request):
    return [render.inbox_out(i) for i in list_inboxes(agent=request.agent)]


@router.get("/inboxes/{int:inbox_id}", response={200: InboxOut, **ERRORS}, tags=["inboxes"], summary="Get an inbox")
def inbox(request, inbox_id: int):
    return render.inbox_out(access_inbox(agent=request.agent, inbox_id=inbox_id))


@router.post("/inboxes", response={201: InboxOut, **ERRORS}, tags=["inboxes"], summary="Create an inbox (admin)")
def create_inbox(request, payload: InboxIn):
    require_role(request.agent, Role.ADMIN)
    team = access_team(agent=request.agent, team_id=payload.default_team_id) if payload.default_team_id else None
    created = inbox_services.create_inbox(
        actor=request.actor, kind=payload.kind, name=payload.name, default_team=team,
        threading_policy=payload.threading_policy, reopen_window_days=payload.reopen_window_days,
    )
    return Status(201, render.inbox_out(created))
