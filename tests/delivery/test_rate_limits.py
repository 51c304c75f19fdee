"""Per-provider rate limits: an inbox over its provider's published throughput waits for the next
window without spending an attempt; a provider's own Retry-After is honoured. See docs/flows/outbox.md."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, connections
from django.utils import timezone

from layan import events
from layan.connectors.base import RateLimit, SendError
from layan.conversations.services import reply_to_conversation
from layan.delivery.models import DeliveryAttempt, OutboxItem, OutboxStatus
from layan.delivery.services import deliver_outbox_item, rate_limit_for
from layan.jobs import huey


@pytest.fixture(autouse=True)
def _fresh_counters():
    # Counters are keyed by inbox id. On SQLite a rolled-back test's ids come back, so the
    # process-local cache starts empty; on PostgreSQL ids never repeat and Redis is shared.
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


def _replies(world, conversation, n: int) -> list[OutboxItem]:
    messages = [reply_to_conversation(actor=world.actor, conversation=conversation, text=f"Balasan {i}")[0]
                for i in range(n)]
    return [OutboxItem.objects.get(message=m) for m in messages]


def test_sends_over_the_inboxes_limit_wait_for_the_next_window_without_spending_an_attempt(
        world, conversation, adapter, django_capture_on_commit_callbacks):
    scripted = adapter(rate_limit=RateLimit(sends=2, per_seconds=60))
    first, second, third = _replies(world, conversation, 3)
    huey.storage.flush_schedule()  # the in-memory schedule outlives each test
    start = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        results = [deliver_outbox_item(outbox_item_id=i.pk) for i in (first, second, third)]

    assert results == [OutboxStatus.SENT, OutboxStatus.SENT, OutboxStatus.QUEUED]
    assert len(scripted.sent) == 2
    third.refresh_from_db()
    assert (third.status, third.attempts, third.last_error) == (OutboxStatus.QUEUED, 0, "")
    assert not DeliveryAttempt.objects.filter(item=third).exists()
    # Due when the window ends (at most 60 s away) plus up to one window of spread.
    assert start < third.next_attempt_at <= start + timedelta(seconds=121)
    (task,) = huey.scheduled()  # the delayed task, scheduled after commit, for the window's end
    assert (task.name, task.args) == ("deliver_outbox_item", (third.pk,))
    assert deliver_outbox_item(outbox_item_id=third.pk) is None  # not due yet: nothing is sent
    assert len(scripted.sent) == 2


def test_the_limit_counts_per_inbox(world, conversation, receive, adapter):
    scripted = adapter(rate_limit=RateLimit(sends=1, per_seconds=60))
    other_inbox_conversation = receive(_second_email_inbox(world), "budi@contoh.id").conversation
    (here,) = _replies(world, conversation, 1)
    (there,) = _replies(world, other_inbox_conversation, 1)
    assert here.message.inbox_id != there.message.inbox_id, (here.message.inbox_id, there.message.inbox_id)

    assert deliver_outbox_item(outbox_item_id=here.pk) == OutboxStatus.SENT
    assert deliver_outbox_item(outbox_item_id=there.pk) == OutboxStatus.SENT
    assert len(scripted.sent) == 2


def _second_email_inbox(world):
    from layan.connectors.services import create_inbox

    return create_inbox(actor=world.actor, kind="email", name="Email penjualan", threading_policy="reuse_open")


def test_adapters_publish_their_providers_throughput():
    assert rate_limit_for("whatsapp") == RateLimit(sends=80)
    assert rate_limit_for("telegram") == RateLimit(sends=30)
    assert rate_limit_for("instagram") == rate_limit_for("messenger") == RateLimit(sends=100)
    assert rate_limit_for("sms") == RateLimit(sends=25)
    assert rate_limit_for("email") is None


def test_an_operator_can_set_or_lift_a_kinds_limit(settings):
    settings.LAYAN_OUTBOX_RATE_LIMITS = {"email": 14, "whatsapp": 0, "sms": 0.5}

    assert rate_limit_for("email") == RateLimit(sends=14)
    assert rate_limit_for("whatsapp") is None
    assert rate_limit_for("sms") == RateLimit(sends=1, per_seconds=2.0)


def test_a_providers_retry_after_is_honoured_over_the_shorter_backoff(reply, adapter):
    adapter(SendError("Too Many Requests: retry after 600", retryable=True, retry_after=600))
    item = OutboxItem.objects.get(message=reply)
    start = timezone.now()

    assert deliver_outbox_item(outbox_item_id=item.pk) == OutboxStatus.QUEUED

    item.refresh_from_db()
    assert item.next_attempt_at >= start + timedelta(seconds=600)
    assert item.attempts == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_send_more_than_the_limit_in_one_window(world, receive, adapter, monkeypatch):
    monkeypatch.setitem(events.SUBSCRIBERS, events.ReplyQueued, [])  # no worker picks them up on commit
    conversation = receive(world.email_inbox, "siti@contoh.id").conversation
    items = _replies(world, conversation, 10)
    scripted = adapter(rate_limit=RateLimit(sends=3, per_seconds=60))
    barrier = threading.Barrier(5)

    def worker(batch):
        try:
            barrier.wait(timeout=10)
            return [deliver_outbox_item(outbox_item_id=i.pk) for i in batch]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = [r for f in [pool.submit(worker, items[n::5]) for n in range(5)] for r in f.result(timeout=60)]

    assert results.count(OutboxStatus.SENT) == 3
    assert results.count(OutboxStatus.QUEUED) == 7
    assert len(scripted.sent) == 3
    assert DeliveryAttempt.objects.filter(item__in=items).count() == 3
