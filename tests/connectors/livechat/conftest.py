"""A livechat inbox on the world's workspace, visitor sessions, and a WebSocket client for the widget."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.cache import cache

from layan.connectors.livechat.sessions import Visitor, issue_token
from layan.connectors.services import create_inbox

SITE = "https://toko-maju.example"
SECRET_ENV = "LAYAN_TEST_WIDGET_SECRET"
SECRET = "rahasia-toko-maju-1234567890"


@pytest.fixture(autouse=True)
def _fresh_cache_and_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Rate-limit counters of this process only: on a Redis shared by parallel test processes the
    # same visitor ids and 127.0.0.1 would count together, and clearing it would wipe theirs.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "livechat-tests"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def chat_settings(world):
    return {"allowed_origins": [SITE], "colour": "#aa3300", "greeting": {"id": "Halo!", "en": "Hello!"},
            "prechat": {"fields": ["name", "email"], "required": False},
            "identity_secret_env": SECRET_ENV, "leave_message_inbox": world.email_inbox.public_id}


@pytest.fixture
def livechat_inbox(world, chat_settings, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return create_inbox(actor=world.actor, kind="livechat", name="Chat situs", settings=chat_settings)


def visitor_token(inbox, name: str = "siti") -> str:
    return issue_token(Visitor(inbox_public_id=inbox.public_id, identity=f"{inbox.public_id}:v:{name}",
                               verified=False))


class WidgetSocket(ApplicationCommunicator):
    """Channels' WebsocketCommunicator in the few lines needed (see tests/web/test_realtime.py)."""

    def __init__(self, inbox, origin: str = SITE, client: tuple[str, int] = ("203.0.113.7", 5000)):
        from layan.asgi import application

        headers = [(b"host", b"localhost")] + ([(b"origin", origin.encode())] if origin else [])
        super().__init__(application, {"type": "websocket", "path": f"/ws/widget/{inbox.public_id}/",
                                       "query_string": b"", "headers": headers, "subprotocols": [],
                                       "client": list(client)})

    async def connect(self, timeout: float = 3) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, None

    async def send_json(self, content) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(content)})

    async def receive_json(self, timeout: float = 3) -> dict:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def authenticate(self, token: str) -> dict:
        connected, code = await self.connect()
        assert connected, code
        await self.send_json({"type": "auth", "token": token})
        ready = await self.receive_json()
        assert ready["type"] == "ready", ready
        return ready

    async def close_socket(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(2)


def run(scenario) -> None:
    async_to_sync(scenario)()
