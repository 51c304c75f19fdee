"""Merging conversations keeps every message; a merged conversation refuses every further edit."""

from __future__ import annotations

import pytest

from layan import events
from layan.accounts.models import AuditEntry
from layan.conversations.models import (
    Conversation,
    Follower,
    Message,
    Participant,
    Status,
    TimeEntry,
)
from layan.conversations.services import (
    add_follower,
    add_note,
    assign_conversation,
    change_status,
    link_conversations,
    log_time,
    merge_conversations,
    reply_to_conversation,
    tag,
    update_conversation,
)
from layan.errors import Conflict, ErrorCode, InvalidInput


@pytest.fixture
def pair(world, receive):
    """Siti wrote twice about the same parcel, from two addresses, so two conversations exist."""
    source = receive(world.email_inbox, "siti@contoh.id", cc=(("dewi@contoh.id", "Dewi"),)).conversation
    receive(world.email_inbox, "siti@contoh.id")
    reply_to_conversation(actor=world.actor, conversation=source, text="Kami cek dulu ya.")
    add_note(actor=world.actor, conversation=source, text="Kurir JNE, resi 123")
    tag(actor=world.actor, conversation=source, add=["pengiriman", "jne"])
    add_follower(actor=world.actor, conversation=source, agent=world.agent)
    log_time(actor=world.actor, conversation=source, seconds=300)

    target = receive(world.email_inbox, "siti.kantor@contoh.id", cc=(("rudi@contoh.id", "Rudi"),)).conversation
    tag(actor=world.actor, conversation=target, add=["pengiriman"])
    add_follower(actor=world.actor, conversation=target, agent=world.other_agent)
    source.refresh_from_db()
    target.refresh_from_db()
    return source, target


def test_merging_moves_every_message_into_the_target_and_adds_a_system_note(world, pair):
    source, target = pair
    source_messages = set(Message.objects.filter(conversation=source).values_list("id", flat=True))
    target_messages = set(Message.objects.filter(conversation=target).values_list("id", flat=True))
    total = Message.objects.count()
    assert (len(source_messages), len(target_messages)) == (4, 1)

    merge_conversations(actor=world.actor, source=source, target=target)

    in_target = set(Message.objects.filter(conversation=target).values_list("id", flat=True))
    assert source_messages | target_messages < in_target
    assert Message.objects.filter(conversation=source).count() == 0
    assert Message.objects.count() == total + 1
    note = Message.objects.get(pk__in=in_target - source_messages - target_messages)
    assert (note.is_note, note.author_kind) == (True, "system")
    assert f"#{source.number}" in note.text
    target.refresh_from_db()
    assert target.message_count == len(in_target) == 6


def test_merging_moves_participants_followers_tags_and_time(world, pair):
    source, target = pair

    merge_conversations(actor=world.actor, source=source, target=target)

    assert set(Participant.objects.filter(conversation=target).values_list("address", flat=True)) == {
        "dewi@contoh.id", "rudi@contoh.id"}
    assert set(Follower.objects.filter(conversation=target).values_list("agent_id", flat=True)) == {
        world.agent.pk, world.other_agent.pk}
    assert sorted(target.tags.values_list("name", flat=True)) == ["jne", "pengiriman"]
    assert list(TimeEntry.objects.filter(conversation=target).values_list("seconds", flat=True)) == [300]
    assert TimeEntry.objects.filter(conversation=source).count() == 0


def test_the_source_is_closed_and_points_at_the_target(world, pair):
    source, target = pair

    merge_conversations(actor=world.actor, source=source, target=target)

    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert (source.status, source.message_count) == (Status.CLOSED, 0)
    assert source.closed_at is not None
    assert target.status == Status.NEW
    assert target.first_response_at == source.first_response_at is not None  # the earlier response counts
    assert list(target.merged_from.values_list("id", flat=True)) == [source.pk]


def test_merging_is_audited_on_both_and_announced_after_commit(world, pair, published,
                                                              django_capture_on_commit_callbacks):
    source, target = pair

    with django_capture_on_commit_callbacks(execute=True):
        merge_conversations(actor=world.actor, source=source, target=target)

    on_source = AuditEntry.objects.get(action="conversation.merged", object_id=str(source.pk))
    on_target = AuditEntry.objects.get(action="conversation.merged", object_id=str(target.pk))
    assert on_source.after == {"merged_into": target.pk, "messages_moved": 4}
    assert on_target.after == {"merged_from": source.pk, "messages_moved": 4}
    assert on_source.actor_agent_id == on_target.actor_agent_id == world.admin.pk
    assert published == [events.ConversationsMerged(workspace_id=world.workspace.pk, source_id=source.pk,
                                                    target_id=target.pk)]


def test_a_solved_target_reopens_when_a_conversation_is_merged_into_it(world, pair):
    source, target = pair
    change_status(actor=world.actor, conversation=target, status=Status.SOLVED)

    merge_conversations(actor=world.actor, source=source, target=target)

    target.refresh_from_db()
    assert (target.status, target.solved_at) == (Status.OPEN, None)


@pytest.mark.parametrize("refusal", [
    "reply", "note", "status", "update", "assign", "tag", "follow", "link", "time", "merge away", "merge into",
])
def test_a_merged_conversation_refuses_every_further_edit(world, pair, receive, refusal):
    source, target = pair
    third = receive(world.email_inbox, "orang.lain@contoh.id").conversation
    merge_conversations(actor=world.actor, source=source, target=target)
    source.refresh_from_db()
    before = (Message.objects.count(), AuditEntry.objects.count(), Conversation.objects.filter(pk=source.pk).values().get())
    attempts = {
        "reply": lambda: reply_to_conversation(actor=world.actor, conversation=source, text="Halo"),
        "note": lambda: add_note(actor=world.actor, conversation=source, text="Catatan"),
        "status": lambda: change_status(actor=world.actor, conversation=source, status=Status.OPEN),
        "update": lambda: update_conversation(actor=world.actor, conversation=source, subject="Baru"),
        "assign": lambda: assign_conversation(actor=world.actor, conversation=source, assignee=world.agent),
        "tag": lambda: tag(actor=world.actor, conversation=source, add=["baru"]),
        "follow": lambda: add_follower(actor=world.actor, conversation=source, agent=world.supervisor),
        "link": lambda: link_conversations(actor=world.actor, source=third, target=source, kind="related"),
        "time": lambda: log_time(actor=world.actor, conversation=source, seconds=60),
        "merge away": lambda: merge_conversations(actor=world.actor, source=source, target=third),
        "merge into": lambda: merge_conversations(actor=world.actor, source=third, target=source),
    }

    with pytest.raises(Conflict) as refused:
        attempts[refusal]()

    assert refused.value.code == ErrorCode.CONVERSATION_MERGED
    assert f"#{source.number}" in refused.value.message
    assert (Message.objects.count(), AuditEntry.objects.count(),
            Conversation.objects.filter(pk=source.pk).values().get()) == before


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/reply", {"text": "Halo"}),
    ("post", "/notes", {"text": "Catatan"}),
    ("patch", "", {"status": "open"}),
    ("patch", "", {"subject": "Baru"}),
    ("post", "/tags", {"add": ["baru"]}),
    ("post", "/time", {"seconds": 60}),
], ids=["reply", "note", "status", "subject", "tags", "time"])
def test_the_api_answers_409_conversation_merged_on_a_merged_conversation(world, pair, api, method, path, body):
    source, target = pair
    merge_conversations(actor=world.actor, source=source, target=target)
    messages = Message.objects.count()

    response = getattr(api, method)(f"/conversations/{source.pk}{path}", body)

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "conversation_merged"
    assert Message.objects.count() == messages


def test_the_api_merge_answers_with_the_target_and_its_messages(world, pair, api):
    source, target = pair

    response = api.post(f"/conversations/{target.pk}/merge", {"source_id": source.pk})

    assert response.status_code == 200, response.content
    assert response.json()["message_count"] == 6
    listed = [c["id"] for c in api.get("/conversations").json()["items"]]
    assert source.pk not in listed
    assert target.pk in listed
    assert api.get(f"/conversations/{source.pk}").json()["merged_into_id"] == target.pk
    thread = api.get(f"/conversations/{target.pk}/messages", {"limit": 100}).json()["items"]
    assert len(thread) == 6


def test_a_conversation_cannot_be_merged_into_itself_or_across_workspaces(world, other_world, pair, receive):
    source, _target = pair
    theirs = receive(other_world.email_inbox, "siti@contoh.id").conversation
    before = (Message.objects.count(), AuditEntry.objects.count())

    with pytest.raises(InvalidInput):
        merge_conversations(actor=world.actor, source=source, target=source)
    with pytest.raises(InvalidInput):
        merge_conversations(actor=world.actor, source=source, target=theirs)

    assert (Message.objects.count(), AuditEntry.objects.count()) == before
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_a_closed_conversation_cannot_be_merged(world, pair):
    source, target = pair
    change_status(actor=world.actor, conversation=target, status=Status.SOLVED)
    change_status(actor=world.actor, conversation=target, status=Status.CLOSED)
    messages = Message.objects.filter(conversation=source).count()

    with pytest.raises(Conflict) as refused:
        merge_conversations(actor=world.actor, source=source, target=target)

    assert (refused.value.code, refused.value.field) == (ErrorCode.CONVERSATION_CLOSED, "target")
    assert Message.objects.filter(conversation=source).count() == messages
