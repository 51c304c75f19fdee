"""Send outbound messages exactly once or mark them failed with the reason.

An item is claimed by a conditional UPDATE (queued -> sending) so two workers never send it
twice; the send happens outside any transaction; the outcome is recorded after. Retryable errors
back off exponentially with jitter. See docs/flows/outbox.md.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from layan.connectors.base import OutboundAttachment, OutboundMessage, SendError
from layan.connectors.registry import adapter_for
from layan.conversations.models import DeliveryStatus, Message
from layan.conversations.selectors import thread_provider_ids
from layan.delivery.models import AttemptOutcome, DeliveryAttempt, OutboxItem, OutboxStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600
SEND_LEASE = timedelta(minutes=10)
REDRIVE_BATCH = 500


def enqueue_outbound(*, message: Message) -> OutboxItem:
    """Create the outbox item in the caller's transaction (the reply and its item commit together)."""
    return OutboxItem.objects.create(workspace_id=message.workspace_id, message=message)


def backoff_seconds(attempts: int) -> float:
    base = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


def _claim(outbox_item_id: int) -> tuple[OutboxItem, DeliveryAttempt] | None:
    now = timezone.now()
    with transaction.atomic():
        claimed = OutboxItem.objects.filter(
            pk=outbox_item_id, status=OutboxStatus.QUEUED, next_attempt_at__lte=now
        ).update(status=OutboxStatus.SENDING, attempts=F("attempts") + 1, lease_expires_at=now + SEND_LEASE,
                 updated_at=now)
        if not claimed:
            return None
        item = OutboxItem.objects.select_related("message__conversation", "message__author_agent").get(
            pk=outbox_item_id)
        attempt = DeliveryAttempt.objects.create(item=item, number=item.attempts)
    return item, attempt


def _outbound(item: OutboxItem) -> OutboundMessage:
    message = item.message
    conversation = message.conversation
    return OutboundMessage(
        inbox_id=message.inbox_id,
        conversation_id=conversation.pk,
        message_id=message.pk,
        recipients={k: list(v) for k, v in (message.recipients or {}).items()},
        text=message.text,
        html=message.html,
        subject=conversation.subject,
        author_name=message.author_agent.display_name if message.author_agent else "",
        attachments=tuple(
            OutboundAttachment(filename=a.filename, content_type=a.content_type, path=a.file.name, size=a.size)
            for a in message.attachments.all()
        ),
        conversation_number=conversation.number,
        thread_ids=thread_provider_ids(conversation_id=conversation.pk, before_message_id=message.pk),
        automatic=bool((message.metadata or {}).get("automatic")),
        last_customer_message_at=conversation.last_customer_message_at,
        metadata=dict(message.metadata or {}),
    )


def deliver_outbox_item(*, outbox_item_id: int) -> str | None:
    """Try to send one item now. Returns the item's new status, or None if it was not due or
    another worker holds it."""
    from layan.conversations.services import record_delivery_status

    claimed = _claim(outbox_item_id)
    if claimed is None:
        return None
    item, attempt = claimed
    inbox_kind = item.message.inbox.kind
    try:
        result = adapter_for(inbox_kind).send(_outbound(item))
    except SendError as exc:
        error, retryable = exc.reason, exc.retryable
    except Exception as exc:  # an adapter bug must not strand the item in SENDING
        logger.exception("adapter for %s raised on outbox item %s", inbox_kind, item.pk)
        error, retryable = f"{type(exc).__name__}: {exc}", True
    else:
        now = timezone.now()
        with transaction.atomic():
            OutboxItem.objects.filter(pk=item.pk).update(status=OutboxStatus.SENT, lease_expires_at=None,
                                                         provider_message_id=result.provider_message_id,
                                                         last_error="", updated_at=now)
            DeliveryAttempt.objects.filter(pk=attempt.pk).update(outcome=AttemptOutcome.SENT, finished_at=now)
            record_delivery_status(message_id=item.message_id, status=DeliveryStatus.SENT,
                                   provider_message_id=result.provider_message_id)
        return OutboxStatus.SENT
    return _record_failure(item, attempt, error=error, retryable=retryable)


def _record_failure(item: OutboxItem, attempt: DeliveryAttempt, *, error: str, retryable: bool) -> str:
    from layan import jobs
    from layan.conversations.services import record_delivery_status

    now = timezone.now()
    give_up = not retryable or item.attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            outcome=AttemptOutcome.FAILED if give_up else AttemptOutcome.RETRY, finished_at=now, error=error[:2000])
        if give_up:
            OutboxItem.objects.filter(pk=item.pk).update(status=OutboxStatus.FAILED, lease_expires_at=None,
                                                         last_error=error[:2000], updated_at=now)
            record_delivery_status(message_id=item.message_id, status=DeliveryStatus.FAILED, error=error)
            return OutboxStatus.FAILED
        delay = backoff_seconds(item.attempts)
        OutboxItem.objects.filter(pk=item.pk).update(status=OutboxStatus.QUEUED, lease_expires_at=None,
                                                     next_attempt_at=now + timedelta(seconds=delay),
                                                     last_error=error[:2000], updated_at=now)
        transaction.on_commit(lambda: jobs.deliver_outbox_item.schedule((item.pk,), delay=delay))
    return OutboxStatus.QUEUED


def deliver_outbox_item_for_event(event) -> None:
    """Subscriber for ReplyQueued."""
    deliver_outbox_item(outbox_item_id=event.outbox_item_id)


def redrive_due_outbox_items() -> int:
    """The sweeper: re-enqueue due items whose task was lost, and reclaim items whose worker died
    mid-send (lease expired). Returns how many items it re-drove."""
    from layan import jobs

    now = timezone.now()
    stale = list(OutboxItem.objects.filter(status=OutboxStatus.SENDING, lease_expires_at__lt=now)
                 .values_list("pk", flat=True)[:REDRIVE_BATCH])
    if stale:
        with transaction.atomic():
            DeliveryAttempt.objects.filter(item_id__in=stale, finished_at__isnull=True).update(
                outcome=AttemptOutcome.RETRY, finished_at=now, error="worker stopped during the send")
            OutboxItem.objects.filter(pk__in=stale, status=OutboxStatus.SENDING).update(
                status=OutboxStatus.QUEUED, lease_expires_at=None, next_attempt_at=now, updated_at=now)
    due = list(OutboxItem.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:REDRIVE_BATCH])
    for pk in due:
        jobs.deliver_outbox_item(pk)
    return len(due)
