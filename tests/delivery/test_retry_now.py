""""Retry now": a reply waiting for its next attempt is tried at once; a failed one is queued again
with a fresh allowance, audited, and its status goes back to queued (the one step back from
failed). Through the service, the workspace page and the API. See docs/flows/outbox.md."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from layan.accounts.models import AuditEntry
from layan.connectors.base import SendError
from layan.conversations.models import DeliveryStatus
from layan.conversations.services import record_delivery_status
from layan.delivery.models import AttemptOutcome, DeliveryAttempt, OutboxItem, OutboxStatus
from layan.delivery.services import MAX_ATTEMPTS, deliver_outbox_item, retry_delivery_now
from layan.errors import Conflict


def _item(message) -> OutboxItem:
    return OutboxItem.objects.get(message=message)


def _fail_permanently(reply, adapter) -> None:
    adapter(SendError("Nomor tidak terdaftar di WhatsApp", retryable=False))
    assert deliver_outbox_item(outbox_item_id=_item(reply).pk) == OutboxStatus.FAILED


def test_retrying_a_failed_reply_sends_it_with_a_fresh_allowance_and_audits_it(world, reply, adapter,
                                                                              django_capture_on_commit_callbacks):
    _fail_permanently(reply, adapter)
    scripted = adapter()  # the cause is fixed

    with django_capture_on_commit_callbacks(execute=True):
        retry_delivery_now(actor=world.actor, message=reply)

    item = _item(reply)
    assert (item.status, item.attempts, item.max_attempts) == (OutboxStatus.SENT, 2, 1 + MAX_ATTEMPTS)
    assert list(DeliveryAttempt.objects.filter(item=item).order_by("number").values_list("number", "outcome")) == [
        (1, AttemptOutcome.FAILED), (2, AttemptOutcome.SENT)]
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error) == (DeliveryStatus.SENT, "")
    assert len(scripted.sent) == 1
    audit = AuditEntry.objects.get(action="message.delivery_retried")
    assert (audit.object_id, audit.actor_agent_id, audit.before["status"]) == (str(reply.pk), world.admin.pk, "failed")


def test_retrying_a_reply_that_waits_for_its_backoff_tries_it_at_once(world, reply, adapter,
                                                                     django_capture_on_commit_callbacks):
    adapter(SendError("SMTP 451: coba lagi nanti", retryable=True))
    deliver_outbox_item(outbox_item_id=_item(reply).pk)
    assert _item(reply).next_attempt_at > timezone.now() + timedelta(seconds=20)
    scripted = adapter()

    with django_capture_on_commit_callbacks(execute=True):
        retry_delivery_now(actor=world.actor, message=reply)

    item = _item(reply)
    assert (item.status, item.attempts, item.max_attempts) == (OutboxStatus.SENT, 2, MAX_ATTEMPTS)
    assert len(scripted.sent) == 1


def test_a_reply_the_provider_reported_undeliverable_is_sent_again_as_a_new_message(world, reply, adapter,
                                                                                   django_capture_on_commit_callbacks):
    scripted = adapter()
    deliver_outbox_item(outbox_item_id=_item(reply).pk)
    record_delivery_status(message_id=reply.pk, status="failed", error="131026: Message undeliverable")

    with django_capture_on_commit_callbacks(execute=True):
        retry_delivery_now(actor=world.actor, message=reply)

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_message_id) == (DeliveryStatus.SENT, f"prov-{reply.pk}-2")
    assert len(scripted.sent) == 2


def test_a_sent_reply_an_inbound_message_and_a_note_cannot_be_retried(world, reply, adapter, conversation):
    adapter()
    deliver_outbox_item(outbox_item_id=_item(reply).pk)
    inbound = conversation.messages.filter(direction="in").first()

    with pytest.raises(Conflict, match="already been sent"):
        retry_delivery_now(actor=world.actor, message=reply)
    with pytest.raises(Conflict, match="Only replies"):
        retry_delivery_now(actor=world.actor, message=inbound)
    assert not AuditEntry.objects.filter(action="message.delivery_retried").exists()


# --- the workspace page ------------------------------------------------------------------------------

def _browser(agent, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(agent.user)
    return client


def test_the_page_shows_a_failed_reply_with_its_attempts_and_a_retry_button_that_works(
        world, reply, adapter, conversation, django_capture_on_commit_callbacks):
    _fail_permanently(reply, adapter)
    client = _browser(world.agent)

    page = client.get(f"/c/{conversation.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nomor tidak terdaftar di WhatsApp" in page
    assert "Failed after 1 attempt." in page
    assert f'action="/c/{conversation.number}/messages/{reply.pk}/retry"' in page

    scripted = adapter()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/c/{conversation.number}/messages/{reply.pk}/retry")

    assert (response.status_code, response["Location"]) == (302, f"/c/{conversation.number}/#m{reply.pk}")
    assert len(scripted.sent) == 1
    page = client.get(f"/c/{conversation.number}/").content.decode()
    assert "Retry now" not in page
    assert "Coba lagi sekarang" not in page


def test_the_page_says_when_a_waiting_reply_will_be_tried_again(world, reply, adapter, conversation):
    adapter(SendError("SMTP 451: coba lagi nanti", retryable=True))
    deliver_outbox_item(outbox_item_id=_item(reply).pk)

    page = _browser(world.agent).get(f"/c/{conversation.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Attempt 1 did not go through (SMTP 451: coba lagi nanti)." in page
    assert "Next try:" in page


def test_retry_needs_the_csrf_token_and_access_to_the_conversation(world, other_world, reply, adapter, conversation):
    _fail_permanently(reply, adapter)
    url = f"/c/{conversation.number}/messages/{reply.pk}/retry"

    assert _browser(world.agent, csrf=True).post(url).status_code == 403
    assert _browser(other_world.admin).post(url).status_code == 404
    assert _item(reply).status == OutboxStatus.FAILED
    assert not AuditEntry.objects.filter(action="message.delivery_retried").exists()


# --- the API ---------------------------------------------------------------------------------------

def test_the_api_retries_a_failed_reply_and_shows_attempts_on_the_message(world, api, reply, adapter):
    _fail_permanently(reply, adapter)
    shown = api.get(f"/messages/{reply.pk}").json()
    assert (shown["delivery_status"], shown["delivery_attempts"], shown["next_attempt_at"]) == ("failed", 1, None)

    response = api.post(f"/messages/{reply.pk}/retry", None)

    assert response.status_code == 200
    body = response.json()
    assert (body["delivery_status"], body["delivery_error"], body["delivery_attempts"]) == ("queued", "", 1)
    assert _item(reply).status == OutboxStatus.QUEUED


def test_the_api_answers_409_for_a_reply_already_sent(world, api, reply, adapter):
    adapter()
    deliver_outbox_item(outbox_item_id=_item(reply).pk)

    response = api.post(f"/messages/{reply.pk}/retry", None, headers={"HTTP_ACCEPT_LANGUAGE": "en"})

    assert response.status_code == 409
    assert response.json()["error"] == {"code": "conflict", "message": "This reply has already been sent.",
                                        "field": "message"}
