"""WebSocket for agents: one per browser tab, receiving the workspace's events, and telling
colleagues (and a chatting customer) that this agent is writing a reply."""

from __future__ import annotations

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from layan.accounts.selectors import agents_for_user
from layan.conversations.selectors import access_conversation
from layan.errors import NotFound
from layan.web.realtime import workspace_group
from layan.web.session import SESSION_WORKSPACE_KEY

COMPOSING_EVERY_SECONDS = 2.0  # at most one "is replying" per tab this often


@database_sync_to_async
def _agent_for(user, wanted_workspace_id):
    memberships = agents_for_user(user)
    agent = memberships.filter(workspace_id=wanted_workspace_id).first() if wanted_workspace_id else None
    return agent or memberships.first()


@database_sync_to_async
def _composing(agent, conversation_id: int):
    """The conversation the agent may see (else None); a chatting customer sees "typing"."""
    from layan.connectors.livechat.services import push_agent_typing

    try:
        conversation = access_conversation(agent=agent, conversation_id=conversation_id)
    except NotFound:
        return None
    push_agent_typing(conversation=conversation, agent_name=agent.display_name)
    return conversation


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
        self.agent = agent
        self.last_composing = 0.0
        self.group = workspace_group(agent.workspace_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "workspace_id": agent.workspace_id, "agent_id": agent.pk})

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """{"action": "composing", "conversation_id": N}: colleagues on that conversation see who is
        replying (the collision warning). Anything else is ignored."""
        if not isinstance(content, dict) or content.get("action") != "composing":
            return
        conversation_id = content.get("conversation_id")
        now = time.monotonic()
        if not isinstance(conversation_id, int) or now - self.last_composing < COMPOSING_EVERY_SECONDS:
            return
        self.last_composing = now
        conversation = await _composing(self.agent, conversation_id)
        if conversation is None:
            return
        await self.channel_layer.group_send(self.group, {"type": "layan.event", "payload": {
            "event": "AgentComposing", "workspace_id": self.agent.workspace_id, "conversation_id": conversation.pk,
            "agent_id": self.agent.pk, "agent_name": self.agent.display_name}})

    async def layan_event(self, message):
        await self.send_json(message["payload"])
