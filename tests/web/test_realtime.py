"""The agent WebSocket (/ws/agent/): a logged-in agent receives their workspace's events, and only those.

Driven through the real ASGI application (origin check, session, auth) with the in-memory channel
layer. Transactional tests: the consumer reads the session through database_sync_to_async, which
must not run inside a test's open transaction.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.test import Client

from layan import events
from layan.accounts.services import create_agent
from layan.asgi import application
from layan.conversations.services import assign_conversation, receive_inbound_message
from layan.web.session import SESSION_WORKSPACE_KEY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def session_cookie(user, workspace=None) -> bytes:
    client = Client()
    client.force_login(user)
    if workspace is not None:
        session = client.session
        session[SESSION_WORKSPACE_KEY] = workspace.pk
        session.save()
    return f"sessionid={client.cookies['sessionid'].value}".encode()


class WebsocketClient(ApplicationCommunicator):
    """Channels' WebsocketCommunicator, in the few lines we need: importing channels.testing
    pulls in its live-server test case, which needs daphne, which Layan does not use."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]]):
        super().__init__(application, {"type": "websocket", "path": path, "query_string": b"",
                                       "headers": headers, "subprotocols": []})

    async def connect(self, timeout: float = 2) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, None

    async def receive_json_from(self, timeout: float = 2) -> dict:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 2) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def agent_socket(cookie: bytes | None = None, origin: bytes = b"http://localhost") -> WebsocketClient:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketClient("/ws/agent/", headers)


def run(scenario) -> None:
    """Run an async scenario; its database calls (sync_to_async) come back to this thread."""
    async_to_sync(scenario)()


def test_an_agent_receives_their_workspaces_events_and_never_another_workspaces(world, other_world, inbound):
    our_cookie, their_cookie = session_cookie(world.agent.user), session_cookie(other_world.agent.user)

    async def scenario():
        ours = agent_socket(our_cookie)
        theirs = agent_socket(their_cookie)
        assert (await ours.connect())[0]
        assert (await theirs.connect())[0]
        assert await ours.receive_json_from() == {"event": "hello", "workspace_id": world.workspace.pk,
                                                  "agent_id": world.agent.pk}
        assert (await theirs.receive_json_from())["workspace_id"] == other_world.workspace.pk

        elsewhere = await sync_to_async(receive_inbound_message)(inbox=other_world.email_inbox,
                                                                 inbound=inbound("siti@contoh.id"))
        here = await sync_to_async(receive_inbound_message)(inbox=world.email_inbox, inbound=inbound("rudi@contoh.id"))

        ids = {"workspace_id": world.workspace.pk, "conversation_id": here.conversation.pk}
        assert await ours.receive_json_from(timeout=2) == {"event": "ConversationCreated", **ids}
        assert await ours.receive_json_from(timeout=2) == {"event": "MessageReceived", **ids,
                                                           "message_id": here.message.pk}
        assert await ours.receive_nothing(timeout=0.3)
        received_there = [await theirs.receive_json_from(timeout=2) for _ in range(2)]
        assert [m["conversation_id"] for m in received_there] == [elsewhere.conversation.pk] * 2
        assert {m["workspace_id"] for m in received_there} == {other_world.workspace.pk}
        assert await theirs.receive_nothing(timeout=0.3)
        await ours.disconnect()
        await theirs.disconnect()

    run(scenario)


def test_events_carry_ids_only(world, inbound):
    conversation = receive_inbound_message(inbox=world.email_inbox, inbound=inbound()).conversation
    cookie = session_cookie(world.admin.user)

    async def scenario():
        socket = agent_socket(cookie)
        assert (await socket.connect())[0]
        await socket.receive_json_from()  # hello

        await sync_to_async(assign_conversation)(actor=world.actor, conversation=conversation,
                                                 assignee=world.agent, team=world.team)

        pushed = await socket.receive_json_from(timeout=2)
        fields = {f.name for f in dataclasses.fields(events.ConversationAssigned)} - {"rule_chain"}  # kept server-side
        assert pushed == {"event": "ConversationAssigned", "workspace_id": world.workspace.pk,
                          "conversation_id": conversation.pk, "assignee_id": world.agent.pk,
                          "team_id": world.team.pk, "by_agent_id": world.admin.pk}
        assert set(pushed) == {"event", *fields}
        await socket.disconnect()

    run(scenario)


def test_a_person_in_two_workspaces_gets_the_events_of_the_workspace_chosen_in_the_session(world, other_world,
                                                                                           inbound):
    create_agent(workspace=other_world.workspace, email=world.agent.user.email, display_name="Budi (lain)")
    cookie = session_cookie(world.agent.user, workspace=other_world.workspace)

    async def scenario():
        socket = agent_socket(cookie)
        assert (await socket.connect())[0]
        assert (await socket.receive_json_from())["workspace_id"] == other_world.workspace.pk

        await sync_to_async(receive_inbound_message)(inbox=world.email_inbox, inbound=inbound())
        assert await socket.receive_nothing(timeout=0.3)
        await sync_to_async(receive_inbound_message)(inbox=other_world.email_inbox, inbound=inbound())
        assert (await socket.receive_json_from(timeout=2))["workspace_id"] == other_world.workspace.pk
        await socket.disconnect()

    run(scenario)


def test_an_unauthenticated_connection_is_refused():
    async def scenario():
        socket = agent_socket()
        connected, code = await socket.connect()
        assert (connected, code) == (False, 4401)

    run(scenario)


def test_a_forged_session_cookie_is_refused():
    async def scenario():
        socket = agent_socket(b"sessionid=not-a-real-session")
        connected, code = await socket.connect()
        assert (connected, code) == (False, 4401)

    run(scenario)


def test_a_deactivated_agent_is_refused(world):
    cookie = session_cookie(world.agent.user)
    world.agent.is_active = False
    world.agent.save(update_fields=["is_active"])

    async def scenario():
        connected, code = await agent_socket(cookie).connect()
        assert (connected, code) == (False, 4403)

    run(scenario)


def test_a_connection_from_a_foreign_origin_is_refused(world):
    cookie = session_cookie(world.agent.user)

    async def scenario():
        socket = agent_socket(cookie, origin=b"https://evil.example")
        connected, _code = await socket.connect()
        assert connected is False

    run(scenario)
