"""Pinned query counts of the hot paths: the inbox list, the conversation page, the receive path.

Each number is exact; a change that adds a query per row (N+1) or a stray lookup fails here. The
counts are taken inside the test's transaction, so a service's own transaction shows up as a
SAVEPOINT / RELEASE SAVEPOINT pair (outside tests it is BEGIN / COMMIT, which Django does not log).
"""

from __future__ import annotations

import pytest

from layan.connectors.models import Inbox
from layan.conversations.services import (
    add_follower,
    assign_conversation,
    link_conversations,
    receive_inbound_message,
    tag,
)


def _conversations(world, inbound, count: int, first: int = 0) -> list:
    """``count`` conversations, each with its own customer, two tags, a team and an assignee."""
    made = []
    for n in range(first, first + count):
        conversation = receive_inbound_message(inbox=world.email_inbox, inbound=inbound(
            f"pelanggan{n}@contoh.id", sender_name=f"Pelanggan {n}")).conversation
        tag(actor=world.actor, conversation=conversation, add=["pengiriman", f"kota-{n % 4}"])
        assign_conversation(actor=world.actor, conversation=conversation, assignee=world.agent, team=world.team)
        made.append(conversation)
    return made


def _warm(api) -> None:
    # A token's last use is written at most once a minute: the first request pays that UPDATE,
    # the measured ones do not.
    assert api.get("/me").status_code == 200


@pytest.mark.parametrize(("role", "queries"), [
    # 1 the API token with its agent, workspace and user (one join)
    # 2 the page of conversations with customer, assignee, team and inbox (one join)
    # 3 the tags of the whole page (one prefetch)
    ("admin", 3),
    # as for the admin, plus the agent's team ids, for the visibility rule (before the page query)
    ("agent", 4),
])
def test_the_conversation_list_costs_the_same_queries_for_3_and_30_conversations(
        world, inbound, django_assert_num_queries, role, queries):
    api = world.api(role)
    _warm(api)
    _conversations(world, inbound, 3)

    with django_assert_num_queries(queries):
        few = api.get("/conversations")

    _conversations(world, inbound, 27, first=3)
    with django_assert_num_queries(queries):
        many = api.get("/conversations")

    assert few.status_code == many.status_code == 200
    assert len(few.json()["items"]) == 3
    assert len(many.json()["items"]) == 25  # a full page
    first = many.json()["items"][0]
    assert first["assignee"]["id"] == world.agent.pk
    assert first["team"]["id"] == world.team.pk
    assert first["customer"]["name"] == "Pelanggan 29"
    assert first["tags"] == ["kota-1", "pengiriman"]


def test_the_conversation_page_is_seven_queries_however_much_it_shows(world, inbound, api, receive,
                                                                     django_assert_num_queries):
    _warm(api)
    conversation, other, third = _conversations(world, inbound, 3)
    receive(world.email_inbox, "pelanggan0@contoh.id", cc=(("dewi@contoh.id", "Dewi"), ("rudi@contoh.id", "Rudi")))
    add_follower(actor=world.actor, conversation=conversation, agent=world.other_agent)
    add_follower(actor=world.actor, conversation=conversation, agent=world.supervisor)
    link_conversations(actor=world.actor, source=conversation, target=other, kind="related")
    link_conversations(actor=world.actor, source=third, target=conversation, kind="child")

    # 1 the API token with its agent, workspace and user
    # 2 the conversation with customer, assignee, team and inbox
    # 3 its tags
    # 4 its followers' ids
    # 5 its participants
    # 6 its outgoing links
    # 7 its incoming links
    with django_assert_num_queries(7):
        response = api.get(f"/conversations/{conversation.pk}")

    body = response.json()
    assert response.status_code == 200
    assert body["follower_ids"] == sorted([world.other_agent.pk, world.supervisor.pk])
    assert [p["address"] for p in body["participants"]] == ["dewi@contoh.id", "rudi@contoh.id"]
    assert [(link["direction"], link["target_id"]) for link in body["links"]] == [("out", other.pk),
                                                                                  ("in", third.pk)]


def test_receiving_from_a_known_customer_into_their_open_conversation_is_seven_queries(
        world, inbound, django_assert_num_queries):
    first = receive_inbound_message(inbox=world.email_inbox, inbound=inbound("siti@contoh.id", sender_name="Siti"))
    inbox = Inbox.objects.select_related("workspace").get(pk=world.email_inbox.pk)  # as an ingress loads it
    message = inbound("siti@contoh.id", sender_name="Siti")

    # 1 the fast duplicate check on (inbox, provider message id)
    # 2 SAVEPOINT: the receive transaction
    # 3 the identity with its customer
    # 4 the customer's latest conversation in the inbox, locked FOR UPDATE (threading rule 3)
    # 5 INSERT the message
    # 6 UPDATE the conversation's counters and times (one statement, F() for the count)
    # 7 RELEASE SAVEPOINT
    with django_assert_num_queries(7):
        result = receive_inbound_message(inbox=inbox, inbound=message)

    assert result.conversation.pk == first.conversation.pk
    assert result.duplicate is False


def test_receiving_a_first_message_from_a_new_sender_is_sixteen_queries(world, inbound,
                                                                       django_assert_num_queries):
    receive_inbound_message(inbox=world.email_inbox, inbound=inbound("siti@contoh.id"))
    inbox = Inbox.objects.select_related("workspace").get(pk=world.email_inbox.pk)
    message = inbound("rudi@contoh.id", sender_name="Rudi")

    # 1 the fast duplicate check
    # 2 SAVEPOINT: the receive transaction
    # 3 the identity (not found)
    # 4 SAVEPOINT: creating the identity, so that losing a race to another writer can be retried
    # 5 INSERT the customer
    # 6 INSERT its audit entry
    # 7 INSERT the identity
    # 8 RELEASE SAVEPOINT
    # 9 the customer's latest conversation in the inbox, FOR UPDATE (none)
    # 10 UPDATE the workspace's conversation counter (takes the row lock)
    # 11 read the new number
    # 12 INSERT the conversation
    # 13 INSERT its audit entry
    # 14 INSERT the message
    # 15 UPDATE the conversation's counters and times
    # 16 RELEASE SAVEPOINT
    with django_assert_num_queries(16):
        result = receive_inbound_message(inbox=inbox, inbound=message)

    assert result.created_conversation is True
    assert result.conversation.customer.name == "Rudi"


def test_a_redelivered_message_costs_one_query(world, inbound, django_assert_num_queries):
    message = inbound("siti@contoh.id")
    receive_inbound_message(inbox=world.email_inbox, inbound=message)

    # 1 the fast duplicate check, which finds the stored message with its conversation
    with django_assert_num_queries(1):
        result = receive_inbound_message(inbox=world.email_inbox, inbound=message)

    assert result.duplicate is True
