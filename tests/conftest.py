"""Shared fixtures: workspaces, agents of each role, tokens, and an API client that speaks JSON."""

from __future__ import annotations

import itertools
import json

import pytest
from django.test import Client

from layan.accounts.actors import Actor
from layan.accounts.services import (
    create_agent,
    create_api_token,
    create_team,
    create_workspace,
    set_team_members,
)
from layan.connectors.base import InboundMessage
from layan.connectors.services import create_inbox


@pytest.fixture(autouse=True, scope="session")
def _huey_immediate():
    """Tasks run inline in tests; on_commit still decides when they are enqueued."""
    from layan.jobs import huey

    huey.immediate = True


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request in an earlier test must not leak its own."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


class ApiClient:
    """Django's test client with JSON bodies and a bearer token."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method, path, data=None, headers=None):
        extra = {**self.headers, **(headers or {})}
        kwargs = {}
        if data is not None:
            kwargs = {"data": json.dumps(data) if not isinstance(data, (str, bytes)) else data,
                      "content_type": "application/json"}
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs, **extra)

    def get(self, path, params=None, headers=None):
        return self.client.get(f"/api/v1{path}", params or {}, **{**self.headers, **(headers or {})})

    def post(self, path, data=None, headers=None):
        return self._call("post", path, data if data is not None else {}, headers)

    def patch(self, path, data=None, headers=None):
        return self._call("patch", path, data if data is not None else {}, headers)

    def delete(self, path, headers=None):
        return self._call("delete", path, None, headers)


class World:
    """One workspace with an admin, a supervisor, two agents in two teams, and an email inbox."""

    def __init__(self, name: str):
        self.workspace = create_workspace(name=name)
        ws = self.workspace
        self.admin = create_agent(workspace=ws, email=f"admin@{ws.slug}.test", role="admin", display_name="Admin")
        self.supervisor = create_agent(workspace=ws, email=f"spv@{ws.slug}.test", role="supervisor",
                                       display_name="Supervisor")
        self.agent = create_agent(workspace=ws, email=f"budi@{ws.slug}.test", role="agent", display_name="Budi")
        self.other_agent = create_agent(workspace=ws, email=f"sari@{ws.slug}.test", role="agent",
                                        display_name="Sari")
        actor = Actor.for_agent(self.admin)
        self.actor = actor
        self.team = create_team(actor=actor, name="Layanan Pelanggan")
        self.other_team = create_team(actor=actor, name="Customer Care")
        set_team_members(actor=actor, team=self.team, agents=[self.agent])
        set_team_members(actor=actor, team=self.other_team, agents=[self.other_agent])
        # The receive-path suites use this inbox for the "continue the customer's open conversation"
        # policy; email inboxes default to a new conversation per thread (tests/connectors/email).
        self.email_inbox = create_inbox(actor=actor, kind="email", name="Email dukungan", threading_policy="reuse_open",
                                        settings={"addresses": ["support@tokomaju.test"]})
        self.whatsapp_inbox = create_inbox(actor=actor, kind="whatsapp", name="WhatsApp")
        self.tokens = {}
        for role, member in (("admin", self.admin), ("supervisor", self.supervisor), ("agent", self.agent),
                             ("other_agent", self.other_agent)):
            _, raw = create_api_token(agent=member, name=f"test {role}")
            self.tokens[role] = raw

    def api(self, role: str = "admin") -> ApiClient:
        return ApiClient(self.tokens[role])


@pytest.fixture
def world(db) -> World:
    return World("Toko Maju")


@pytest.fixture
def other_world(db) -> World:
    return World("Warung Lain")


@pytest.fixture
def api(world) -> ApiClient:
    return world.api("admin")


# --- Inbound messages for behaviour tests of the receive path -------------------------------

_provider_ids = itertools.count(1)
AUTO = object()


def make_inbound(sender: str = "siti@contoh.id", *, kind: str = "email", text: str = "Halo, paket saya belum sampai.",
                 provider_message_id: str | None | object = AUTO, **fields) -> InboundMessage:
    """An InboundMessage as a channel parser would hand it over; a fresh provider id unless given."""
    if provider_message_id is AUTO:
        provider_message_id = f"<msg-{next(_provider_ids)}@contoh.id>"
    return InboundMessage(sender_kind=kind, sender_value=sender, provider_message_id=provider_message_id,
                          text=text, **fields)


@pytest.fixture
def inbound():
    """`inbound(sender, kind=..., text=..., provider_message_id=..., **InboundMessage fields)`."""
    return make_inbound


@pytest.fixture
def receive(db):
    """`receive(inbox, sender, **inbound fields)`: one message through receive_inbound_message()."""
    from layan.conversations.services import receive_inbound_message

    def receive_one(inbox, sender: str = "siti@contoh.id", **fields):
        return receive_inbound_message(inbox=inbox, inbound=make_inbound(sender, **fields))

    return receive_one


@pytest.fixture
def published(monkeypatch):
    """The events dispatched after commit, in order, as the realtime push saw them (it subscribes
    to every event but CustomersMerged). The push itself still runs."""
    from layan.web import realtime

    seen = []
    push = realtime.push_event

    def record_and_push(event):
        seen.append(event)
        push(event)

    monkeypatch.setattr(realtime, "push_event", record_and_push)
    return seen


# --- Shared by the API suites: "a refused request wrote nothing", session clients ------------

# Rows that change on every authenticated request (token last use, login time) are not writes
# a request could be refused for, so they are left out of the comparison.
_UNTRACKED_MODELS = {"accounts.User", "accounts.APIToken"}


def _tracked_models():
    from django.apps import apps

    return [model for label in ("accounts", "customers", "connectors", "conversations", "delivery", "automation", "web")
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
            if model._meta.label not in _UNTRACKED_MODELS]


@pytest.fixture
def database_rows(db):
    """`database_rows()`: every row of every table an API request can write (conversations,
    messages, customers, identities, outbox items, audit entries, teams, inboxes, ...), so that
    `assert database_rows() == before` proves a refused request wrote nothing at all."""
    models = _tracked_models()

    def rows() -> dict[str, list[dict]]:
        return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}

    return rows


@pytest.fixture
def session_api(db):
    """`session_api(agent, enforce_csrf=False)`: an ApiClient logged in as the agent's user, with
    no token; `enforce_csrf=True` makes it check CSRF as a browser's request is checked."""

    def make(agent, *, enforce_csrf: bool = False) -> ApiClient:
        api_client = ApiClient(None)
        api_client.client = Client(enforce_csrf_checks=enforce_csrf)
        api_client.client.force_login(agent.user)
        return api_client

    return make
