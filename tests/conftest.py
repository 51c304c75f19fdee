"""Shared fixtures: workspaces, agents of each role, tokens, and an API client that speaks JSON."""

from __future__ import annotations

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
from layan.connectors.services import create_inbox


@pytest.fixture(autouse=True, scope="session")
def _huey_immediate():
    """Tasks run inline in tests; on_commit still decides when they are enqueued."""
    from layan.jobs import huey

    huey.immediate = True


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


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
        self.email_inbox = create_inbox(actor=actor, kind="email", name="Email dukungan")
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
