"""Telegram updates in the Bot API's documented shapes (payloads/) posted through the real webhook
URL and processed: messages, media fetched from the fake Bot API, edits, ignored updates, retries
and forged deliveries."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from at_once import at_once
from layan.connectors.ingress import process_inbound_event
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.conversations.models import Message
from layan.customers.models import Customer, Identity

from .conftest import BOT_TOKEN, CHAT_ID, SECRET_TOKEN, deliver, payload, post

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"foto-kardus-penyok" * 40 + b"\xff\xd9"


def test_a_text_message_becomes_a_conversation_of_the_chat_with_the_senders_name(inbox):
    deliver(inbox, payload("text_message"))

    message = Message.objects.get(direction="in")
    assert message.text == "Halo kak, paket saya belum sampai. Resi JNE 0123456789."
    assert message.provider_message_id == f"{inbox.public_id}:{CHAT_ID}:101"
    assert message.author_customer.name == "Siti Rahayu"
    assert list(Identity.objects.filter(customer=message.author_customer).values_list("kind", "value")) == [
        ("telegram", str(CHAT_ID))]
    assert message.sent_at.isoformat() == "2025-12-01T03:00:00+00:00"
    assert message.metadata["telegram"] == {"type": "text", "chat_id": CHAT_ID, "message_id": 101,
                                            "username": "siti_rahayu"}
    assert message.conversation.channel == "telegram"


def test_a_photo_is_fetched_in_its_largest_size_and_stored_with_its_caption(inbox, bot_api):
    bot_api.add_file("AgACAgUAAxkBAAIBZmcFOTO-besar", JPEG, "photos/file_7.jpg")

    deliver(inbox, payload("photo_with_caption"))

    message = Message.objects.get(direction="in")
    assert message.text == "[gambar] Barangnya rusak, kardusnya penyok"
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("foto.jpg", "image/jpeg", len(JPEG))
    with attachment.file.open("rb") as handle:
        assert handle.read() == JPEG
    assert [(r.method, r.path) for r in bot_api.requests] == [
        ("POST", f"/bot{BOT_TOKEN}/getFile"), ("GET", f"/file/bot{BOT_TOKEN}/photos/file_7.jpg")]
    assert bot_api.requests[0].json() == {"file_id": "AgACAgUAAxkBAAIBZmcFOTO-besar"}
    assert message.metadata["telegram"]["file_id"] == "AgACAgUAAxkBAAIBZmcFOTO-besar"


def test_a_document_keeps_its_file_name_and_type(inbox, bot_api):
    bot_api.add_file("BQACAgUAAxkBAAIBZ2faktur", b"%PDF-1.7 faktur", "documents/file_3.pdf")

    deliver(inbox, payload("document"))

    message = Message.objects.get(direction="in")
    assert message.text == "[dokumen] faktur-INV-2025-0042.pdf Ini fakturnya kak"
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("faktur-INV-2025-0042.pdf", "application/pdf")


def test_a_file_telegram_cannot_hand_over_keeps_the_message_and_its_file_id(inbox, bot_api):
    # Given no file behind the id: getFile answers Telegram's "invalid file_id".
    deliver(inbox, payload("document"))

    message = Message.objects.get(direction="in")
    assert message.text == "[dokumen] faktur-INV-2025-0042.pdf Ini fakturnya kak"
    assert not message.attachments.exists()
    assert message.metadata["telegram"]["file_id"] == "BQACAgUAAxkBAAIBZ2faktur"
    assert message.metadata["telegram"]["download_error"] == "400 Bad Request: invalid file_id"
    assert InboundEvent.objects.get().status == InboundEventStatus.PROCESSED


@pytest.mark.parametrize(("name", "text"), [
    ("voice", "[pesan suara] 0:07"),
    ("sticker", "[stiker] 🙏"),
    ("location", "[lokasi] -6.2088, 106.8456"),
    ("contact", "[kontak] Budi Santoso +6281298765432"),
])
def test_other_kinds_of_message_arrive_as_readable_text(inbox, name, text):
    deliver(inbox, payload(name))

    assert Message.objects.get(direction="in").text == text


def test_a_voice_note_is_stored_as_an_ogg_attachment(inbox, bot_api):
    bot_api.add_file("AwACAgUAAxkBAAIBaGsuara", b"OggS-suara", "voice/file_9.oga")

    deliver(inbox, payload("voice"))

    attachment = Message.objects.get(direction="in").attachments.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("pesan-suara.ogg", "audio/ogg", 10)


def test_an_edit_is_a_new_message_marked_edited_and_the_original_text_stays(inbox):
    deliver(inbox, payload("text_message"))
    deliver(inbox, payload("edited_message"))

    original, edited = Message.objects.filter(direction="in").order_by("id")
    assert original.text == "Halo kak, paket saya belum sampai. Resi JNE 0123456789."
    assert edited.text == "[diedit] Halo kak, paket saya belum sampai. Resi JNE 0123456788 (maaf, tadi salah ketik)."
    assert edited.provider_message_id == f"{original.provider_message_id}:edit:734562009"
    assert edited.metadata["telegram"]["edited"] is True
    assert edited.metadata["telegram"]["original_provider_message_id"] == original.provider_message_id
    assert edited.metadata["telegram"]["edit_date"] == 1764558090
    assert edited.conversation_id == original.conversation_id


@pytest.mark.parametrize(("name", "reason"), [
    ("channel_post", "Telegram update of type channel_post is not a customer's message"),
    ("callback_query", "Telegram update of type callback_query is not a customer's message"),
    ("group_message", "a message in a supergroup chat: Layan answers private chats only"),
])
def test_updates_that_are_not_a_customers_private_message_are_ignored_with_the_reason(inbox, name, reason):
    deliver(inbox, payload(name))

    event = InboundEvent.objects.get()
    assert (event.status, event.reason) == (InboundEventStatus.IGNORED, reason)
    assert not Message.objects.exists()
    assert not Customer.objects.filter(name="Siti Rahayu").exists()


def test_a_verified_body_that_is_no_update_is_kept_and_rejected(inbox):
    response = post(inbox, b'{"halo": "bukan update"}')

    assert response.status_code == 200
    process_inbound_event(event_id=response.json()["event_id"])
    event = InboundEvent.objects.get()
    assert event.status == InboundEventStatus.REJECTED
    assert event.reason == "not a Telegram update: no update_id"


def test_the_same_delivery_five_times_makes_one_message(inbox):
    body = payload("text_message")
    answers = [deliver(inbox, body).json()["status"] for _retry in range(5)]

    assert answers == ["stored", "duplicate", "duplicate", "duplicate", "duplicate"]
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


def test_a_missing_or_wrong_secret_token_gets_403_and_writes_nothing(inbox):
    body = payload("text_message")
    for secret in (None, "", "rahasia-lain", "rahasia-webhook_toko-maju-"):
        response = post(inbox, body, secret=secret)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "bad_secret_token"
    assert not InboundEvent.objects.exists()
    assert not Customer.objects.filter(name="Siti Rahayu").exists()


def test_an_inbox_whose_secret_is_not_set_accepts_nothing(inbox, monkeypatch):
    monkeypatch.delenv("LAYAN_TEST_TG_SECRET")

    for secret in ("", "rahasia-webhook_toko-maju"):
        assert post(inbox, payload("text_message"), secret=secret).status_code == 403
    assert not InboundEvent.objects.exists()


def test_an_unknown_inbox_is_404_and_writes_nothing(inbox):
    missing = Client().post("/hooks/telegram/TidakAda00000000/", data=payload("text_message"),
                            content_type="application/json",
                            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN})

    assert missing.status_code == 404
    assert json.loads(missing.content)["error"]["code"] == "not_found"
    assert not InboundEvent.objects.exists()
