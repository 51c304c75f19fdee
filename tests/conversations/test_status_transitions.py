"""The status machine: every (from, to) pair is allowed or refused exactly as ALLOWED_TRANSITIONS says."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone
from django.utils.translation import override

from layan.accounts.models import AuditEntry
from layan.conversations.models import ALLOWED_TRANSITIONS, Conversation, Status
from layan.conversations.services import change_status, edit_conversation, reply_to_conversation
from layan.errors import Conflict, ErrorCode, InvalidInput

STATUSES = [Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED]
PAIRS = [(a, b) for a, b in product(STATUSES, STATUSES) if a != b]
ALLOWED = [(a, b) for a, b in PAIRS if b in ALLOWED_TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in PAIRS if b not in ALLOWED_TRANSITIONS[a]]


def _pair_id(pair) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_the_table_covers_every_status_and_closed_is_final():
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)
    assert ALLOWED_TRANSITIONS[Status.CLOSED] == frozenset()
    assert all(status not in targets for status, targets in ALLOWED_TRANSITIONS.items())
    # Closed is reached only from solved; new is never re-entered.
    assert [a for a, b in ALLOWED if b == Status.CLOSED] == [Status.SOLVED]
    assert [a for a, b in ALLOWED if b == Status.NEW] == []
    assert len(ALLOWED) + len(REFUSED) == 30


@pytest.fixture
def conversation_in(world, receive):
    """A conversation put straight into a status, as if its history had led there."""
    def make(status: str) -> Conversation:
        conversation = receive(world.email_inbox, "siti@contoh.id").conversation
        past = timezone.now() - timedelta(days=1)
        Conversation.objects.filter(pk=conversation.pk).update(
            status=status,
            solved_at=past if status in (Status.SOLVED, Status.CLOSED) else None,
            closed_at=past if status == Status.CLOSED else None,
        )
        conversation.refresh_from_db()
        return conversation
    return make


def _row(conversation: Conversation) -> dict:
    return Conversation.objects.filter(pk=conversation.pk).values().get()


def _status_audits(conversation: Conversation) -> int:
    return AuditEntry.objects.filter(action="conversation.status_changed", object_id=str(conversation.pk)).count()


@pytest.mark.parametrize("pair", ALLOWED, ids=_pair_id)
def test_an_allowed_transition_changes_the_status_and_is_audited(world, conversation_in, pair,
                                                                django_capture_on_commit_callbacks):
    old, new = pair
    conversation = conversation_in(old)

    with django_capture_on_commit_callbacks() as callbacks:
        changed = change_status(actor=world.actor, conversation=conversation, status=new)

    stored = Conversation.objects.get(pk=conversation.pk)
    assert changed.status == stored.status == new
    entry = AuditEntry.objects.get(action="conversation.status_changed", object_id=str(conversation.pk))
    assert (entry.before, entry.after) == ({"status": old}, {"status": new})
    assert (entry.actor_kind, entry.actor_agent_id) == ("agent", world.admin.pk)
    assert len(callbacks) == 1  # ConversationStatusChanged, after commit


@pytest.mark.parametrize("pair", REFUSED, ids=_pair_id)
def test_a_refused_transition_raises_a_clear_error_and_changes_nothing(world, conversation_in, pair,
                                                                      django_capture_on_commit_callbacks):
    old, new = pair
    conversation = conversation_in(old)
    before = _row(conversation)

    with override("en"), django_capture_on_commit_callbacks() as callbacks, pytest.raises(Conflict) as refused:
        change_status(actor=world.actor, conversation=conversation, status=new)

    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert refused.value.field == "status"
    with override("en"):
        assert refused.value.message == (f"A {Status(old).label} conversation cannot become "
                                         f"{Status(new).label}.")
    assert _row(conversation) == before
    assert _status_audits(conversation) == 0
    assert callbacks == []


@pytest.mark.parametrize("status", STATUSES)
def test_setting_the_current_status_again_is_a_no_op(world, conversation_in, status):
    conversation = conversation_in(status)
    before = _row(conversation)

    change_status(actor=world.actor, conversation=conversation, status=status)

    assert _row(conversation) == before
    assert _status_audits(conversation) == 0


def test_an_unknown_status_is_invalid_input_not_a_transition(world, conversation_in):
    conversation = conversation_in(Status.OPEN)

    with pytest.raises(InvalidInput) as refused:
        change_status(actor=world.actor, conversation=conversation, status="archived")

    assert refused.value.field == "status"
    assert "archived" in refused.value.message
    assert Conversation.objects.get(pk=conversation.pk).status == Status.OPEN


# --- timestamps -----------------------------------------------------------------------------------

def test_solving_stamps_solved_at_and_closing_stamps_closed_at(world, conversation_in):
    conversation = conversation_in(Status.OPEN)
    start = timezone.now()

    change_status(actor=world.actor, conversation=conversation, status=Status.SOLVED)
    solved = Conversation.objects.get(pk=conversation.pk)
    change_status(actor=world.actor, conversation=conversation, status=Status.CLOSED)
    closed = Conversation.objects.get(pk=conversation.pk)

    assert start <= solved.solved_at <= timezone.now()
    assert solved.closed_at is None
    assert closed.solved_at == solved.solved_at  # closing keeps when it was solved
    assert solved.solved_at <= closed.closed_at <= timezone.now()
    assert closed.updated_at >= closed.closed_at


def test_reopening_a_solved_conversation_clears_solved_at(world, conversation_in):
    conversation = conversation_in(Status.SOLVED)

    change_status(actor=world.actor, conversation=conversation, status=Status.OPEN)

    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.status, stored.solved_at, stored.closed_at) == (Status.OPEN, None, None)


@pytest.mark.parametrize("status", [Status.OPEN, Status.PENDING, Status.ON_HOLD])
def test_moves_between_active_statuses_leave_the_timestamps_alone(world, conversation_in, status):
    conversation = conversation_in(Status.NEW)

    change_status(actor=world.actor, conversation=conversation, status=status)

    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.solved_at, stored.closed_at) == (None, None)


# --- the other ways a status moves ------------------------------------------------------------------

def test_the_first_reply_moves_a_new_conversation_to_open(world, conversation_in):
    conversation = conversation_in(Status.NEW)

    reply_to_conversation(actor=world.actor, conversation=conversation, text="Baik, kami cek.")

    assert Conversation.objects.get(pk=conversation.pk).status == Status.OPEN
    assert _status_audits(conversation) == 1


def test_a_reply_with_a_refused_status_writes_no_reply(world, conversation_in):
    conversation = conversation_in(Status.NEW)
    messages = conversation.messages.count()

    with pytest.raises(Conflict) as refused:
        reply_to_conversation(actor=world.actor, conversation=conversation, text="Sudah ditutup.",
                              status=Status.CLOSED)

    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION
    assert conversation.messages.count() == messages
    assert Conversation.objects.get(pk=conversation.pk).status == Status.NEW


def test_a_closed_conversation_refuses_replies(world, conversation_in):
    conversation = conversation_in(Status.CLOSED)

    with pytest.raises(Conflict) as refused:
        reply_to_conversation(actor=world.actor, conversation=conversation, text="Halo?")

    assert refused.value.code == ErrorCode.CONVERSATION_CLOSED
    assert str(conversation.number) in refused.value.message


def test_a_refused_status_in_a_combined_edit_leaves_the_other_fields_untouched(world, conversation_in):
    conversation = conversation_in(Status.NEW)
    before = _row(conversation)

    with pytest.raises(Conflict):
        edit_conversation(actor=world.actor, conversation=conversation, subject="Diubah", priority="urgent",
                          tags=["pengiriman"], status=Status.CLOSED)

    assert _row(conversation) == before
    assert list(conversation.tags.all()) == []
    assert AuditEntry.objects.filter(object_id=str(conversation.pk), action__in=[
        "conversation.updated", "conversation.tagged", "conversation.status_changed"]).count() == 0


def test_the_api_answers_a_refused_transition_with_409_and_the_code(world, conversation_in, api):
    conversation = conversation_in(Status.CLOSED)

    response = api.patch(f"/conversations/{conversation.pk}", {"status": "open"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_status_transition"
    assert response.json()["error"]["field"] == "status"
    assert Conversation.objects.get(pk=conversation.pk).status == Status.CLOSED
