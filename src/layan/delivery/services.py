"""Send outbound messages exactly once or mark them failed with the reason.

An item is claimed by a conditional UPDATE (queued -> sending) so two workers never send it
twice; the send happens outside any transaction; the outcome is recorded after. Retryable errors
back off exponentially with jitter; an inbox over its provider's rate limit waits without an
attempt being spent. See docs/flows/outbox.md.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.services import record_audit
from layan.connectors.base import OutboundAttachment, OutboundMessage, RateLimit, SendError
from layan.connectors.registry import adapter_for
from layan.conversations.models import DeliveryStatus, Message
from layan.conversations.selectors import thread_provider_ids
from layan.delivery.models import (
    DEFAULT_MAX_ATTEMPTS,
    AttemptOutcome,
    DeliveryAttempt,
    OutboxItem,
    OutboxStatus,
)
from layan.errors import Conflict
from layan.ratelimits import count_in_window

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = DEFAULT_MAX_ATTEMPTS  # a new item's allowance, and what "Retry now" grants again
BASE_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600
REDRIVE_BATCH = 500


def send_lease() -> timedelta:
    return timedelta(seconds=settings.LAYAN_OUTBOX_SEND_LEASE_SECONDS)


def rate_limit_for(kind: str) -> RateLimit | None:
    """The kind's adapter's published limit, unless LAYAN_OUTBOX_RATE_LIMITS says otherwise."""
    per_second = settings.LAYAN_OUTBOX_RATE_LIMITS.get(kind)
    if per_second is None:
        return getattr(adapter_for(kind), "rate_limit", None)
    if per_second <= 0:
        return None
    if per_second >= 1:
        return RateLimit(sends=int(per_second))
    return RateLimit(sends=1, per_seconds=1 / per_second)


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
        ).update(status=OutboxStatus.SENDING, attempts=F("attempts") + 1, lease_expires_at=now + send_lease(),
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

    due = (OutboxItem.objects.filter(pk=outbox_item_id, status=OutboxStatus.QUEUED,
                                     next_attempt_at__lte=timezone.now())
           .values("message__inbox_id", "message__inbox__kind").first())
    if due is None:
        return None
    limit = rate_limit_for(due["message__inbox__kind"])
    if limit is not None:
        counted = count_in_window(f"outbox:{due['message__inbox_id']}", window_seconds=limit.per_seconds)
        if counted.count > limit.sends:
            return _postpone(outbox_item_id, seconds=counted.retry_after + random.uniform(0, limit.per_seconds))  # noqa: S311
    claimed = _claim(outbox_item_id)
    if claimed is None:
        return None
    item, attempt = claimed
    inbox_kind = item.message.inbox.kind
    retry_after = None
    try:
        result = adapter_for(inbox_kind).send(_outbound(item))
    except SendError as exc:
        error, retryable, retry_after = exc.reason, exc.retryable, exc.retry_after
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
    return _record_failure(item, attempt, error=error, retryable=retryable, retry_after=retry_after)


def _postpone(outbox_item_id: int, *, seconds: float) -> str | None:
    """Over the inbox's rate limit: the item waits for the next window, no attempt spent."""
    from layan import jobs

    now = timezone.now()
    with transaction.atomic():
        moved = OutboxItem.objects.filter(pk=outbox_item_id, status=OutboxStatus.QUEUED).update(
            next_attempt_at=now + timedelta(seconds=seconds), updated_at=now)
        if moved:
            transaction.on_commit(lambda: jobs.deliver_outbox_item.schedule((outbox_item_id,), delay=seconds))
    return OutboxStatus.QUEUED if moved else None


def _record_failure(item: OutboxItem, attempt: DeliveryAttempt, *, error: str, retryable: bool,
                    retry_after: float | None = None) -> str:
    from layan import jobs
    from layan.conversations.services import record_delivery_status

    now = timezone.now()
    give_up = not retryable or item.attempts >= item.max_attempts
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            outcome=AttemptOutcome.FAILED if give_up else AttemptOutcome.RETRY, finished_at=now, error=error[:2000])
        if give_up:
            OutboxItem.objects.filter(pk=item.pk).update(status=OutboxStatus.FAILED, lease_expires_at=None,
                                                         last_error=error[:2000], updated_at=now)
            record_delivery_status(message_id=item.message_id, status=DeliveryStatus.FAILED, error=error)
            return OutboxStatus.FAILED
        delay = max(backoff_seconds(item.attempts), retry_after or 0)
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


def retry_delivery_now(*, actor: Actor, message: Message) -> OutboxItem:
    """An agent's "Retry now": a reply waiting for its next attempt is tried at once; a failed one
    (refused, out of attempts, or reported failed by the provider) is queued again with a fresh
    allowance of attempts. Audited. The one way a failed message's status goes back to queued."""
    from layan import jobs
    from layan.conversations.services import requeue_failed_message

    now = timezone.now()
    with transaction.atomic():
        item = OutboxItem.objects.select_for_update().filter(message_id=message.pk).first()
        if item is None:
            raise Conflict(_("Only replies sent through a channel can be retried."), field="message")
        if item.status == OutboxStatus.SENDING:
            raise Conflict(_("This reply is being sent right now."), field="message")
        # Read now, not from the caller's copy: a provider's callback may have failed it since.
        delivery_status = Message.objects.filter(pk=message.pk).values_list("delivery_status", flat=True).get()
        failed = item.status == OutboxStatus.FAILED or delivery_status == DeliveryStatus.FAILED
        if item.status == OutboxStatus.SENT and not failed:
            raise Conflict(_("This reply has already been sent."), field="message")
        before = {"status": item.status, "attempts": item.attempts, "delivery_status": delivery_status}
        fields = ["status", "next_attempt_at", "updated_at"]
        if failed:
            item.max_attempts = item.attempts + MAX_ATTEMPTS
            fields.append("max_attempts")
            if item.status == OutboxStatus.SENT:  # accepted, then reported undeliverable: a new send
                item.provider_message_id = ""
                fields.append("provider_message_id")
            requeue_failed_message(message_id=message.pk, forget_provider_id=item.status == OutboxStatus.SENT)
        item.status, item.next_attempt_at, item.updated_at = OutboxStatus.QUEUED, now, now
        item.save(update_fields=fields)
        record_audit(actor=actor, action="message.delivery_retried", object_type="message", object_id=message.pk,
                     before=before, after={"status": OutboxStatus.QUEUED, "max_attempts": item.max_attempts})
        transaction.on_commit(lambda: jobs.deliver_outbox_item(item.pk))
    return item
