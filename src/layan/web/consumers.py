"""WebSocket for agents: one per browser tab, receiving the workspace's events."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from layan.accounts.selectors import agents_for_user
from layan.web.realtime import workspace_group
from layan.web.session import SESSION_WORKSPACE_KEY


@database_sync_to_async
def _agent_for(user, wanted_workspace_id):
    memberships = agents_for_user(user)
    agent = memberships.filter(workspace_id=wanted_workspace_id).first() if wanted_workspace_id else None
    return agent or memberships.first()


class AgentEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        session = self.scope.get("session")
        agent = await _agent_for(user, session.get(SESSION_WORKSPACE_KEY) if session else None)
        if agent is None:
            await self.close(code=4403)
            return
        self.group = workspace_group(agent.workspace_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "workspace_id": agent.workspace_id, "agent_id": agent.pk})

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def layan_event(self, message):
        await self.send_json(message["payload"])
