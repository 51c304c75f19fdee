"""Who performs a change: an agent (maybe through an API token), a customer, or the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layan.accounts.models import Agent, APIToken, Workspace


@dataclass(frozen=True)
class Actor:
    workspace: Workspace
    kind: str  # ActorKind value
    agent: Agent | None = None
    token: APIToken | None = None

    @classmethod
    def for_agent(cls, agent: Agent, token: APIToken | None = None) -> Actor:
        return cls(workspace=agent.workspace, kind="agent", agent=agent, token=token)

    @classmethod
    def system(cls, workspace: Workspace) -> Actor:
        return cls(workspace=workspace, kind="system")

    @classmethod
    def customer(cls, workspace: Workspace) -> Actor:
        return cls(workspace=workspace, kind="customer")
