"""The webhook action: POSTed once after commit with a valid HMAC signature, retried with backoff
on a 500 by the sweeper, failed for good after the last attempt, never inside the request."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from layan.automation.models import WebhookDelivery
from layan.automation.webhooks import BACKOFF, MAX_ATTEMPTS, deliver_webhook, redrive_due_webhooks
from layan.conversations.models import Conversation

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "rahasia-toko-maju"


def _expected_signature(request) -> str:
    timestamp = request["headers"]["X-Layan-Timestamp"]
    digest = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def test_webhook_is_sent_once_with_a_valid_signature(world, receive, make_rule, webhook_receiver):
    rule = make_rule("conversation_created", [{"type": "webhook", "url": webhook_receiver.url, "secret": SECRET}],
                     name="Ke CRM")

    conversation = Conversation.objects.get(pk=receive(world.email_inbox, "siti@contoh.id").message.conversation_id)
    redrive_due_webhooks()  # a sweep afterwards sends nothing again

    assert len(webhook_receiver.requests) == 1
    request = webhook_receiver.requests[0]
    assert request["headers"]["X-Layan-Signature"] == _expected_signature(request)
    delivery = WebhookDelivery.objects.get()
    assert request["headers"]["X-Layan-Delivery"] == str(delivery.pk)
    body = webhook_receiver.json(0)
    assert (body["event"], body["rule"], body["conversation"]["id"], body["conversation"]["number"]) == (
        "automation.webhook", {"id": rule.pk, "name": "Ke CRM"}, conversation.pk, conversation.number)
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.last_error) == ("sent", 1, 200, "")


def test_webhook_is_retried_with_backoff_after_a_500_and_then_sent(world, receive, make_rule, webhook_receiver):
    webhook_receiver.statuses = [500]
    make_rule("conversation_created", [{"type": "webhook", "url": webhook_receiver.url, "secret": SECRET}])
    start = timezone.now()

    receive(world.email_inbox, "siti@contoh.id")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.last_error) == (
        "retrying", 1, 500, "HTTP 500")
    assert start + BACKOFF[0] <= delivery.next_attempt_at <= timezone.now() + BACKOFF[0]
    assert redrive_due_webhooks() == 0  # not due yet
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert redrive_due_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 2, 200)
    assert len(webhook_receiver.requests) == 2
    first, second = webhook_receiver.requests
    assert first["headers"]["X-Layan-Delivery"] == second["headers"]["X-Layan-Delivery"]
    assert second["headers"]["X-Layan-Signature"] == _expected_signature(second)


def test_webhook_fails_for_good_after_the_last_attempt_with_the_reason(world, webhook_receiver):
    webhook_receiver.statuses = [503] * MAX_ATTEMPTS
    conversation_payload = {"conversation": {"id": 0}}
    delivery = WebhookDelivery.objects.create(workspace=world.workspace, url=webhook_receiver.url, secret=SECRET,
                                              payload=conversation_payload)
    moment = timezone.now()
    for _attempt in range(MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            deliver_webhook(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        moment = delivery.next_attempt_at + timedelta(seconds=1)

    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", MAX_ATTEMPTS, "HTTP 503")
    assert len(webhook_receiver.requests) == MAX_ATTEMPTS
    with time_machine.travel(moment + timedelta(days=1)):
        assert redrive_due_webhooks() == 0


def test_unreachable_webhook_records_the_error_and_retries(world):
    delivery = WebhookDelivery.objects.create(workspace=world.workspace, url="http://127.0.0.1:9/nothing-here",
                                              payload={})

    deliver_webhook(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("retrying", 1, None)
    assert "refused" in delivery.last_error.lower()
