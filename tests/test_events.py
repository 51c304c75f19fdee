"""Events are dispatched only after the transaction that published them commits, never on rollback.

See docs/flows/events.md. Subscribers here are recorded by dotted path, like every real subscriber.
"""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from layan import events
from layan.conversations.models import Conversation, Status
from layan.conversations.services import change_status, receive_inbound_message, tag
from layan.errors import Conflict

recorded: list[tuple[str, events.Event]] = []


def record_sync(event: events.Event) -> None:
    recorded.append(("sync", event))


def record_async(event: events.Event) -> None:
    recorded.append(("async", event))


def explode(event: events.Event) -> None:
    raise RuntimeError("subscriber bug")


@pytest.fixture
def subscribers(monkeypatch):
    """`subscribers(EventType, [(path, mode), ...])` replaces that event's subscribers for the test."""
    recorded.clear()

    def set_subscribers(event_type, entries):
        monkeypatch.setitem(events.SUBSCRIBERS, event_type, entries)

    yield set_subscribers
    recorded.clear()


SYNC = (f"{__name__}.record_sync", "sync")
ASYNC = (f"{__name__}.record_async", "async")


@pytest.fixture
def conversation(world, receive) -> Conversation:
    return receive(world.email_inbox, "siti@contoh.id").conversation


def _status_changed(world, conversation, new="open", old="new"):
    return events.ConversationStatusChanged(workspace_id=world.workspace.pk, conversation_id=conversation.pk,
                                            old_status=old, new_status=new)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_dispatched_once_after_its_transaction_commits(world, conversation, subscribers):
    subscribers(events.ConversationStatusChanged, [SYNC])

    with transaction.atomic():
        change_status(actor=world.actor, conversation=conversation, status=Status.OPEN)
        assert recorded == []  # the change is not visible to anyone yet

    assert recorded == [("sync", _status_changed(world, conversation))]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_dispatched_when_the_transaction_rolls_back(world, conversation, subscribers):
    subscribers(events.ConversationStatusChanged, [SYNC, ASYNC])

    def change_then_fail():
        with transaction.atomic():
            change_status(actor=world.actor, conversation=conversation, status=Status.OPEN)
            raise RuntimeError("something later in the request failed")

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert recorded == []
    assert Conversation.objects.get(pk=conversation.pk).status == Status.NEW


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_only_its_own_events(world, conversation, subscribers):
    subscribers(events.ConversationStatusChanged, [SYNC])

    with transaction.atomic():
        change_status(actor=world.actor, conversation=conversation, status=Status.OPEN)
        try:
            with transaction.atomic():
                change_status(actor=world.actor, conversation=conversation, status=Status.PENDING)
                raise RuntimeError("inner step failed")
        except RuntimeError:
            pass

    assert recorded == [("sync", _status_changed(world, conversation))]


@pytest.mark.django_db(transaction=True)
def test_events_of_a_service_called_outside_a_transaction_are_dispatched_on_its_own_commit(world, conversation,
                                                                                          subscribers):
    subscribers(events.ConversationStatusChanged, [SYNC])

    change_status(actor=world.actor, conversation=conversation, status=Status.OPEN)

    assert recorded == [("sync", _status_changed(world, conversation))]


def test_published_events_wait_for_the_test_transaction_like_any_other(world, conversation, subscribers,
                                                                       django_capture_on_commit_callbacks):
    subscribers(events.ConversationStatusChanged, [SYNC])

    with django_capture_on_commit_callbacks() as callbacks:
        change_status(actor=world.actor, conversation=conversation, status=Status.OPEN)

    assert recorded == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert recorded == [("sync", _status_changed(world, conversation))]


def test_an_asynchronous_subscriber_gets_the_event_rebuilt_from_its_payload(world, conversation, subscribers,
                                                                           django_capture_on_commit_callbacks):
    subscribers(events.ConversationUpdated, [ASYNC])

    with django_capture_on_commit_callbacks(execute=True):
        tag(actor=world.actor, conversation=conversation, add=["pengiriman"])

    (mode, event), = recorded
    assert mode == "async"
    assert event == events.ConversationUpdated(workspace_id=world.workspace.pk, conversation_id=conversation.pk,
                                               fields=("tags",))


def test_a_failing_synchronous_subscriber_is_logged_and_does_not_stop_the_others(world, conversation, subscribers,
                                                                                 caplog,
                                                                                 django_capture_on_commit_callbacks):
    subscribers(events.ConversationStatusChanged, [(f"{__name__}.explode", "sync"), SYNC])

    with caplog.at_level(logging.ERROR, logger="layan.events"), django_capture_on_commit_callbacks(execute=True):
        changed = change_status(actor=world.actor, conversation=conversation, status=Status.OPEN)

    assert changed.status == Status.OPEN
    assert recorded == [("sync", _status_changed(world, conversation))]
    assert "explode failed for ConversationStatusChanged" in caplog.text


def test_receiving_announces_the_new_conversation_then_the_message(world, inbound, published,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = receive_inbound_message(inbox=world.email_inbox, inbound=inbound("siti@contoh.id"))
        assert published == []

    ids = {"workspace_id": world.workspace.pk, "conversation_id": result.conversation.pk}
    assert published == [events.ConversationCreated(**ids),
                         events.MessageReceived(**ids, message_id=result.message.pk)]


def test_a_refused_change_publishes_nothing(world, conversation, published, django_capture_on_commit_callbacks):
    change_status(actor=world.actor, conversation=conversation, status=Status.OPEN)

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Conflict):
        change_status(actor=world.actor, conversation=conversation, status=Status.NEW)

    assert callbacks == []
    assert published == []


def test_payloads_carry_ids_only_and_round_trip():
    originals = [
        events.ConversationCreated(workspace_id=1, conversation_id=2),
        events.MessageReceived(workspace_id=1, conversation_id=2, message_id=3),
        events.ReplyQueued(workspace_id=1, conversation_id=2, message_id=3, outbox_item_id=4),
        events.NoteAdded(workspace_id=1, conversation_id=2, message_id=3),
        events.ConversationAssigned(workspace_id=1, conversation_id=2, assignee_id=None, team_id=5, by_agent_id=7),
        events.ConversationStatusChanged(workspace_id=1, conversation_id=2, old_status="new", new_status="open"),
        events.ConversationUpdated(workspace_id=1, conversation_id=2, fields=("subject", "priority")),
        events.ConversationsMerged(workspace_id=1, source_id=2, target_id=6),
        events.CustomersMerged(workspace_id=1, source_id=7, target_id=8),
        events.MessageDeliveryChanged(workspace_id=1, conversation_id=2, message_id=3, status="sent"),
        events.AgentAvailabilityChanged(workspace_id=1, agent_id=9, availability="online"),
        events.AgentNotified(workspace_id=1, agent_id=9, notification_id=10),
        events.ServiceLevelWarned(workspace_id=1, conversation_id=2, policy_id=11, metric="first_response",
                                  due_at="2026-08-10T01:20:00+00:00"),
        events.ServiceLevelBreached(workspace_id=1, conversation_id=2, policy_id=11, metric="resolution",
                                    due_at="2026-08-10T01:20:00+00:00"),
    ]
    assert {type(e) for e in originals} == set(events.EVENT_TYPES.values())

    for original in originals:
        payload = original.as_payload()
        assert payload["event"] == type(original).__name__
        assert all(isinstance(v, (int, str, tuple, type(None))) for v in payload.values())
        assert events.event_from_payload(payload) == original


def test_every_event_type_is_in_the_subscriber_table_and_every_subscriber_resolves():
    assert set(events.SUBSCRIBERS) == set(events.EVENT_TYPES.values())
    for entries in events.SUBSCRIBERS.values():
        for path, mode in entries:
            assert mode in ("sync", "async")
            assert callable(events.resolve(path))
