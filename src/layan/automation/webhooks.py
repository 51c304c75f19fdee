"""Webhooks called by rules and macros: queued in the transaction of the change, POSTed after
commit by a task, signed with HMAC-SHA256, retried with backoff by the sweeper (the database is
the truth, the queue a doorbell), ending sent or failed with the reason.

Signature: ``X-Layan-Signature: sha256=<hex of HMAC(secret, "<X-Layan-Timestamp>." + body)>``;
``X-Layan-Delivery`` is the delivery's id, the same on every retry, for the receiver to dedupe."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from layan.automation.models import WebhookDelivery, WebhookStatus

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# After attempt n fails, wait BACKOFF[n-1]; after the last one the delivery is failed.
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1),
           timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(seconds=TIMEOUT_SECONDS * 3)  # a claimed delivery is not claimed again meanwhile
SWEEP_BATCH = 100


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def payload_for(conversation, source_name: str, rule=None, macro=None) -> dict:
    customer = conversation.customer
    return {
        "event": "automation.webhook",
        "rule": {"id": rule.pk, "name": rule.name} if rule else None,
        "macro": {"id": macro.pk, "name": macro.name} if macro else None,
        "source": source_name,
        "conversation": {
            "id": conversation.pk, "number": conversation.number, "subject": conversation.subject,
            "status": conversation.status, "priority": conversation.priority, "type": conversation.type,
            "channel": conversation.channel, "team_id": conversation.team_id,
            "assignee_id": conversation.assignee_id, "tags": sorted(t.name for t in conversation.tags.all()),
        },
        "customer": {"id": customer.pk, "name": customer.name, "tier": customer.tier, "language": customer.language},
        "sent_at": timezone.now(),
    }


def queue_webhook(*, conversation, url: str, secret: str, source_name: str, rule=None, macro=None) -> WebhookDelivery:
    """Record the delivery with the change; the POST happens after commit, never in the request."""
    from layan import jobs

    payload = json.loads(json.dumps(payload_for(conversation, source_name, rule, macro), cls=DjangoJSONEncoder))
    delivery = WebhookDelivery.objects.create(workspace_id=conversation.workspace_id, rule=rule, macro=macro,
                                              conversation=conversation, url=url, secret=secret, payload=payload)
    transaction.on_commit(lambda: jobs.deliver_webhook(delivery.pk))
    return delivery


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=[WebhookStatus.QUEUED, WebhookStatus.RETRYING], next_attempt_at__lte=now,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    return WebhookDelivery.objects.get(pk=delivery_id) if claimed else None


def deliver_webhook(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt, if the delivery is due and nobody else holds it."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(timezone.now().timestamp()))
    headers = {"Content-Type": "application/json", "User-Agent": "Layan-Webhook/1",
               "X-Layan-Delivery": str(delivery.pk), "X-Layan-Timestamp": timestamp}
    if delivery.secret:
        headers["X-Layan-Signature"] = sign(delivery.secret, timestamp, body)
    request = urllib.request.Request(delivery.url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) only, checked
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:2000] or type(exc).__name__
    now = timezone.now()
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookStatus.SENT, sent_at=now,
                                                              response_status=status, last_error="")
    elif delivery.attempts >= MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookStatus.FAILED, response_status=status,
                                                              last_error=error)
        logger.warning("webhook %s to %s failed for good: %s", delivery.pk, delivery.url, error)
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookStatus.RETRYING, response_status=status, last_error=error,
            next_attempt_at=now + BACKOFF[delivery.attempts - 1])
    return WebhookDelivery.objects.get(pk=delivery.pk)


def redrive_due_webhooks() -> int:
    """Sweeper: every due delivery (a retry whose time came, or one whose task was lost)."""
    due = list(WebhookDelivery.objects.filter(
        Q(status=WebhookStatus.QUEUED) | Q(status=WebhookStatus.RETRYING), next_attempt_at__lte=timezone.now(),
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    for delivery_id in due:
        deliver_webhook(delivery_id=delivery_id)
    return len(due)
