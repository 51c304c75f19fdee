"""A team whose queue routes: three online members, a WhatsApp inbox and an email inbox that
land in the team, and helpers to make customers write."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from layan.accounts.actors import Actor
from layan.accounts.models import Agent
from layan.accounts.services import create_agent, set_availability, set_team_members
from layan.connectors.services import create_inbox
from layan.customers.services import IdentityInput, create_customer
from layan.routing import services as routing

_phones = itertools.count(1000)


@dataclass
class Desk:
    world: object
    team: object
    agents: list[Agent]
    whatsapp: object
    email: object
    capture: object  # django_capture_on_commit_callbacks: what commits, runs its subscribers

    @property
    def actor(self) -> Actor:
        return self.world.actor

    def available(self, availability: str, *agents: Agent) -> None:
        with self.capture(execute=True):
            for agent in agents:
                set_availability(actor=Actor.for_agent(agent), agent=agent, availability=availability)

    def online(self, *agents: Agent) -> None:
        self.available("online", *agents)

    def offline(self, *agents: Agent) -> None:
        self.available("offline", *agents)

    def queue(self, **settings):
        with self.capture(execute=True):
            return routing.configure_queue(actor=self.actor, team=self.team, **{
                "strategy": "round_robin", "auto_assign": True, **settings})


@pytest.fixture
def desk(world, django_capture_on_commit_callbacks) -> Desk:
    """Budi (from the world), Ani and Citra in the world's team, all online; inboxes landing there;
    the team's queue assigns automatically, round robin, with room for 50 of each group."""
    team = world.team
    ani = create_agent(workspace=world.workspace, email="ani@tokomaju.test", display_name="Ani")
    citra = create_agent(workspace=world.workspace, email="citra@tokomaju.test", display_name="Citra")
    agents = [world.agent, ani, citra]
    set_team_members(actor=world.actor, team=team, agents=agents)
    whatsapp = create_inbox(actor=world.actor, kind="whatsapp", name="WhatsApp CS", default_team=team)
    email = create_inbox(actor=world.actor, kind="email", name="Email CS", default_team=team,
                         settings={"addresses": ["cs@tokomaju.test"]})
    desk = Desk(world=world, team=team, agents=agents, whatsapp=whatsapp, email=email,
                capture=django_capture_on_commit_callbacks)
    routing.set_routing_defaults(actor=world.actor, chat_capacity=50, email_capacity=50)
    desk.queue()
    desk.online(*agents)
    return desk


@pytest.fixture
def chat(desk, receive, django_capture_on_commit_callbacks):
    """`chat(language="id", tier="standard", inbox=None)`: a new customer (each a new number) writes
    on WhatsApp; routing runs as it would after commit. Returns the conversation, fresh."""

    def write(*, language: str = "id", tier: str = "standard", inbox=None, **fields):
        phone = f"+62812{next(_phones):07d}"
        create_customer(actor=desk.actor, name=f"Pelanggan {phone[-4:]}", language=language, tier=tier,
                        identities=[IdentityInput(kind="whatsapp", value=phone)])
        with django_capture_on_commit_callbacks(execute=True):
            result = receive(inbox or desk.whatsapp, phone, kind="whatsapp", **fields)
        conversation = result.conversation
        conversation.refresh_from_db()
        return conversation

    return write
