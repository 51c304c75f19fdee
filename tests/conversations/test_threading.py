"""Which conversation an inbound message joins: reply hints, conversation numbers, the inbox policy.

See docs/flows/threading.md.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from layan import events
from layan.accounts.models import AuditEntry
from layan.connectors.services import create_inbox
from layan.conversations.models import Conversation, ConversationLink, LinkKind, Message, Status
from layan.conversations.services import change_status, merge_conversations, reply_to_conversation
from layan.delivery.services import deliver_outbox_item


def _solve(world, conversation, *, days_ago: float = 0) -> Conversation:
    """Solve the conversation, ``days_ago`` days back (the clock moved on since)."""
    change_status(actor=world.actor, conversation=conversation, status=Status.SOLVED)
    if days_ago:
        Conversation.objects.filter(pk=conversation.pk).update(solved_at=timezone.now() - timedelta(days=days_ago))
    conversation.refresh_from_db()
    return conversation


def _close(world, conversation) -> Conversation:
    _solve(world, conversation)
    change_status(actor=world.actor, conversation=conversation, status=Status.CLOSED)
    conversation.refresh_from_db()
    return conversation


def _follow_up_targets(conversation) -> list[int]:
    return list(ConversationLink.objects.filter(source=conversation, kind=LinkKind.FOLLOW_UP)
                .values_list("target_id", flat=True))


# --- rule 1: reply hints --------------------------------------------------------------------

def test_a_reply_to_a_known_message_joins_its_conversation_whoever_sends_it(world, receive):
    first = receive(world.email_inbox, "siti@contoh.id", provider_message_id="<m1@contoh.id>",
                    cc=(("dewi@contoh.id", "Dewi"),))

    answer = receive(world.email_inbox, "dewi@contoh.id", in_reply_to=("<m1@contoh.id>",))

    assert answer.conversation.pk == first.conversation.pk
    assert answer.created_conversation is False
    assert Conversation.objects.get(pk=first.conversation.pk).message_count == 2


def test_a_reply_hint_finds_the_conversation_across_inboxes_of_the_workspace(world, receive):
    first = receive(world.email_inbox, "siti@contoh.id", provider_message_id="<m1@contoh.id>")
    second_inbox = create_inbox(actor=world.actor, kind="email", name="Email penjualan")

    answer = receive(second_inbox, "siti@contoh.id", in_reply_to=("<unknown@x>", "<m1@contoh.id>"))

    assert answer.conversation.pk == first.conversation.pk


def test_a_customer_answering_our_sent_reply_joins_that_conversation(world, receive):
    first = receive(world.email_inbox, "siti@contoh.id")
    reply, _duplicate = reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Sudah dikirim.")
    deliver_outbox_item(outbox_item_id=reply.outbox_item.pk)
    reply.refresh_from_db()
    assert reply.provider_message_id  # the log adapter's id, kept so that answers thread

    answer = receive(world.email_inbox, "siti@contoh.id", provider_message_id="<m2@contoh.id>",
                     in_reply_to=(reply.provider_message_id,))

    assert answer.conversation.pk == first.conversation.pk


def test_a_reply_hint_never_reaches_into_another_workspace(world, other_world, receive):
    theirs = receive(other_world.email_inbox, "siti@contoh.id", provider_message_id="<theirs@contoh.id>")

    answer = receive(world.email_inbox, "siti@contoh.id", in_reply_to=("<theirs@contoh.id>",))

    assert answer.created_conversation is True
    assert answer.conversation.workspace_id == world.workspace.pk
    assert Conversation.objects.get(pk=theirs.conversation.pk).message_count == 1


def test_a_reply_to_a_conversation_solved_within_the_window_reopens_it(world, receive):
    first = receive(world.email_inbox, "siti@contoh.id", provider_message_id="<m1@contoh.id>")
    _solve(world, first.conversation, days_ago=6.9)  # the inbox's window is 7 days

    answer = receive(world.email_inbox, "siti@contoh.id", in_reply_to=("<m1@contoh.id>",))

    conversation = Conversation.objects.get(pk=first.conversation.pk)
    assert answer.conversation.pk == conversation.pk
    assert conversation.status == Status.OPEN
    assert conversation.solved_at is None
    reopened = AuditEntry.objects.filter(action="conversation.status_changed", object_id=str(conversation.pk),
                                         actor_kind="customer").get()
    assert (reopened.before, reopened.after) == ({"status": "solved"}, {"status": "open"})


def test_a_reply_to_a_conversation_solved_longer_ago_starts_a_follow_up(world, receive):
    first = receive(world.email_inbox, "siti@contoh.id", provider_message_id="<m1@contoh.id>")
    _solve(world, first.conversation, days_ago=7.1)

    answer = receive(world.email_inbox, "siti@contoh.id", in_reply_to=("<m1@contoh.id>",))

    assert answer.created_conversation is True
    assert _follow_up_targets(answer.conversation) == [first.conversation.pk]
    old = Conversation.objects.get(pk=first.conversation.pk)
    assert (old.status, old.message_count) == (Status.SOLVED, 1)


def test_a_reply_to_a_closed_conversation_starts_a_follow_up_even_inside_the_window(world, receive):
    first = receive(world.email_inbox, "siti@contoh.id", provider_message_id="<m1@contoh.id>")
    _close(world, first.conversation)

    answer = receive(world.email_inbox, "siti@contoh.id", in_reply_to=("<m1@contoh.id>",))

    assert answer.created_conversation is True
    assert _follow_up_targets(answer.conversation) == [first.conversation.pk]
    assert Conversation.objects.get(pk=first.conversation.pk).status == Status.CLOSED


# --- rule 2: the conversation number --------------------------------------------------------

def test_the_customer_citing_their_conversation_number_joins_it_even_in_an_always_new_inbox(world, receive):
    inbox = create_inbox(actor=world.actor, kind="webform", name="Formulir", threading_policy="always_new")
    first = receive(inbox, "siti@contoh.id")
    receive(inbox, "siti@contoh.id")  # a later, separate request

    answer = receive(inbox, "siti@contoh.id", conversation_number=first.conversation.number)

    assert answer.conversation.pk == first.conversation.pk


def test_a_stranger_citing_someone_elses_conversation_number_does_not_join_it(world, receive):
    theirs = receive(world.email_inbox, "siti@contoh.id")

    stranger = receive(world.email_inbox, "penipu@contoh.id", conversation_number=theirs.conversation.number)

    assert stranger.created_conversation is True
    assert stranger.conversation.pk != theirs.conversation.pk
    assert Conversation.objects.get(pk=theirs.conversation.pk).message_count == 1


def test_a_participant_citing_the_conversation_number_joins_it(world, receive):
    first = receive(world.email_inbox, "siti@contoh.id", cc=(("Dewi@Contoh.id", "Dewi"),))

    answer = receive(world.email_inbox, "dewi@contoh.id", conversation_number=first.conversation.number)

    assert answer.conversation.pk == first.conversation.pk
    assert Conversation.objects.get(pk=first.conversation.pk).message_count == 2


def test_a_conversation_number_counts_only_in_its_own_workspace(world, other_world, receive):
    theirs = receive(other_world.email_inbox, "siti@contoh.id")
    assert theirs.conversation.number == 1

    answer = receive(world.email_inbox, "siti@contoh.id", conversation_number=1)

    assert answer.conversation.workspace_id == world.workspace.pk
    assert answer.created_conversation is True


def test_an_unknown_conversation_number_falls_back_to_the_inbox_policy(world, receive):
    first = receive(world.email_inbox, "siti@contoh.id")

    answer = receive(world.email_inbox, "siti@contoh.id", conversation_number=999)

    assert answer.conversation.pk == first.conversation.pk


# --- rule 3: the inbox's policy ---------------------------------------------------------------

def test_reuse_open_joins_the_customers_open_conversation_in_the_inbox(world, receive):
    first = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")

    second = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")

    assert second.conversation.pk == first.conversation.pk
    conversation = Conversation.objects.get(pk=first.conversation.pk)
    assert (conversation.status, conversation.message_count) == (Status.NEW, 2)  # a new one stays new


@pytest.mark.parametrize("status", [Status.OPEN, Status.PENDING, Status.ON_HOLD])
def test_joining_an_active_conversation_puts_it_back_to_open(world, receive, status):
    first = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")
    change_status(actor=world.actor, conversation=first.conversation, status=status)

    second = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")

    assert second.conversation.pk == first.conversation.pk
    assert Conversation.objects.get(pk=first.conversation.pk).status == Status.OPEN


def test_reuse_open_reopens_a_conversation_solved_within_the_window(world, receive):
    first = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")
    _solve(world, first.conversation, days_ago=2)

    second = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")

    assert second.conversation.pk == first.conversation.pk
    assert Conversation.objects.get(pk=first.conversation.pk).status == Status.OPEN


def test_reuse_open_starts_a_follow_up_when_the_solved_conversation_is_past_the_window(world, receive):
    inbox = create_inbox(actor=world.actor, kind="whatsapp", name="WA singkat", reopen_window_days=1)
    first = receive(inbox, "081234567890", kind="whatsapp")
    _solve(world, first.conversation, days_ago=1.5)

    second = receive(inbox, "081234567890", kind="whatsapp")

    assert second.created_conversation is True
    assert _follow_up_targets(second.conversation) == [first.conversation.pk]


def test_a_closed_conversation_never_reopens_a_new_message_starts_a_follow_up(world, receive):
    first = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")
    _close(world, first.conversation)

    second = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")

    assert second.created_conversation is True
    assert second.conversation.status == Status.NEW
    assert _follow_up_targets(second.conversation) == [first.conversation.pk]
    assert Conversation.objects.get(pk=first.conversation.pk).status == Status.CLOSED


def test_the_follow_up_then_takes_the_customers_next_messages(world, receive):
    first = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")
    _close(world, first.conversation)
    follow_up = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp").conversation

    third = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")

    assert third.conversation.pk == follow_up.pk
    assert ConversationLink.objects.count() == 1


def test_always_new_starts_a_conversation_for_every_message_without_hints(world, receive):
    inbox = create_inbox(actor=world.actor, kind="webform", name="Formulir", threading_policy="always_new")

    results = [receive(inbox, "siti@contoh.id") for _ in range(3)]

    assert len({r.conversation.pk for r in results}) == 3
    assert all(r.created_conversation for r in results)
    assert ConversationLink.objects.count() == 0


def test_reuse_open_looks_only_at_the_same_inbox(world, receive):
    email = receive(world.email_inbox, "siti@contoh.id")
    other_inbox = create_inbox(actor=world.actor, kind="email", name="Email penjualan")

    other = receive(other_inbox, "siti@contoh.id")

    assert other.created_conversation is True
    assert other.conversation.customer_id == email.conversation.customer_id


# --- merged conversations ---------------------------------------------------------------------

def test_threading_never_lands_in_a_merged_conversation(world, receive):
    source = receive(world.email_inbox, "siti@contoh.id").conversation
    other_inbox = create_inbox(actor=world.actor, kind="email", name="Email penjualan")
    target = receive(other_inbox, "siti@contoh.id").conversation
    merge_conversations(actor=world.actor, source=source, target=target)

    by_number = receive(world.email_inbox, "siti@contoh.id", conversation_number=source.number)
    by_policy = receive(world.email_inbox, "siti@contoh.id")

    assert by_number.conversation.pk == target.pk  # followed merged_into
    assert by_policy.created_conversation is True  # the merged one is skipped, not joined
    assert by_policy.conversation.pk != source.pk
    assert Message.objects.filter(conversation=source).count() == 0


def test_a_reply_hint_to_a_merged_conversations_message_lands_in_the_surviving_one(world, receive):
    source = receive(world.email_inbox, "siti@contoh.id", provider_message_id="<m1@contoh.id>").conversation
    target = receive(world.email_inbox, "rudi@contoh.id").conversation
    merge_conversations(actor=world.actor, source=source, target=target)

    answer = receive(world.email_inbox, "siti@contoh.id", in_reply_to=("<m1@contoh.id>",))

    assert answer.conversation.pk == target.pk


def test_inbound_reopening_publishes_the_status_change_after_commit(world, receive, published,
                                                                    django_capture_on_commit_callbacks):
    first = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")
    change_status(actor=world.actor, conversation=first.conversation, status=Status.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        second = receive(world.whatsapp_inbox, "081234567890", kind="whatsapp")
        assert published == []  # nothing before commit

    assert published == [
        events.ConversationStatusChanged(workspace_id=world.workspace.pk, conversation_id=first.conversation.pk,
                                         old_status="pending", new_status="open"),
        events.MessageReceived(workspace_id=world.workspace.pk, conversation_id=first.conversation.pk,
                               message_id=second.message.pk),
    ]
