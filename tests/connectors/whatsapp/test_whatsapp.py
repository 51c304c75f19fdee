"""WhatsApp Business Cloud API: Meta's payload shapes (tests/connectors/whatsapp/payloads/, from the
Cloud API webhook documentation) replayed through the real webhook URL, and replies sent to a fake
Graph API on 127.0.0.1 that records the exact request Meta would receive."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from wa_helpers import ACCESS_TOKEN, VERIFY_TOKEN, deliver, payload, post

from at_once import at_once
from layan.connectors.fake_provider import Answer
from layan.connectors.ingress import process_inbound_event
from layan.connectors.meta.webhooks import sign
from layan.connectors.models import InboundEvent
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.customers.models import Customer, Identity
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item


def test_the_subscription_handshake_answers_the_challenge_only_with_the_verify_token(inbox):
    url = f"/hooks/whatsapp/{inbox.public_id}/"
    ok = Client().get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    wrong = Client().get(url, {"hub.mode": "subscribe", "hub.verify_token": "tebakan", "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_a_text_message_becomes_a_conversation_of_one_customer_by_their_number(inbox, world):
    deliver(inbox, payload("text_message"))

    message = Message.objects.get(direction="in")
    assert message.text == "Halo kak, paket saya belum sampai. Resi JNE 0123456789."
    assert message.provider_message_id.startswith("wamid.HBgN")
    assert message.author_customer.name == "Siti Rahayu"
    assert list(Identity.objects.filter(customer=message.author_customer).values_list("kind", "value")) == [
        ("whatsapp", "+6281234567890")]
    assert message.sent_at.isoformat() == "2025-12-01T03:00:00+00:00"


def test_media_and_locations_arrive_as_readable_text_with_the_media_id_kept(inbox, graph):
    graph.add_media("1234567890123456", b"\xff\xd8\xff\xe0 foto kardus", "image/jpeg")
    deliver(inbox, payload("image_and_location"))

    image, location = Message.objects.filter(direction="in").order_by("id")
    assert image.text == "[gambar] Barangnya rusak"
    assert image.metadata["whatsapp"] == {
        "type": "image", "media_id": "1234567890123456", "mime_type": "image/jpeg", "caption": "Barangnya rusak",
        "sha256": "IQ8s3xkDhJ5oGe0sw3c3Nb5uIRt9Jl0OTZBfaHNYt1I="}
    assert [(a.filename, a.content_type, a.size) for a in image.attachments.all()] == [
        ("whatsapp-image-1234567890123456.jpg", "image/jpeg", 16)]
    assert location.text == "[lokasi] -6.2088, 106.8456 Kantor Jl. Sudirman, Jakarta"
    assert image.conversation_id == location.conversation_id


def test_the_same_delivery_five_times_makes_one_message(inbox):
    body = payload("text_message")
    for _retry in range(5):
        deliver(inbox, body)

    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(direction="in").count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="SQLite serialises writers on one database lock; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_five_times_at_once_makes_one_message(inbox):
    body = payload("text_message")

    responses = at_once(lambda: post(inbox, body))
    for event_id in {r.json()["event_id"] for r in responses}:
        process_inbound_event(event_id=event_id)

    assert [r.status_code for r in responses] == [200] * 5
    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(direction="in").count() == 1


def test_a_forged_signature_gets_403_and_writes_nothing(inbox):
    body = payload("text_message")
    for signature in ("", "sha256=00", sign(body, "rahasia-lain")):
        assert post(inbox, body, signature=signature).status_code == 403
    assert not InboundEvent.objects.exists()
    assert not Customer.objects.filter(name="Siti Rahayu").exists()


def test_a_reply_goes_to_the_graph_api_as_meta_documents_it(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    customer_message = Message.objects.get(direction="in")
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=customer_message.conversation,
                                                 text="Baik Kak Siti, kami cek resinya ya.")

    assert deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=reply).pk) == "sent"

    (request,) = graph.requests
    assert (request.method, request.path, request.headers["Authorization"], request.headers["Content-Type"]) == (
        "POST", "/v21.0/106540352242922/messages", f"Bearer {ACCESS_TOKEN}", "application/json")
    assert request.json() == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
        "type": "text", "text": {"body": "Baik Kak Siti, kami cek resinya ya.", "preview_url": False},
        "context": {"message_id": customer_message.provider_message_id}}
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_message_id) == (DeliveryStatus.SENT, "wamid.layan1")


def test_status_callbacks_move_the_reply_forward_and_a_failure_keeps_metas_reason(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    conversation = Conversation.objects.get()
    first, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, text="Satu")
    second, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, text="Dua")
    for reply in (first, second):
        deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=reply).pk)

    deliver(inbox, payload("status_delivered", WAMID_PLACEHOLDER="wamid.layan1"))
    deliver(inbox, payload("status_failed", WAMID_PLACEHOLDER="wamid.layan2"))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.delivery_status == DeliveryStatus.DELIVERED
    assert second.delivery_status == DeliveryStatus.FAILED
    assert second.delivery_error == "131047 Re-engagement message"


def test_meta_failing_twice_with_500_then_succeeding_sends_exactly_once(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    graph.scripted = [Answer(500, {"error": {"code": 2, "message": "Service temporarily unavailable"}})] * 2
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=Conversation.objects.get(),
                                                 text="Halo")
    item = OutboxItem.objects.get(message=reply)
    for _attempt in range(3):
        OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)  # the backoff passed
        deliver_outbox_item(outbox_item_id=item.pk)

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("sent", 3)
    assert len(graph.requests) == 3
    assert deliver_outbox_item(outbox_item_id=item.pk) is None
    assert len(graph.requests) == 3


def test_a_permanent_refusal_fails_with_metas_words(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    graph.scripted = [Answer(400, {"error": {"message": "(#131030) Recipient phone number not in allowed list",
                                             "type": "OAuthException", "code": 131030}})]
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=Conversation.objects.get(),
                                                 text="Halo")
    assert deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=reply).pk) == "failed"
    reply.refresh_from_db()
    assert "131030" in reply.delivery_error
    assert "Recipient phone number not in allowed list" in reply.delivery_error


def test_a_whatsapp_customer_who_later_emails_from_a_known_address_is_one_customer(inbox, world, receive):
    deliver(inbox, payload("text_message"))
    customer = Customer.objects.get(name="Siti Rahayu")
    from layan.customers.services import add_identity

    add_identity(actor=world.actor, customer=customer, kind="email", value="siti@contoh.id")
    by_mail = receive(world.email_inbox, "Siti@Contoh.id", text="Ini Siti, lanjut lewat email.")

    assert by_mail.message.author_customer_id == customer.pk
    assert set(Conversation.objects.values_list("customer_id", flat=True)) == {customer.pk}


def test_an_inbox_without_a_phone_number_id_records_the_reply_through_the_log_adapter(world, graph):
    from layan.conversations.services import create_conversation
    from layan.customers.services import IdentityInput

    opened = create_conversation(actor=world.actor, inbox=world.whatsapp_inbox, subject="Tanya", text="Halo",
                                 customer_identities=[IdentityInput("whatsapp", "0812-3456-7890")]).conversation
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=opened, text="Halo juga")

    assert deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=reply).pk) == "sent"
    reply.refresh_from_db()
    assert reply.provider_message_id.startswith("log-")
    assert graph.requests == []


def test_the_data_migration_moves_settings_keys_into_the_config(world):
    from importlib import import_module

    from django.apps import apps

    from layan.connectors.models import Inbox
    from layan.connectors.whatsapp.models import WhatsAppConfig

    migration = import_module("layan.connectors.migrations.0006_whatsapp")
    old = Inbox.objects.create(workspace=world.workspace, kind="whatsapp", name="WA lama", settings={
        "phone_number_id": "106540352242922", "app_secret_env": "WA_SECRET", "access_token_env": "WA_TOKEN",
        "graph_url": "https://graph.facebook.com", "api_version": "v20.0", "catatan": "tetap"})

    migration.settings_to_config(apps, None)

    config = WhatsAppConfig.objects.get(inbox=old)
    assert (config.phone_number_id, config.app_secret_env, config.access_token_env, config.api_version) == (
        "106540352242922", "WA_SECRET", "WA_TOKEN", "v20.0")
    old.refresh_from_db()
    assert old.settings == {"catatan": "tetap"}
    assert not WhatsAppConfig.objects.filter(inbox=world.whatsapp_inbox).exists()  # nothing to move there
