"""Facebook Messenger: Meta's webhook shapes (tests/connectors/messenger/payloads/, written from the
Messenger Platform webhook reference) replayed through the real URL, files fetched from a fake CDN,
and replies sent to the fake Graph Send API (connectors/meta/fake_provider.py), which records the
exact request Meta would receive."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from at_once import at_once
from layan.connectors.base import InboundAttachment
from layan.connectors.ingress import process_inbound_event
from layan.connectors.messenger.fake_provider import FakeMessengerApi
from layan.connectors.messenger.parsing import parse_webhook
from layan.connectors.meta.fake_provider import meta_error, multipart_fields
from layan.connectors.meta.webhooks import sign
from layan.connectors.models import InboundEvent, Inbox
from layan.connectors.services import configure_inbox, create_inbox
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.customers.models import Customer, Identity
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item

PAYLOADS = Path(__file__).parent / "payloads"
APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN = "rahasia-aplikasi-fb", "token-verifikasi-fb", "EAAB-halaman-toko-maju"
PAGE_ID, PSID = "104729558720934", "6782451960273545"
FIRST_MID = "m_AG5Hz2Uq7qDiT1Oqa7kUr2cXyq0i3sYw1nQd8bUeGm0vLk4rFpX9jHs2Tn6Wc5Ry3Bz"


def payload(name: str, **replace) -> bytes:
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


@pytest.fixture
def graph():
    with FakeMessengerApi(access_token=ACCESS_TOKEN, account_id=PAGE_ID) as fake:
        yield fake


@pytest.fixture
def inbox(world, graph, monkeypatch) -> Inbox:
    monkeypatch.setenv("LAYAN_TEST_FB_SECRET", APP_SECRET)
    monkeypatch.setenv("LAYAN_TEST_FB_VERIFY", VERIFY_TOKEN)
    monkeypatch.setenv("LAYAN_TEST_FB_TOKEN", ACCESS_TOKEN)
    inbox = create_inbox(actor=world.actor, kind="messenger", name="Messenger Toko Maju")
    configure_inbox(actor=world.actor, inbox=inbox, values={
        "page_id": PAGE_ID, "app_secret_env": "LAYAN_TEST_FB_SECRET", "verify_token_env": "LAYAN_TEST_FB_VERIFY",
        "page_access_token_env": "LAYAN_TEST_FB_TOKEN", "graph_url": graph.url, "api_version": "v21.0"})
    return inbox


def post(inbox, body: bytes, signature: str | None = None):
    return Client().post(f"/hooks/messenger/{inbox.public_id}/", data=body, content_type="application/json",
                         headers={"X-Hub-Signature-256": sign(body, APP_SECRET) if signature is None else signature})


def deliver(inbox, body: bytes):
    """The webhook as Meta calls it, then the processing the queue does after commit (in English,
    so Layan's own labels read the same whatever the catalogues hold)."""
    response = post(inbox, body)
    assert response.status_code == 200, response.content
    with translation.override("en"):
        process_inbound_event(event_id=response.json()["event_id"])
    return response


def reply(world, conversation, text="Baik Kak, kami cek dulu ya.", **fields) -> Message:
    message, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, text=text, **fields)
    return message


def send(message: Message) -> str | None:
    return deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=message).pk)


def customer_wrote(conversation, ago: timedelta) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(last_customer_message_at=timezone.now() - ago)


def test_the_subscription_handshake_answers_the_challenge_only_with_the_verify_token(inbox):
    url = f"/hooks/messenger/{inbox.public_id}/"
    ok = Client().get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    wrong = Client().get(url, {"hub.mode": "subscribe", "hub.verify_token": "tebakan", "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_a_text_message_becomes_a_conversation_of_one_customer_by_their_page_scoped_id(inbox):
    deliver(inbox, payload("text_message"))

    message = Message.objects.get(direction="in")
    assert message.text == "Halo kak, pesanan saya #INV-2025-0412 belum dikirim ya?"
    assert message.provider_message_id == FIRST_MID
    assert message.sent_at.isoformat() == "2025-12-01T03:00:00+00:00"
    assert message.conversation.channel == "messenger"
    assert list(Identity.objects.filter(customer=message.author_customer).values_list("kind", "value")) == [
        ("messenger", PSID)]
    assert InboundEvent.objects.get().event_id == f"messenger:mid:{FIRST_MID}"


def test_attached_files_are_fetched_from_the_cdn_into_the_message(inbox, graph):
    graph.cdn_url("paket-penyok.jpg", b"\xff\xd8\xff\xe0JPEG paket", "image/jpeg")
    graph.cdn_url("bukti-transfer.pdf", b"%PDF-1.7 bukti", "application/pdf")

    deliver(inbox, payload("attachments", CDN_BASE=graph.url))

    message = Message.objects.get(direction="in")
    assert message.text == "[image]\n[file]"
    files = [(a.filename, a.content_type, a.file.read()) for a in message.attachments.order_by("id")]
    assert files == [("paket-penyok.jpg", "image/jpeg", b"\xff\xd8\xff\xe0JPEG paket"),
                     ("bukti-transfer.pdf", "application/pdf", b"%PDF-1.7 bukti")]
    assert "download_failed" not in message.metadata["messenger"]


def test_a_file_that_cannot_be_fetched_keeps_the_message_with_its_address(inbox, graph):
    graph.cdn_url("paket-penyok.jpg", b"\xff\xd8\xff\xe0JPEG paket", "image/jpeg")  # the PDF has expired

    deliver(inbox, payload("attachments", CDN_BASE=graph.url))

    message = Message.objects.get(direction="in")
    assert [a.filename for a in message.attachments.all()] == ["paket-penyok.jpg"]
    assert message.metadata["messenger"]["download_failed"] == [
        {"type": "file", "url": f"{graph.url}/cdn/bukti-transfer.pdf", "error": "HTTP 404"}]


def test_a_quick_reply_reads_as_its_title_and_keeps_its_payload(inbox):
    deliver(inbox, payload("quick_reply"))

    message = Message.objects.get(direction="in")
    assert message.text == "Lacak pesanan"
    assert message.metadata["messenger"]["quick_reply"] == "LACAK_PESANAN"


def test_a_reply_to_an_earlier_message_joins_that_messages_conversation(inbox):
    Inbox.objects.filter(pk=inbox.pk).update(threading_policy="always_new")
    deliver(inbox, payload("text_message"))
    deliver(inbox, payload("quick_reply"))  # no thread hint: a new conversation under this policy

    deliver(inbox, payload("reply_to", REPLY_TO_MID=FIRST_MID))

    first = Message.objects.get(provider_message_id=FIRST_MID)
    answer = Message.objects.get(text="Yang ini kak, warnanya bisa ganti biru?")
    assert answer.conversation_id == first.conversation_id
    assert answer.metadata["messenger"]["reply_to"] == FIRST_MID
    assert Conversation.objects.count() == 2


def test_an_echo_of_our_own_message_is_ignored(inbox):
    deliver(inbox, payload("echo"))

    event = InboundEvent.objects.get()
    assert (event.status, event.reason) == ("ignored", "echo of our own message")
    assert not Message.objects.exists()


def test_a_reaction_and_a_tapped_button_arrive_as_readable_text(inbox):
    deliver(inbox, payload("text_message"))

    deliver(inbox, payload("reaction", REACTED_MID=FIRST_MID))
    deliver(inbox, payload("postback"))

    reaction, button = Message.objects.filter(direction="in").exclude(provider_message_id=FIRST_MID).order_by("id")
    assert reaction.text == "[reacted \u2764]"
    assert reaction.metadata["messenger"]["reaction"] == {"mid": FIRST_MID, "action": "react", "emoji": "\u2764",
                                                          "reaction": "love"}
    assert button.text == "[tapped] Hubungi CS"
    assert button.metadata["messenger"]["postback"] == "HUBUNGI_CS"
    assert {reaction.conversation_id, button.conversation_id} == {Conversation.objects.get().pk}


def test_a_batch_keeps_every_message_for_this_page_and_leaves_out_another_pages(inbox):
    deliver(inbox, payload("batch"))

    assert list(Message.objects.order_by("id").values_list("text", flat=True)) == ["Kak?", "Masih ada orang?"]
    assert InboundEvent.objects.get().event_id.startswith("messenger:sha256:")


def test_the_same_delivery_five_times_makes_one_message(inbox):
    body = payload("text_message")
    for _retry in range(5):
        deliver(inbox, body)

    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(direction="in").count() == 1


def test_the_same_message_in_a_retry_with_other_bytes_makes_one_message(inbox):
    body = payload("text_message")
    deliver(inbox, body)
    deliver(inbox, json.dumps(json.loads(body)).encode())  # Meta's retry, serialised differently

    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


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


def test_a_forged_or_missing_signature_gets_403_and_writes_nothing(inbox):
    body = payload("text_message")
    for signature in ("", "sha256=00", sign(body, "rahasia-lain")):
        assert post(inbox, body, signature=signature).status_code == 403
    assert not InboundEvent.objects.exists()
    assert not Customer.objects.filter(identities__kind="messenger").exists()


def test_an_inbox_without_settings_accepts_no_delivery(world):
    bare = create_inbox(actor=world.actor, kind="messenger", name="Messenger baru")
    body = payload("text_message")

    assert post(bare, body, signature=sign(body, "")).status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_reply_goes_to_the_send_api_as_meta_documents_it(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    answer = reply(world, Conversation.objects.get())

    assert send(answer) == "sent"

    (request,) = graph.requests
    assert (request.method, request.path) == ("POST", "/v21.0/me/messages")
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.json() == {"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
                              "message": {"text": "Baik Kak, kami cek dulu ya."}}
    answer.refresh_from_db()
    assert (answer.delivery_status, answer.provider_message_id) == (DeliveryStatus.SENT, "m_layan1")


def test_a_reply_after_a_day_goes_with_the_human_agent_tag(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    conversation = Conversation.objects.get()
    customer_wrote(conversation, timedelta(days=3))

    assert send(reply(world, conversation)) == "sent"

    assert graph.requests[0].json() == {"recipient": {"id": PSID}, "messaging_type": "MESSAGE_TAG",
                                        "tag": "HUMAN_AGENT", "message": {"text": "Baik Kak, kami cek dulu ya."}}


def test_a_reply_still_waiting_when_seven_days_have_passed_fails_without_reaching_meta(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    conversation = Conversation.objects.get()
    answer = reply(world, conversation)
    customer_wrote(conversation, timedelta(days=7, minutes=1))

    assert send(answer) == "failed"

    answer.refresh_from_db()
    assert answer.delivery_error == "More than 7 days since the customer's last message: Meta allows no reply."
    assert graph.requests == []


def test_a_file_in_a_reply_is_uploaded_as_multipart_filedata(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    answer = reply(world, Conversation.objects.get(), text="Ini resinya kak.", attachments=[
        InboundAttachment(filename="resi-JNE.png", content_type="image/png", content=b"\x89PNG resi")])

    assert send(answer) == "sent"

    text, upload = graph.requests
    assert text.json()["message"] == {"text": "Ini resinya kak."}
    assert upload.path == "/v21.0/me/messages"
    fields = multipart_fields(upload)
    assert json.loads(fields["recipient"][2]) == {"id": PSID}
    assert fields["messaging_type"][2] == b"RESPONSE"
    assert json.loads(fields["message"][2]) == {"attachment": {"type": "image", "payload": {"is_reusable": False}}}
    assert fields["filedata"] == ("resi-JNE.png", "image/png", b"\x89PNG resi")


def test_meta_failing_twice_with_500_then_succeeding_sends_exactly_once(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    graph.scripted = [meta_error(500, 2, "An unexpected error has occurred. Please retry your request later.",
                                 transient=True)] * 2
    item = OutboxItem.objects.get(message=reply(world, Conversation.objects.get(), text="Halo"))
    for _attempt in range(3):
        OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)  # the backoff passed
        deliver_outbox_item(outbox_item_id=item.pk)

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("sent", 3)
    assert len(graph.requests) == 3
    assert deliver_outbox_item(outbox_item_id=item.pk) is None
    assert len(graph.requests) == 3


def test_a_temporary_send_failure_answered_with_400_is_tried_again(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    graph.scripted = [meta_error(400, 1200, "Temporary send message failure. Please try again later",
                                 kind="OAuthException")]

    assert send(reply(world, Conversation.objects.get(), text="Halo")) == "queued"


def test_a_permanent_refusal_fails_with_metas_words(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    graph.scripted = [meta_error(400, 10, "(#10) This message is sent outside of allowed window.",
                                 subcode=2018278)]
    answer = reply(world, Conversation.objects.get(), text="Halo")

    assert send(answer) == "failed"
    answer.refresh_from_db()
    assert answer.delivery_error == ("Messenger refused the message: 10/2018278 (#10) This message is sent "
                                     "outside of allowed window.")


def test_delivery_and_read_receipts_move_our_replies_forward(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    conversation = Conversation.objects.get()
    first, second = reply(world, conversation, text="Satu"), reply(world, conversation, text="Dua")
    send(first)
    send(second)

    deliver(inbox, payload("delivery", DELIVERED_MID="m_layan1"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.delivery_status, second.delivery_status) == (DeliveryStatus.DELIVERED, DeliveryStatus.SENT)

    watermark = int((second.created_at + timedelta(seconds=1)).timestamp() * 1000)
    deliver(inbox, payload("read", WATERMARK=str(watermark)))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.delivery_status, second.delivery_status) == (DeliveryStatus.READ, DeliveryStatus.READ)


def test_a_read_watermark_leaves_later_replies_alone(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    answer = reply(world, Conversation.objects.get())
    send(answer)

    deliver(inbox, payload("read", WATERMARK=str(int((answer.created_at - timedelta(minutes=1)).timestamp() * 1000))))

    answer.refresh_from_db()
    assert answer.delivery_status == DeliveryStatus.SENT


def test_the_parser_rejects_what_is_not_a_messenger_webhook():
    with pytest.raises(ValueError, match="not a messenger"):
        parse_webhook(b'{"object": "instagram", "entry": []}')
    assert parse_webhook(payload("echo")).echoes == 1
