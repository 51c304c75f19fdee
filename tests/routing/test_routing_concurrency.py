"""Fair under concurrency: conversations arriving at the same instant never push an agent over
capacity. Real threads, real PostgreSQL row locks."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from layan import events
from layan.conversations.models import Conversation
from layan.routing import services as routing

pytestmark = [
    pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; the race needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _route_all_at_once(conversation_ids: list[int]) -> list[str]:
    barrier = threading.Barrier(len(conversation_ids))

    def worker(conversation_id: int) -> str:
        try:
            barrier.wait(timeout=20)
            return routing.route_conversation(conversation_id=conversation_id).outcome
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(conversation_ids)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(worker, pk) for pk in conversation_ids]]


def _waiting(desk, chat, monkeypatch, n: int) -> list[int]:
    # The arrivals' own routing tasks are held back, so that every decision happens in the race.
    monkeypatch.setitem(events.SUBSCRIBERS, events.ConversationCreated, [])
    monkeypatch.setitem(events.SUBSCRIBERS, events.MessageReceived, [])
    ids = [chat().pk for _ in range(n)]
    assert Conversation.objects.filter(pk__in=ids, assignee__isnull=False).count() == 0
    return ids


def test_ten_chats_arriving_at_once_give_an_agent_with_room_for_one_exactly_one(desk, chat, monkeypatch):
    budi, ani, citra = desk.agents
    desk.offline(ani, citra)
    routing.set_agent_routing(actor=desk.actor, agent=budi, chat_capacity=1)
    ids = _waiting(desk, chat, monkeypatch, 10)

    outcomes = _route_all_at_once(ids)

    assert Counter(outcomes) == {routing.Outcome.ASSIGNED: 1, routing.Outcome.AT_CAPACITY: 9}
    assert Conversation.objects.filter(pk__in=ids, assignee=budi).count() == 1
    assert Conversation.objects.filter(pk__in=ids, assignee__isnull=True).count() == 9


def test_twelve_chats_at_once_fill_three_agents_to_exactly_their_capacity(desk, chat, monkeypatch):
    for agent in desk.agents:
        routing.set_agent_routing(actor=desk.actor, agent=agent, chat_capacity=2)
    ids = _waiting(desk, chat, monkeypatch, 12)

    outcomes = _route_all_at_once(ids)

    assert Counter(outcomes) == {routing.Outcome.ASSIGNED: 6, routing.Outcome.AT_CAPACITY: 6}
    held = Counter(Conversation.objects.filter(pk__in=ids, assignee__isnull=False)
                   .values_list("assignee__display_name", flat=True))
    assert held == {"Budi": 2, "Ani": 2, "Citra": 2}


def test_agents_routed_for_the_first_time_by_simultaneous_arrivals_each_get_exactly_their_capacity(
        desk, chat, monkeypatch):
    from layan.routing.models import AgentRouting

    routing.set_routing_defaults(actor=desk.actor, chat_capacity=1, email_capacity=10)
    AgentRouting.objects.all().delete()  # nobody was routed yet: the rows are made by the race itself
    ids = _waiting(desk, chat, monkeypatch, 9)

    outcomes = _route_all_at_once(ids)

    assert Counter(outcomes) == {routing.Outcome.ASSIGNED: 3, routing.Outcome.AT_CAPACITY: 6}
    held = Counter(Conversation.objects.filter(pk__in=ids, assignee__isnull=False)
                   .values_list("assignee__display_name", flat=True))
    assert held == {"Budi": 1, "Ani": 1, "Citra": 1}
    assert AgentRouting.objects.count() == 3
