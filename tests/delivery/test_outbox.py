"""The outbox: a reply is sent once, retried with backoff, or reported failed with the reason.

Failures are injected with a scripted adapter registered for the inbox kind (connectors/registry.py);
the database is real throughout. See docs/flows/outbox.md.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from layan import events
from layan.connectors.base import SendError
from layan.conversations.models import DeliveryStatus, Message, Status
from layan.conversations.services import (
    create_conversation,
    record_delivery_status,
    reply_to_conversation,
)
from layan.customers.services import IdentityInput
from layan.delivery.models import AttemptOutcome, DeliveryAttempt, OutboxItem, OutboxStatus
from layan.delivery.services import (
    BASE_BACKOFF_SECONDS,
    MAX_ATTEMPTS,
    MAX_BACKOFF_SECONDS,
    backoff_seconds,
    deliver_outbox_item,
    redrive_due_outbox_items,
    send_lease,
)
from layan.errors import Conflict


def _item(message: Message) -> OutboxItem:
    return OutboxItem.objects.get(message=message)


def _attempts(message: Message) -> list[tuple[int, str, str]]:
    return list(DeliveryAttempt.objects.filter(item__message=message).order_by("number")
                .values_list("number", "outcome", "error"))


def _make_due(item: OutboxItem) -> None:
    """The backoff has passed."""
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


# --- enqueue --------------------------------------------------------------------------------------

def test_a_reply_writes_one_queued_outbox_item_and_sends_nothing_before_commit(world, conversation, adapter,
                                                                              django_capture_on_commit_callbacks):
    scripted = adapter()

    with django_capture_on_commit_callbacks() as callbacks:
        message, _ = reply_to_conversation(actor=world.actor, conversation=conversation, text="Baik")

    item = OutboxItem.objects.get()
    assert item.message_id == message.pk
    assert (item.status, item.attempts) == (OutboxStatus.QUEUED, 0)
    assert item.next_attempt_at <= timezone.now()
    assert message.delivery_status == DeliveryStatus.QUEUED
    assert scripted.sent == []
    assert len(callbacks) == 2  # ConversationStatusChanged (new -> open) and ReplyQueued


def test_after_commit_the_reply_is_sent_once_through_the_inbox_kinds_adapter(world, conversation, adapter,
                                                                            django_capture_on_commit_callbacks):
    scripted = adapter()

    with django_capture_on_commit_callbacks(execute=True):
        message, _ = reply_to_conversation(actor=world.actor, conversation=conversation, text="Baik",
                                           cc=["rudi@contoh.id"], bcc=["arsip@toko.id"])

    (sent,) = scripted.sent
    assert sent.message_id == message.pk
    assert sent.recipients == {"to": ["siti@contoh.id"], "cc": ["dewi@contoh.id", "rudi@contoh.id"],
                               "bcc": ["arsip@toko.id"]}
    assert (sent.text, sent.subject, sent.author_name) == ("Baik", conversation.subject, "Admin")
    item = _item(message)
    assert (item.status, item.attempts, item.provider_message_id) == (OutboxStatus.SENT, 1, f"prov-{message.pk}-1")
    message.refresh_from_db()
    assert (message.delivery_status, message.provider_message_id) == (DeliveryStatus.SENT, f"prov-{message.pk}-1")
    assert _attempts(message) == [(1, AttemptOutcome.SENT, "")]


def test_a_sent_item_is_marked_sent_once_and_keeps_the_provider_id(reply):
    assert deliver_outbox_item(outbox_item_id=_item(reply).pk) == OutboxStatus.SENT
    assert deliver_outbox_item(outbox_item_id=_item(reply).pk) is None

    item = _item(reply)
    assert (item.status, item.attempts, item.lease_expires_at) == (OutboxStatus.SENT, 1, None)
    assert item.provider_message_id.startswith("<layan.")  # the email adapter's Message-ID
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_message_id) == (DeliveryStatus.SENT, item.provider_message_id)
    assert _attempts(reply) == [(1, AttemptOutcome.SENT, "")]


def test_a_proactive_conversation_opened_by_an_agent_is_queued_too(world):
    result = create_conversation(actor=world.actor, inbox=world.whatsapp_inbox, subject="Promo",
                                 customer_identities=[IdentityInput("whatsapp", "0812-3456-7890")],
                                 text="Halo kak, pesanan siap diambil.", author="agent")

    item = _item(result.message)
    assert item.status == OutboxStatus.QUEUED
    assert deliver_outbox_item(outbox_item_id=item.pk) == OutboxStatus.SENT


def test_a_refused_reply_leaves_no_outbox_item(world, conversation):
    conversation.status = Status.CLOSED
    conversation.save(update_fields=["status"])

    with pytest.raises(Conflict):
        reply_to_conversation(actor=world.actor, conversation=conversation, text="Halo?")

    assert OutboxItem.objects.count() == 0
    assert Message.objects.filter(direction="out").count() == 0


# --- failures and retries -------------------------------------------------------------------------

def test_a_transient_failure_retries_with_backoff_and_then_succeeds(reply, adapter):
    scripted = adapter(SendError("SMTP 451: coba lagi nanti", retryable=True))
    item = _item(reply)
    start = timezone.now()

    first = deliver_outbox_item(outbox_item_id=item.pk)

    item.refresh_from_db()
    assert first == OutboxStatus.QUEUED
    assert (item.status, item.attempts, item.last_error, item.lease_expires_at) == (
        OutboxStatus.QUEUED, 1, "SMTP 451: coba lagi nanti", None)
    delay = (item.next_attempt_at - start).total_seconds()
    assert BASE_BACKOFF_SECONDS * 0.8 <= delay <= BASE_BACKOFF_SECONDS * 1.2 + 1
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.QUEUED  # still on its way, not failed

    assert deliver_outbox_item(outbox_item_id=item.pk) is None  # not due yet: nothing happens
    assert len(scripted.sent) == 1

    _make_due(item)
    second = deliver_outbox_item(outbox_item_id=item.pk)

    item.refresh_from_db()
    assert second == OutboxStatus.SENT
    assert (item.status, item.attempts, item.last_error) == (OutboxStatus.SENT, 2, "")
    assert _attempts(reply) == [(1, AttemptOutcome.RETRY, "SMTP 451: coba lagi nanti"), (2, AttemptOutcome.SENT, "")]
    assert len(scripted.sent) == 2
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT


def test_the_retry_is_scheduled_after_commit_and_does_not_run_before_it_is_due(reply, adapter,
                                                                              django_capture_on_commit_callbacks):
    scripted = adapter(SendError("timeout", retryable=True))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        deliver_outbox_item(outbox_item_id=_item(reply).pk)

    assert len(callbacks) == 1  # the delayed task
    assert len(scripted.sent) == 1
    assert _item(reply).status == OutboxStatus.QUEUED


def test_an_unexpected_adapter_error_is_logged_and_retried(reply, adapter, caplog):
    adapter(RuntimeError("koneksi terputus"))

    with caplog.at_level(logging.ERROR, logger="layan.delivery.services"):
        status = deliver_outbox_item(outbox_item_id=_item(reply).pk)

    assert status == OutboxStatus.QUEUED
    assert _item(reply).last_error == "RuntimeError: koneksi terputus"
    assert f"outbox item {_item(reply).pk}" in caplog.text


def test_a_permanent_failure_marks_the_item_and_the_message_failed_with_the_reason(reply, adapter, published,
                                                                                 django_capture_on_commit_callbacks):
    scripted = adapter(SendError("Alamat siti@contoh.id tidak ada", retryable=False))

    with django_capture_on_commit_callbacks(execute=True):
        status = deliver_outbox_item(outbox_item_id=_item(reply).pk)

    item = _item(reply)
    assert status == OutboxStatus.FAILED
    assert (item.status, item.attempts, item.last_error) == (OutboxStatus.FAILED, 1,
                                                             "Alamat siti@contoh.id tidak ada")
    assert _attempts(reply) == [(1, AttemptOutcome.FAILED, "Alamat siti@contoh.id tidak ada")]
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error) == (DeliveryStatus.FAILED, "Alamat siti@contoh.id tidak ada")
    assert published == [events.MessageDeliveryChanged(workspace_id=reply.workspace_id,
                                                       conversation_id=reply.conversation_id, message_id=reply.pk,
                                                       status="failed")]
    _make_due(item)
    assert deliver_outbox_item(outbox_item_id=item.pk) is None  # failed is terminal
    assert len(scripted.sent) == 1


def test_the_eighth_transient_failure_gives_up(reply, adapter):
    adapter(*[SendError(f"timeout {n}", retryable=True) for n in range(1, MAX_ATTEMPTS + 1)])
    item = _item(reply)
    statuses = []

    for _ in range(MAX_ATTEMPTS):
        _make_due(item)
        statuses.append(deliver_outbox_item(outbox_item_id=item.pk))

    assert statuses == [OutboxStatus.QUEUED] * (MAX_ATTEMPTS - 1) + [OutboxStatus.FAILED]
    item.refresh_from_db()
    assert (item.status, item.attempts, item.last_error) == (OutboxStatus.FAILED, MAX_ATTEMPTS, f"timeout {MAX_ATTEMPTS}")
    outcomes = [outcome for _n, outcome, _e in _attempts(reply)]
    assert outcomes == [AttemptOutcome.RETRY] * (MAX_ATTEMPTS - 1) + [AttemptOutcome.FAILED]


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_doubles_from_thirty_seconds_up_to_an_hour_with_jitter(attempt):
    expected = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** (attempt - 1))

    delays = [backoff_seconds(attempt) for _ in range(50)]

    assert all(expected * 0.8 <= d <= expected * 1.2 for d in delays)
    assert len(set(delays)) > 1  # jittered, so failures together do not retry together


# --- at most once -----------------------------------------------------------------------------------

def test_a_second_worker_gets_nothing_while_the_first_is_sending(reply, adapter):
    item = _item(reply)
    second_worker = []
    scripted = adapter(lambda: second_worker.append(deliver_outbox_item(outbox_item_id=item.pk)))

    first_worker = deliver_outbox_item(outbox_item_id=item.pk)

    assert second_worker == [None]
    assert first_worker == OutboxStatus.SENT
    assert len(scripted.sent) == 1
    assert _attempts(reply) == [(1, AttemptOutcome.SENT, "")]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_item_at_once_send_it_once(world, receive, adapter, monkeypatch):
    monkeypatch.setitem(events.SUBSCRIBERS, events.ReplyQueued, [])  # no worker picks it up on commit
    conversation = receive(world.email_inbox, "siti@contoh.id").conversation
    message, _ = reply_to_conversation(actor=world.actor, conversation=conversation, text="Baik")
    scripted = adapter()
    item = _item(message)
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait(timeout=10)
            return deliver_outbox_item(outbox_item_id=item.pk)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [f.result(timeout=60) for f in [pool.submit(worker) for _ in range(4)]]

    assert sorted(results, key=str) == [None, None, None, OutboxStatus.SENT]
    assert len(scripted.sent) == 1
    assert DeliveryAttempt.objects.filter(item=item).count() == 1


# --- the sweeper ------------------------------------------------------------------------------------

def test_an_item_whose_task_was_lost_is_sent_by_the_sweeper(reply, adapter):
    scripted = adapter()

    redriven = redrive_due_outbox_items()

    assert redriven == 1
    assert _item(reply).status == OutboxStatus.SENT
    assert len(scripted.sent) == 1


def test_the_sweeper_leaves_items_that_are_not_due(reply, adapter):
    adapter(SendError("timeout", retryable=True))
    deliver_outbox_item(outbox_item_id=_item(reply).pk)  # now backing off

    assert redrive_due_outbox_items() == 0
    assert _item(reply).attempts == 1


def test_an_expired_lease_is_redriven_and_the_abandoned_attempt_closed(reply, adapter):
    item = _item(reply)
    scripted = adapter(SystemExit("worker killed mid-send"))  # not caught: the worker dies
    with pytest.raises(SystemExit):
        deliver_outbox_item(outbox_item_id=item.pk)
    item.refresh_from_db()
    assert item.status == OutboxStatus.SENDING
    assert item.lease_expires_at - timezone.now() <= send_lease()

    assert redrive_due_outbox_items() == 0  # the lease still runs: maybe the worker is just slow
    assert _item(reply).status == OutboxStatus.SENDING

    OutboxItem.objects.filter(pk=item.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    redriven = redrive_due_outbox_items()

    item.refresh_from_db()
    assert redriven == 1
    assert (item.status, item.attempts) == (OutboxStatus.SENT, 2)
    assert _attempts(reply) == [(1, AttemptOutcome.RETRY, "worker stopped during the send"),
                                (2, AttemptOutcome.SENT, "")]
    assert len(scripted.sent) == 2


# --- delivery statuses move forward only --------------------------------------------------------

def test_delivery_statuses_only_move_forward_and_failed_is_final(reply, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for status in ("sent", "read", "delivered", "sent", "read"):
            record_delivery_status(message_id=reply.pk, status=status)

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.READ
    assert [e.status for e in published] == ["sent", "read"]

    # It reached the customer: a late failure report cannot undo that.
    record_delivery_status(message_id=reply.pk, status="failed", error="expired")
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error) == (DeliveryStatus.READ, "")


def test_a_failure_after_sent_is_final(reply):
    record_delivery_status(message_id=reply.pk, status="sent")
    record_delivery_status(message_id=reply.pk, status="failed", error="number not on WhatsApp")
    record_delivery_status(message_id=reply.pk, status="read")
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error) == (DeliveryStatus.FAILED, "number not on WhatsApp")
