"""The sweeper records a breach once even when two run at once, escalations run once however often
their event comes, and the clock computation of one conversation is a fixed number of queries."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from at_once import at_once
from layan import events
from layan.accounts.models import Notification
from layan.conversations import services as conversations
from layan.conversations.models import Conversation
from layan.servicelevels.models import (
    Escalation,
    EscalationKind,
    EscalationRun,
    ServiceLevelBreach,
    ServiceLevelClock,
    Trigger,
)
from layan.servicelevels.services import escalate_for_event, sweep_service_levels, sync_clocks

JAKARTA = ZoneInfo("Asia/Jakarta")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_the_due_time_record_one_breach_and_publish_one_event(world, policy, receive, published):
    policy(first_response_minutes=30)
    with time_machine.travel(wib(2026, 8, 7, 16, 50), tick=False):
        conversation = receive(world.email_inbox, "siti@contoh.id").conversation  # commits: clocks start
    assert ServiceLevelClock.objects.get(conversation=conversation).due_at == wib(2026, 8, 10, 8, 20)
    published.clear()
    barrier = threading.Barrier(4)

    def sweep():
        barrier.wait(timeout=10)
        return sweep_service_levels(now=wib(2026, 8, 10, 8, 20))

    results = at_once(sweep, times=4)

    assert sorted(results) == [(0, 0), (0, 0), (0, 0), (0, 1)]
    assert ServiceLevelBreach.objects.filter(conversation=conversation).count() == 1
    assert [(type(e).__name__, e.conversation_id) for e in published
            if isinstance(e, events.ServiceLevelBreached)] == [("ServiceLevelBreached", conversation.pk)]
    connections.close_all()


def _escalations(policy_row, world):
    Escalation.objects.bulk_create([
        Escalation(policy=policy_row, trigger=Trigger.BREACH, action=EscalationKind.NOTIFY_ASSIGNEE),
        Escalation(policy=policy_row, trigger=Trigger.BREACH, action=EscalationKind.NOTIFY_SUPERVISORS),
        Escalation(policy=policy_row, trigger=Trigger.BREACH, action=EscalationKind.RAISE_PRIORITY),
        Escalation(policy=policy_row, trigger=Trigger.BREACH, metric="resolution", action=EscalationKind.REASSIGN,
                   team=world.other_team),
    ])


def test_breach_escalations_run_once_however_often_the_event_arrives(world, policy, settle, receive):
    policy_row = policy(first_response_minutes=30)
    _escalations(policy_row, world)
    world.agent.language = "en"  # the title is written in the agent's language
    world.agent.save(update_fields=["language"])
    with time_machine.travel(wib(2026, 8, 10, 9, 0), tick=False):
        conversation = settle(receive, world.email_inbox, "siti@contoh.id").conversation
        settle(conversations.assign_conversation, actor=world.actor, conversation=conversation, assignee=world.agent)

    with time_machine.travel(wib(2026, 8, 10, 9, 30), tick=False):
        assert settle(sweep_service_levels) == (0, 1)
        event = events.ServiceLevelBreached(workspace_id=world.workspace.pk, conversation_id=conversation.pk,
                                            policy_id=policy_row.pk, metric="first_response",
                                            due_at=wib(2026, 8, 10, 9, 30).astimezone(JAKARTA).isoformat())
        assert settle(escalate_for_event, event) == 0  # a redelivered event: nothing more
        assert settle(escalate_for_event, event) == 0

    conversation.refresh_from_db()
    assert conversation.priority == "high"  # one step up, once
    assert conversation.team_id != world.other_team.pk  # the reassign is for resolution breaches only
    assert EscalationRun.objects.filter(conversation=conversation).count() == 3
    notified = sorted(Notification.objects.filter(kind="sla_breach").values_list("agent__display_name", flat=True))
    assert notified == ["Admin", "Budi", "Supervisor"]
    title = Notification.objects.get(agent=world.agent, kind="sla_breach").title
    assert title == f"Service level missed on #{conversation.number}"


def test_a_warning_notifies_the_assignee_once(world, policy, settle, receive):
    policy_row = policy(first_response_minutes=30, warning_minutes=10)
    Escalation.objects.create(policy=policy_row, trigger=Trigger.WARNING, action=EscalationKind.NOTIFY_ASSIGNEE)
    with time_machine.travel(wib(2026, 8, 10, 9, 0), tick=False):
        conversation = settle(receive, world.email_inbox, "siti@contoh.id").conversation
        settle(conversations.assign_conversation, actor=world.actor, conversation=conversation, assignee=world.agent)
    with time_machine.travel(wib(2026, 8, 10, 9, 25), tick=False):
        settle(sweep_service_levels)
        settle(sweep_service_levels)

    assert list(Notification.objects.filter(kind="sla_warning").values_list("agent_id", flat=True)) == [world.agent.pk]


def test_the_clock_computation_of_one_conversation_is_a_fixed_number_of_queries(
        world, policy, settle, receive, django_assert_num_queries):
    policy(first_response_minutes=30, next_response_minutes=60, resolution_minutes=480)
    conversation = settle(receive, world.email_inbox, "siti@contoh.id").conversation
    settle(conversations.reply_to_conversation, actor=world.actor, conversation=conversation, text="Halo")

    # savepoint, the conversation with its customer (locked), its clocks (locked), the policies and
    # their teams, the calendar, its hours and exceptions, the latest reply, the first message
    # waiting since, the summary, release; clocks that did not move are not written.
    with django_assert_num_queries(12):
        sync_clocks(conversation_id=conversation.pk)
    for n in range(40):
        receive(world.email_inbox, "siti@contoh.id", text=f"pesan {n}")
        conversations.reply_to_conversation(actor=world.actor, conversation=Conversation.objects.get(pk=conversation.pk),
                                            text=f"balasan {n}")
    with django_assert_num_queries(12):
        sync_clocks(conversation_id=conversation.pk)


def test_one_sweep_records_every_due_breach_past_a_full_batch(world, policy, settle, receive, monkeypatch):
    from layan.servicelevels import services

    monkeypatch.setattr(services, "SWEEP_BATCH", 2)
    policy(first_response_minutes=30, hours="always")
    with time_machine.travel(wib(2026, 8, 10, 9, 0), tick=False):
        for n in range(5):
            settle(receive, world.email_inbox, f"pelanggan{n}@contoh.id")

    assert sweep_service_levels(now=wib(2026, 8, 10, 9, 30)) == (0, 5)
    assert ServiceLevelBreach.objects.count() == 5
