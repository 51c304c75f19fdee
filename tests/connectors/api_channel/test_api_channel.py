"""The API channel: a company's system posts its customers' messages (tests/connectors/api_channel/
payloads/, the shape docs/channels/api.md documents) signed with X-Layan-Signature through the real
URL, and replies reach a fake company receiver on 127.0.0.1 that checks the signature and records
the exact request."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from at_once import at_once
from layan.connectors.api_channel.fake_provider import FakeCompanyReceiver
from layan.connectors.api_channel.parsing import ApiPayloadError, parse_api_message
from layan.connectors.api_channel.signature import signature_header, signature_is_valid
from layan.connectors.ingress import process_inbound_event
from layan.connectors.models import InboundEvent, Inbox
from layan.connectors.services import configure_inbox, create_inbox, default_api_inbox
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.customers.models import Customer, Identity
from layan.customers.services import IdentityInput
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item
from smtp_sink import free_port

PAYLOADS = Path(__file__).parent / "payloads"
SECRET = "rahasia-bersama-aplikasi"
SECRET_ENV = "LAYAN_TEST_API_CHANNEL_SECRET"


def payload(name: str) -> bytes:
    return (PAYLOADS / f"{name}.json").read_bytes()


@pytest.fixture
def receiver():
    with FakeCompanyReceiver(secret=SECRET) as fake:
        yield fake


@pytest.fixture
def inbox(world, receiver, monkeypatch) -> Inbox:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    api_inbox = create_inbox(actor=world.actor, kind="api", name="Aplikasi Toko Maju")
    configure_inbox(actor=world.actor, inbox=api_inbox, values={
        "signing_secret_env": SECRET_ENV, "reply_webhook_url": receiver.reply_url, "timeout": 5})
    return api_inbox


def post(inbox: Inbox, body: bytes, signature: str | None = None):
    return Client().post(f"/hooks/api/{inbox.public_id}/", data=body, content_type="application/json",
                         headers={"X-Layan-Signature": signature_header(body=body, secret=SECRET)
                                  if signature is None else signature})


def deliver(inbox: Inbox, body: bytes) -> Message:
    """The company's POST, then the processing the queue does after commit."""
    response = post(inbox, body)
    assert response.status_code == 200, response.content
    process_inbound_event(event_id=response.json()["event_id"])
    return Message.objects.get(inbox=inbox, provider_message_id=json.loads(body)["message_id"])


def reply(world, message: Message, text: str, **kwargs) -> Message:
    answer, _dup = services.reply_to_conversation(actor=world.actor, conversation=message.conversation, text=text,
                                                  **kwargs)
    return answer


# --- intake --------------------------------------------------------------------------------

def test_a_message_becomes_a_conversation_of_the_customer_by_their_id_email_and_phone(inbox):
    response = post(inbox, payload("message_text"))

    assert response.status_code == 200
    assert response.json()["status"] == "stored"
    process_inbound_event(event_id=response.json()["event_id"])
    message = Message.objects.get(direction="in")
    assert message.text == "Halo, saldo poin saya tidak bertambah setelah belanja kemarin. Nomor pesanan TM-55120."
    assert message.provider_message_id == "app-msg-000981"
    assert message.sent_at.isoformat() == "2025-12-02T02:15:00+00:00"
    assert message.metadata == {"api": {"thread_id": "tiket-7781"}}
    assert (message.conversation.subject, message.conversation.channel) == ("Poin tidak bertambah", "api")
    assert message.author_customer.name == "Dewi Lestari"
    assert sorted(Identity.objects.filter(customer=message.author_customer).values_list("kind", "value")) == [
        ("email", "dewi.lestari@contoh.id"), ("external", "pelanggan-4412"), ("phone", "+6281398765432")]
    assert InboundEvent.objects.get().event_id == "app-msg-000981"


def test_a_customer_who_emailed_before_is_the_same_customer(inbox, world, receive):
    by_mail = receive(world.email_inbox, "dewi.lestari@contoh.id", text="Halo dari email")

    message = deliver(inbox, payload("message_text"))

    assert message.author_customer_id == by_mail.message.author_customer_id
    assert Customer.objects.count() == 1
    assert Identity.objects.filter(kind="external", value="pelanggan-4412",
                                   customer_id=by_mail.message.author_customer_id).exists()


def test_a_message_of_a_known_thread_continues_its_conversation(inbox, world):
    first = deliver(inbox, payload("message_text"))
    # Solved an hour ago: the thread id brings the next message back to it (within the reopen window).
    Conversation.objects.filter(pk=first.conversation_id).update(status="solved",
                                                                solved_at=timezone.now() - timedelta(hours=1))

    second = deliver(inbox, payload("message_in_thread"))

    assert second.conversation_id == first.conversation_id
    assert second.sent_at.isoformat() == "2025-12-02T02:20:00+00:00"
    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().status == "open"


def test_inline_files_are_attached_and_linked_files_are_listed_not_fetched(inbox):
    message = deliver(inbox, payload("message_with_attachments"))

    (attachment,) = message.attachments.all()
    assert (attachment.filename, attachment.content_type) == ("struk.txt", "text/plain")
    with attachment.file.open("rb") as handle:
        assert handle.read() == b"Struk TM-55121 Rp 245.000"
    assert message.text == ("Ini struk belanja dan foto barangnya.\n\n"
                            "[lampiran] foto-barang.jpg: https://files.tokomaju.co.id/u/5120/foto-barang.jpg")
    assert "<b>struk</b>" in message.html
    assert message.metadata["api"]["attachment_links"] == [{
        "filename": "foto-barang.jpg", "content_type": "image/jpeg",
        "url": "https://files.tokomaju.co.id/u/5120/foto-barang.jpg"}]


def test_the_same_delivery_five_times_makes_one_message(inbox):
    body = payload("message_text")
    answers = []
    for _retry in range(5):
        response = post(inbox, body)
        answers.append(response.json()["status"])
        process_inbound_event(event_id=response.json()["event_id"])

    assert answers == ["stored"] + ["duplicate"] * 4
    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(direction="in").count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="SQLite serialises writers on one database lock; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_five_times_at_once_makes_one_message(inbox):
    body = payload("message_text")

    responses = at_once(lambda: post(inbox, body))
    for event_id in {r.json()["event_id"] for r in responses}:
        process_inbound_event(event_id=event_id)

    assert [r.status_code for r in responses] == [200] * 5
    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(direction="in").count() == 1


def test_a_forged_stale_or_missing_signature_gets_403_and_writes_nothing(inbox):
    body = payload("message_text")
    stale = signature_header(body=body, secret=SECRET, timestamp=int(time.time()) - 310)
    future = signature_header(body=body, secret=SECRET, timestamp=int(time.time()) + 310)
    other_body = signature_header(body=body + b" ", secret=SECRET)
    for signature in ("", "t=1,v1=00", signature_header(body=body, secret="tebakan"), stale, future, other_body,
                      signature_header(body=body, secret=SECRET).split(",")[1]):
        response = post(inbox, body, signature=signature)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "bad_signature"
    assert not InboundEvent.objects.exists()
    assert not Customer.objects.filter(name="Dewi Lestari").exists()


def test_an_inbox_without_its_secret_accepts_nothing(inbox, monkeypatch):
    monkeypatch.delenv(SECRET_ENV)

    assert post(inbox, payload("message_text")).status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_malformed_message_gets_400_naming_the_field_and_writes_nothing(inbox):
    cases = {
        b"[1, 2]": "body",
        b'{"sender": {"id": "x"}, "text": "Halo"}': "message_id",
        b'{"message_id": "m1", "sender": {"id": "x", "email": "bukan-email"}, "text": "Halo"}': "sender.email",
        b'{"message_id": "m1", "sender": {"id": "x"}, "text": ""}': "text",
        b'{"message_id": "m1", "sender": {"id": "x"}, "text": "a", "sent_at": "2025-12-02T09:15:00"}': "sent_at",
        b'{"message_id": "m1", "sender": {"id": "x"}, "attachments": [{"filename": "a", "content_base64": "@@"}]}':
            "attachments[0].content_base64",
    }
    for body, field in cases.items():
        response = post(inbox, body)
        assert response.status_code == 400, body
        assert response.json()["error"]["field"] == field
    assert not InboundEvent.objects.exists()


# --- replies -------------------------------------------------------------------------------

def test_a_reply_reaches_the_companys_receiver_signed_with_an_idempotency_key(inbox, world, receiver):
    customer_message = deliver(inbox, payload("message_text"))
    answer = reply(world, customer_message, "Baik Kak Dewi, poinnya kami cek ya.", html="<p>Baik Kak Dewi</p>")

    assert deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=answer).pk) == "sent"

    (request,) = receiver.requests
    assert (request.method, request.path) == ("POST", "/layan/replies")
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Idempotency-Key"] == str(answer.pk)
    assert signature_is_valid(body=request.body, header=request.headers["X-Layan-Signature"], secret=SECRET)
    conversation = customer_message.conversation
    assert request.json() == {
        "event": "message.created", "message_id": str(answer.pk),
        "conversation": {"id": str(conversation.pk), "number": conversation.number,
                         "subject": "Poin tidak bertambah", "thread_id": "tiket-7781"},
        "recipient": {"id": "pelanggan-4412"}, "author": {"name": "Admin"},
        "text": "Baik Kak Dewi, poinnya kami cek ya.", "html": "<p>Baik Kak Dewi</p>", "attachments": [],
        "in_reply_to": "app-msg-000981", "automatic": False}
    assert receiver.deliveries == [request]
    answer.refresh_from_db()
    assert (answer.delivery_status, answer.provider_message_id) == (DeliveryStatus.SENT, f"layan-{answer.pk}")


def test_the_receiver_failing_twice_with_500_then_taking_it_delivers_exactly_once(inbox, world, receiver):
    from layan.connectors.fake_provider import Answer

    customer_message = deliver(inbox, payload("message_text"))
    receiver.scripted = [Answer(500, {"error": "database sedang sibuk"}), Answer(503, "Service Unavailable",
                                                                                content_type="text/plain")]
    answer = reply(world, customer_message, "Halo Kak")
    item = OutboxItem.objects.get(message=answer)
    for _attempt in range(3):
        OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)  # the backoff passed
        deliver_outbox_item(outbox_item_id=item.pk)

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("sent", 3)
    assert len(receiver.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in receiver.requests} == {str(answer.pk)}
    assert len(receiver.deliveries) == 1
    assert deliver_outbox_item(outbox_item_id=item.pk) is None
    assert len(receiver.requests) == 3


def test_a_429_is_tried_again_and_a_4xx_fails_with_the_receivers_words(inbox, world, receiver):
    from layan.connectors.fake_provider import Answer

    customer_message = deliver(inbox, payload("message_text"))
    receiver.scripted = [Answer(429, "pelan-pelan"), Answer(422, "recipient pelanggan-4412 diblokir",
                                                            content_type="text/plain")]
    answer = reply(world, customer_message, "Halo")
    item = OutboxItem.objects.get(message=answer)

    assert deliver_outbox_item(outbox_item_id=item.pk) == "queued"
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)
    assert deliver_outbox_item(outbox_item_id=item.pk) == "failed"

    answer.refresh_from_db()
    assert answer.delivery_status == DeliveryStatus.FAILED
    assert answer.delivery_error == gettext("The company's system refused the reply (HTTP %(status)s): %(reason)s") % {
        "status": 422, "reason": "recipient pelanggan-4412 diblokir"}


def test_an_unreachable_receiver_is_tried_again(inbox, world):
    customer_message = deliver(inbox, payload("message_text"))
    configure_inbox(actor=world.actor, inbox=inbox, values={
        "reply_webhook_url": f"http://127.0.0.1:{free_port()}/layan/replies"})
    answer = reply(world, customer_message, "Halo")

    assert deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=answer).pk) == "queued"
    unreachable = gettext("The company's system could not be reached: %(error)s") % {"error": ""}
    assert OutboxItem.objects.get(message=answer).last_error.startswith(unreachable)


def test_conversations_opened_through_the_rest_api_still_reply_through_the_default_api_inbox(world):
    created = services.create_conversation(
        actor=world.actor, customer_identities=[IdentityInput("external", "crm-1")], subject="Dari CRM",
        text="Halo, ini dari tim kami.", author="agent")

    assert created.conversation.inbox == default_api_inbox(workspace=world.workspace)
    assert deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=created.message).pk) == "sent"
    created.message.refresh_from_db()
    assert created.message.provider_message_id.startswith("log-")  # no reply URL: recorded, as before


# --- signature and parser ------------------------------------------------------------------

def test_a_signature_is_checked_against_every_v1_so_a_secret_can_be_rotated():
    body = b'{"message_id": "m"}'
    now = 1764642000
    old = signature_header(body=body, secret="lama", timestamp=now)
    new = signature_header(body=body, secret="baru", timestamp=now)
    both = f"{new},{old.split(',')[1]}"

    assert signature_is_valid(body=body, header=both, secret="lama", now=now)
    assert signature_is_valid(body=body, header=both, secret="baru", now=now + 300)
    assert not signature_is_valid(body=body, header=both, secret="baru", now=now + 301)
    assert not signature_is_valid(body=body, header=both, secret="", now=now)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_the_parser_answers_a_message_or_value_error_for_any_bytes(raw):
    try:
        parsed = parse_api_message(raw)
    except ValueError as exc:
        assert isinstance(exc, ApiPayloadError)  # noqa: PT017 - the error type is the property tested
        return
    assert parsed.message.provider_message_id


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                max_size=5), max_leaves=20),
       st.sampled_from(["message_id", "sender", "text", "attachments", "sent_at", "thread_id"]))
def test_the_parser_answers_a_message_or_value_error_for_any_json_shape(value, key):
    base = json.loads(payload("message_with_attachments"))
    base[key] = value
    with contextlib.suppress(ValueError):  # any other exception fails the test
        parse_api_message(json.dumps(base).encode())
