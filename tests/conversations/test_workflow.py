"""Ticket workflow: assignment, tags, followers, links, time, @mentions, first response time."""

from __future__ import annotations

import pytest
from django.utils import timezone

from layan.accounts.actors import Actor
from layan.accounts.models import AuditEntry, Tag
from layan.accounts.services import create_agent
from layan.conversations.models import (
    Conversation,
    ConversationLink,
    Follower,
    Status,
    TimeEntry,
)
from layan.conversations.services import (
    add_follower,
    add_note,
    assign_conversation,
    link_conversations,
    log_time,
    remove_follower,
    reply_to_conversation,
    set_tags,
    tag,
    unlink_conversations,
    update_conversation,
)
from layan.delivery.models import OutboxItem
from layan.errors import InvalidInput


@pytest.fixture
def conversation(world, receive) -> Conversation:
    return receive(world.email_inbox, "siti@contoh.id").conversation


def _audits(conversation, action) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="conversation", object_id=str(conversation.pk),
                                          action=action).order_by("id"))


def _row(conversation) -> dict:
    return Conversation.objects.filter(pk=conversation.pk).values().get()


# --- assignment -------------------------------------------------------------------------------------

def test_assigning_to_an_agent_of_the_team_records_who_before_and_after(world, conversation):
    assign_conversation(actor=world.actor, conversation=conversation, assignee=world.agent, team=world.team)

    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.assignee_id, stored.team_id) == (world.agent.pk, world.team.pk)
    (entry,) = _audits(conversation, "conversation.assigned")
    assert entry.before == {"team": None, "assignee": None}
    assert entry.after == {"team": world.team.pk, "assignee": world.agent.pk}
    assert entry.actor_agent_id == world.admin.pk


def test_assigning_to_an_agent_of_another_workspace_is_refused_and_changes_nothing(world, other_world, conversation):
    before = _row(conversation)

    with pytest.raises(InvalidInput) as refused:
        assign_conversation(actor=world.actor, conversation=conversation, assignee=other_world.agent)

    assert refused.value.field == "assignee"
    assert _row(conversation) == before
    assert _audits(conversation, "conversation.assigned") == []


def test_assigning_to_a_team_of_another_workspace_is_refused(world, other_world, conversation):
    before = _row(conversation)

    with pytest.raises(InvalidInput) as refused:
        assign_conversation(actor=world.actor, conversation=conversation, team=other_world.team)

    assert refused.value.field == "team"
    assert _row(conversation) == before


def test_assigning_to_an_agent_outside_the_given_team_is_refused(world, conversation):
    before = _row(conversation)

    with pytest.raises(InvalidInput) as refused:
        assign_conversation(actor=world.actor, conversation=conversation, assignee=world.other_agent,
                            team=world.team)

    assert refused.value.field == "assignee"
    assert world.other_agent.display_name in refused.value.message
    assert _row(conversation) == before


def test_assigning_to_a_deactivated_agent_is_refused(world, conversation):
    world.agent.is_active = False
    world.agent.save(update_fields=["is_active"])

    with pytest.raises(InvalidInput):
        assign_conversation(actor=world.actor, conversation=conversation, assignee=world.agent)

    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None


def test_an_agent_outside_the_conversations_team_takes_it_out_of_that_team(world, conversation):
    assign_conversation(actor=world.actor, conversation=conversation, team=world.team)

    assign_conversation(actor=world.actor, conversation=conversation, assignee=world.other_agent)

    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.assignee_id, stored.team_id) == (world.other_agent.pk, None)


def test_unassigning_and_assigning_the_same_again(world, conversation):
    assign_conversation(actor=world.actor, conversation=conversation, assignee=world.agent)
    assign_conversation(actor=world.actor, conversation=conversation, assignee=world.agent)  # no change
    assign_conversation(actor=world.actor, conversation=conversation, assignee=None)

    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None
    assert [e.after["assignee"] for e in _audits(conversation, "conversation.assigned")] == [world.agent.pk, None]


# --- fields and tags -----------------------------------------------------------------------------

def test_updating_fields_audits_only_what_changed(world, conversation):
    update_conversation(actor=world.actor, conversation=conversation, subject="Paket hilang", priority="high",
                        type="question")

    (entry,) = _audits(conversation, "conversation.updated")
    assert entry.before == {"subject": "Halo, paket saya belum sampai.", "priority": "normal"}
    assert entry.after == {"subject": "Paket hilang", "priority": "high"}


def test_tags_are_normalised_added_removed_and_audited(world, conversation):
    tag(actor=world.actor, conversation=conversation, add=[" Pengiriman ", "JNE", "jne"])
    tag(actor=world.actor, conversation=conversation, add=["urgent"], remove=["JNE"])

    assert sorted(conversation.tags.values_list("name", flat=True)) == ["pengiriman", "urgent"]
    entries = _audits(conversation, "conversation.tagged")
    assert [(e.before, e.after) for e in entries] == [
        ({"tags": []}, {"tags": ["jne", "pengiriman"]}),
        ({"tags": ["jne", "pengiriman"]}, {"tags": ["pengiriman", "urgent"]}),
    ]
    assert Tag.objects.filter(workspace=world.workspace).count() == 3  # the vocabulary keeps jne


def test_setting_the_same_tags_again_writes_no_audit(world, conversation):
    set_tags(actor=world.actor, conversation=conversation, names=["pengiriman"])
    set_tags(actor=world.actor, conversation=conversation, names=["Pengiriman"])

    assert len(_audits(conversation, "conversation.tagged")) == 1


@pytest.mark.parametrize("bad", ["", "   ", "x" * 65])
def test_an_empty_or_overlong_tag_is_refused(world, conversation, bad):
    with pytest.raises(InvalidInput) as refused:
        tag(actor=world.actor, conversation=conversation, add=["valid", bad])

    assert refused.value.field == "tags"
    assert conversation.tags.count() == 0
    assert Tag.objects.filter(workspace=world.workspace).count() == 0


# --- followers --------------------------------------------------------------------------------------

def test_following_and_unfollowing_are_audited_once(world, conversation):
    add_follower(actor=world.actor, conversation=conversation, agent=world.agent)
    add_follower(actor=world.actor, conversation=conversation, agent=world.agent)
    remove_follower(actor=world.actor, conversation=conversation, agent=world.agent)
    remove_follower(actor=world.actor, conversation=conversation, agent=world.agent)

    assert Follower.objects.filter(conversation=conversation).count() == 0
    assert [e.after for e in _audits(conversation, "conversation.follower_added")] == [{"follower": world.agent.pk}]
    assert [e.before for e in _audits(conversation, "conversation.follower_removed")] == [
        {"follower": world.agent.pk}]


def test_an_agent_of_another_workspace_cannot_follow(world, other_world, conversation):
    with pytest.raises(InvalidInput):
        add_follower(actor=world.actor, conversation=conversation, agent=other_world.agent)

    assert Follower.objects.count() == 0


def test_following_makes_a_conversation_of_another_team_visible_to_the_agent(world, conversation):
    assign_conversation(actor=world.actor, conversation=conversation, team=world.other_team)
    api = world.api("agent")
    assert api.get(f"/conversations/{conversation.pk}").status_code == 404

    add_follower(actor=world.actor, conversation=conversation, agent=world.agent)

    assert api.get(f"/conversations/{conversation.pk}").status_code == 200


# --- links ------------------------------------------------------------------------------------------

def test_linking_is_idempotent_audited_and_removable(world, receive, conversation):
    other = receive(world.email_inbox, "rudi@contoh.id").conversation

    first = link_conversations(actor=world.actor, source=conversation, target=other, kind="related")
    again = link_conversations(actor=world.actor, source=conversation, target=other, kind="related")

    assert first.pk == again.pk
    assert ConversationLink.objects.count() == 1
    assert [e.after for e in _audits(conversation, "conversation.linked")] == [{"kind": "related", "target": other.pk}]
    unlink_conversations(actor=world.actor, link=first)
    assert ConversationLink.objects.count() == 0
    assert [e.before for e in _audits(conversation, "conversation.unlinked")] == [
        {"kind": "related", "target": other.pk}]


def test_links_to_itself_of_an_unknown_kind_or_across_workspaces_are_refused(world, other_world, receive,
                                                                              conversation):
    theirs = receive(other_world.email_inbox, "siti@contoh.id").conversation
    other = receive(world.email_inbox, "rudi@contoh.id").conversation

    for target, kind in ((conversation, "related"), (other, "sibling"), (theirs, "related")):
        with pytest.raises(InvalidInput):
            link_conversations(actor=world.actor, source=conversation, target=target, kind=kind)

    assert ConversationLink.objects.count() == 0
    assert _audits(conversation, "conversation.linked") == []


# --- time ------------------------------------------------------------------------------------------

def test_time_spent_is_logged_for_the_acting_agent(world, conversation):
    entry = log_time(actor=Actor.for_agent(world.agent), conversation=conversation, seconds=900, note="Telepon kurir")

    assert (entry.agent_id, entry.seconds, entry.note) == (world.agent.pk, 900, "Telepon kurir")
    (audit,) = _audits(conversation, "conversation.time_logged")
    assert audit.after == {"seconds": 900, "agent": world.agent.pk}


@pytest.mark.parametrize("seconds", [0, -5, 24 * 3600 + 1])
def test_time_outside_one_second_to_a_day_is_refused(world, conversation, seconds):
    with pytest.raises(InvalidInput) as refused:
        log_time(actor=world.actor, conversation=conversation, seconds=seconds)

    assert refused.value.field == "seconds"
    assert TimeEntry.objects.count() == 0


def test_only_agents_log_time(world, conversation):
    with pytest.raises(InvalidInput):
        log_time(actor=Actor.system(world.workspace), conversation=conversation, seconds=60)

    assert TimeEntry.objects.count() == 0


# --- notes and mentions ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Tolong dicek @budi",
    "Tolong dicek @budi.",
    "@Budi, tolong dicek",
    "Tolong dicek (@budi)",
    "Tolong dicek @budi@toko-maju.test.",
])
def test_a_mentioned_agent_is_recorded_and_follows_the_conversation(world, conversation, text):
    note = add_note(actor=world.actor, conversation=conversation, text=text)

    assert list(note.mentions.values_list("id", flat=True)) == [world.agent.pk]
    assert list(Follower.objects.filter(conversation=conversation).values_list("agent_id", flat=True)) == [
        world.agent.pk]
    (entry,) = _audits(conversation, "conversation.note_added")
    assert entry.after == {"message": note.pk, "mentions": [world.agent.pk]}


def test_text_that_only_looks_like_a_mention_mentions_nobody(world, conversation):
    note = add_note(actor=world.actor, conversation=conversation,
                    text="Email pelanggan siti@budi.id, akun @tidakada, harga 5@1000")

    assert note.mentions.count() == 0
    assert Follower.objects.count() == 0


def test_an_agent_of_another_workspace_is_never_mentioned(world, other_world, conversation):
    create_agent(workspace=other_world.workspace, email="joko@lain.test", display_name="Joko")

    note = add_note(actor=world.actor, conversation=conversation, text="@joko @joko@lain.test")

    assert note.mentions.count() == 0
    with pytest.raises(InvalidInput):
        add_note(actor=world.actor, conversation=conversation, text="Cek", mentions=[other_world.agent])


def test_a_note_is_internal_and_never_queued_for_sending(world, conversation):
    note = add_note(actor=world.actor, conversation=conversation, text="Catatan internal")

    assert (note.is_note, note.delivery_status) == (True, "")
    assert not OutboxItem.objects.filter(message=note).exists()


# --- first response time --------------------------------------------------------------------------

def test_the_first_agent_reply_sets_first_response_time_and_later_replies_keep_it(world, conversation):
    start = timezone.now()

    reply_to_conversation(actor=world.actor, conversation=conversation, text="Baik, kami cek.")
    first = Conversation.objects.get(pk=conversation.pk).first_response_at
    reply_to_conversation(actor=Actor.for_agent(world.agent), conversation=conversation, text="Sudah dikirim.")

    assert start <= first <= timezone.now()
    assert Conversation.objects.get(pk=conversation.pk).first_response_at == first


def test_a_note_is_no_response_to_the_customer(world, conversation):
    add_note(actor=world.actor, conversation=conversation, text="Sedang dicek gudang")

    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.first_response_at is None
    assert stored.status == Status.NEW


def test_a_system_message_is_no_response_either(world, conversation):
    reply_to_conversation(actor=Actor.system(world.workspace), conversation=conversation, text="Pesan otomatis")

    assert Conversation.objects.get(pk=conversation.pk).first_response_at is None


def test_the_first_response_time_shows_in_the_api(world, conversation, api):
    reply_to_conversation(actor=world.actor, conversation=conversation, text="Baik")

    body = api.get(f"/conversations/{conversation.pk}").json()

    stored = Conversation.objects.get(pk=conversation.pk)
    assert body["first_response_at"] is not None
    assert body["first_response_at"].startswith(stored.first_response_at.strftime("%Y-%m-%dT%H:%M:%S"))
