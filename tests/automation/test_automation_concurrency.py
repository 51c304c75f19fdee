"""Automation under concurrency, on PostgreSQL: two sweepers at once apply a time-based rule once
per conversation; four workers delivering one webhook at once POST it once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections

from layan.automation.engine import apply_time_based_rules
from layan.automation.models import RuleRun, TimedRuleApplication, WebhookDelivery
from layan.automation.webhooks import deliver_webhook
from layan.conversations.models import Message
from layan.conversations.services import change_status

pytestmark = [
    pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; the race needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

MONDAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def _together(work, times: int) -> list:
    barrier = threading.Barrier(times)

    def worker():
        try:
            barrier.wait(timeout=10)
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return [f.result(timeout=60) for f in [pool.submit(worker) for _ in range(times)]]


def test_two_sweepers_at_once_apply_a_time_based_rule_once_per_conversation(world, receive, make_rule):
    rule = make_rule("time_based", [{"type": "add_note", "value": "Masih menunggu"}],
                     {"all": [{"field": "status", "operator": "is", "value": "pending"}]},
                     delay_minutes=60, time_anchor="status_changed")
    with time_machine.travel(MONDAY, tick=False):
        conversations = []
        for n in range(5):
            conversation = receive(world.email_inbox, f"pelanggan{n}@contoh.id").message.conversation
            change_status(actor=world.actor, conversation=conversation, status="pending")
            conversations.append(conversation)

    with time_machine.travel(MONDAY + timedelta(hours=2)):
        results = _together(apply_time_based_rules, 2)

    assert sum(len(r) for r in results) == 5
    assert RuleRun.objects.filter(rule=rule).count() == 5
    assert TimedRuleApplication.objects.filter(rule=rule).count() == 5
    for conversation in conversations:
        assert Message.objects.filter(conversation=conversation, is_note=True).count() == 1


def test_four_workers_delivering_one_webhook_at_once_post_it_once(world, webhook_receiver):
    delivery = WebhookDelivery.objects.create(workspace=world.workspace, url=webhook_receiver.url, secret="s",
                                              payload={"conversation": {"id": 1}})

    results = _together(lambda: deliver_webhook(delivery_id=delivery.pk), 4)

    assert sorted(r.status if r else "" for r in results) == ["", "", "", "sent"]
    assert len(webhook_receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
