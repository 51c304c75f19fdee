"""Reads of the outbox: what operators (`layan outbox status`) and agents (a message's delivery line) see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from layan.delivery.models import DeliveryAttempt, OutboxItem, OutboxStatus


@dataclass(frozen=True)
class OutboxSummary:
    queued_due: int
    queued_waiting: int  # backing off, or waiting out a rate limit
    sending: int
    sending_lease_expired: int  # presumed abandoned; the sweeper takes them back
    sent: int
    failed: int
    oldest_due_at: datetime | None


def outbox_summary() -> OutboxSummary:
    """Across every workspace: an operator's view of the one outbox."""
    now = timezone.now()
    counts = OutboxItem.objects.aggregate(
        queued_due=Count("pk", filter=Q(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)),
        queued_waiting=Count("pk", filter=Q(status=OutboxStatus.QUEUED, next_attempt_at__gt=now)),
        sending=Count("pk", filter=Q(status=OutboxStatus.SENDING)),
        sending_lease_expired=Count("pk", filter=Q(status=OutboxStatus.SENDING, lease_expires_at__lt=now)),
        sent=Count("pk", filter=Q(status=OutboxStatus.SENT)),
        failed=Count("pk", filter=Q(status=OutboxStatus.FAILED)),
        oldest_due_at=Min("next_attempt_at", filter=Q(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)),
    )
    return OutboxSummary(**counts)


def outbox_items(*, ids: list[int]) -> list[OutboxItem]:
    """Items with their attempts (prefetched) and their message's inbox, in the order asked."""
    found = {item.pk: item for item in OutboxItem.objects.filter(pk__in=ids)
             .select_related("message__inbox").prefetch_related("attempts_log")}
    return [found[pk] for pk in ids if pk in found]


def recent_failures(*, limit: int = 20) -> list[OutboxItem]:
    return list(OutboxItem.objects.filter(status=OutboxStatus.FAILED).select_related("message__inbox")
                .order_by("-updated_at")[:limit])


def attempts_of(item: OutboxItem) -> list[DeliveryAttempt]:
    return sorted(item.attempts_log.all(), key=lambda a: a.number)
