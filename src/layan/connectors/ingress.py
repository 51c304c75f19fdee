"""Inbound events: store what a channel delivered before anything reads it, then process it.

Every receiver (IMAP poller, SMTP listener, webhook view) calls a ``store_*`` function, which
commits the raw payload as an ``InboundEvent`` and only then rings the queue; processing turns the
row into a message or records why it did not. The sweeper re-drives rows whose job was lost.
See docs/flows/inbound.md.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from layan.connectors.models import InboundEvent, InboundEventStatus, Inbox

logger = logging.getLogger(__name__)

MAX_PROCESS_ATTEMPTS = 5
REDRIVE_AFTER = timedelta(minutes=2)
REDRIVE_BATCH = 200

# Inbox kind -> "module:function" that processes one stored event of that kind.
PROCESSORS = {
    "email": "layan.connectors.email.inbound:process_email_event",
    "livechat": "layan.connectors.livechat.inbound:process_livechat_event",
    "sms": "layan.connectors.sms.inbound:process_sms_event",
    "whatsapp": "layan.connectors.whatsapp.inbound:process_whatsapp_event",
    "voice": "layan.connectors.voice.inbound:process_voice_event",
    "messenger": "layan.connectors.messenger.inbound:process_messenger_event",
    "instagram": "layan.connectors.instagram.inbound:process_instagram_event",
    "telegram": "layan.connectors.telegram.inbound:process_telegram_event",
    "webform": "layan.connectors.webform.inbound:process_webform_event",
    "api": "layan.connectors.api_channel.inbound:process_api_event",
}


@dataclass(frozen=True)
class Outcome:
    """What processing decided: PROCESSED, or IGNORED/REJECTED with the reason."""

    status: str
    reason: str = ""
    sender: str = ""


def store_raw_email(*, inbox: Inbox, raw: bytes, source: str, event_id: str | None = None
                    ) -> tuple[InboundEvent, bool]:
    """Commit one raw email for ``inbox``; returns (event, created). With an ``event_id`` a second
    delivery of the same mail (a poll repeated after a crash) returns the stored row instead."""
    return store_inbound_event(inbox=inbox, payload=raw, source=source, event_id=event_id)


def store_inbound_event(*, inbox: Inbox, payload: bytes, source: str, event_id: str | None = None
                        ) -> tuple[InboundEvent, bool]:
    if event_id:
        existing = InboundEvent.objects.filter(inbox=inbox, event_id=event_id).first()
        if existing is not None:
            return existing, False
    event = InboundEvent(workspace_id=inbox.workspace_id, inbox=inbox, source=source, event_id=event_id or None,
                         size=len(payload), sha256=hashlib.sha256(payload).hexdigest())
    event.payload.save("payload", ContentFile(payload), save=False)
    try:
        with transaction.atomic():
            event.save()
            transaction.on_commit(lambda: _enqueue(event.pk))
    except IntegrityError:
        event.payload.delete(save=False)
        existing = InboundEvent.objects.filter(inbox=inbox, event_id=event_id).first() if event_id else None
        if existing is None:
            raise
        return existing, False
    return event, True


def _enqueue(event_pk: int) -> None:
    from layan import jobs

    jobs.process_inbound_event(event_pk)


def read_payload(event: InboundEvent) -> bytes:
    with event.payload.open("rb") as handle:
        return handle.read()


def _processor(kind: str) -> Callable[[InboundEvent, bytes], Outcome]:
    module, _sep, name = PROCESSORS[kind].partition(":")
    return getattr(import_module(module), name)


def process_inbound_event(*, event_id: int) -> str | None:
    """Turn one stored event into a message (or record why not). Safe to run twice or concurrently:
    the row is locked and only a pending row is processed. Returns the row's new status."""
    try:
        with transaction.atomic():
            event = InboundEvent.objects.select_for_update().select_related("inbox__workspace").filter(
                pk=event_id, status=InboundEventStatus.PENDING).first()
            if event is None:
                return None
            outcome = _processor(event.inbox.kind)(event, read_payload(event))
            InboundEvent.objects.filter(pk=event.pk).update(
                status=outcome.status, reason=outcome.reason[:2000], sender=outcome.sender[:320],
                attempts=event.attempts + 1, processed_at=timezone.now())
            return outcome.status
    except Exception as exc:  # a bug or an outage must leave the row for a retry, not lose it
        logger.exception("inbound event %s failed to process", event_id)
        return _record_failure(event_id, f"{type(exc).__name__}: {exc}")


def _record_failure(event_id: int, error: str) -> str:
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=event_id)
        attempts = event.attempts + 1
        status = InboundEventStatus.FAILED if attempts >= MAX_PROCESS_ATTEMPTS else InboundEventStatus.PENDING
        InboundEvent.objects.filter(pk=event_id).update(attempts=attempts, status=status, reason=error[:2000],
                                                        processed_at=timezone.now())
    return status


def retry_inbound_event(*, event: InboundEvent) -> None:
    """An operator's retry of a failed event, after fixing what made it fail."""
    with transaction.atomic():
        updated = InboundEvent.objects.filter(pk=event.pk, status=InboundEventStatus.FAILED).update(
            status=InboundEventStatus.PENDING, attempts=0, reason="")
        if updated:
            transaction.on_commit(lambda: _enqueue(event.pk))


REPLAYABLE = (InboundEventStatus.FAILED, InboundEventStatus.REJECTED, InboundEventStatus.IGNORED)


def replay_inbound_event(*, event_id: int) -> InboundEvent:
    """An operator's replay of an event that did not become a message (after a fix, or to see the
    reason again): processed now, in this process. A processed event is left alone: its messages
    exist, and replaying could only find them again."""
    updated = InboundEvent.objects.filter(pk=event_id, status__in=REPLAYABLE).update(
        status=InboundEventStatus.PENDING, attempts=0, reason="")
    if updated:
        process_inbound_event(event_id=event_id)
    return InboundEvent.objects.get(pk=event_id)


def redrive_pending_inbound_events() -> int:
    """The sweeper: enqueue pending events whose job was lost (the queue is only a doorbell)."""
    from layan import jobs

    cutoff = timezone.now() - REDRIVE_AFTER
    due = list(InboundEvent.objects.filter(status=InboundEventStatus.PENDING, received_at__lt=cutoff)
               .order_by("received_at").values_list("pk", flat=True)[:REDRIVE_BATCH])
    for pk in due:
        jobs.process_inbound_event(pk)
    return len(due)
