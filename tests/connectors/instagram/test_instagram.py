"""Instagram messaging: Meta's webhook shapes (tests/connectors/instagram/payloads/, written from the
Instagram messaging webhook reference) replayed through the real URL, story replies and mentions,
deleted messages, and replies sent to the fake Graph Send API (connectors/meta/fake_provider.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from at_once import at_once
from layan.connectors.ingress import process_inbound_event
from layan.connectors.instagram.fake_provider import FakeInstagramApi
from layan.connectors.instagram.parsing import parse_webhook
from layan.connectors.meta.fake_provider import meta_error
from layan.connectors.meta.webhooks import sign
from layan.connectors.models import InboundEvent, Inbox
from layan.connectors.services import configure_inbox, create_inbox
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.customers.models import Customer, Identity
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item

PAYLOADS = Path(__file__).parent / "payloads"
APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN = "rahasia-aplikasi-ig", "token-verifikasi-ig", "IGAA-akun-toko-maju"
ACCOUNT_ID, IGSID = "17841405822304914", "1134567890123456"
FIRST_MID = ("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI3NjAxNzAzNjE0"
             "NjQ1NjY5MDozMTk1MjM3NzQ3NjE0OTk3NjA2MTk4MTU5MDI3MTM3NjgzMgZDZD")
STORY_URL = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18034567890123456&signature=AbCdEf"
MENTION_URL = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18045678901234567&signature=GhIjKl"


def payload(name: str, **replace) -> bytes:
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


@pytest.fixture
def graph():
    with FakeInstagramApi(access_token=ACCESS_TOKEN, account_id=ACCOUNT_ID) as fake:
        yield fake


@pytest.fixture
def inbox(world, graph, monkeypatch) -> Inbox:
    monkeypatch.setenv("LAYAN_TEST_IG_SECRET", APP_SECRET)
    monkeypatch.setenv("LAYAN_TEST_IG_VERIFY", VERIFY_TOKEN)
    monkeypatch.setenv("LAYAN_TEST_IG_TOKEN", ACCESS_TOKEN)
    inbox = create_inbox(actor=world.actor, kind="instagram", name="Instagram @tokomaju")
    configure_inbox(actor=world.actor, inbox=inbox, values={
        "instagram_account_id": ACCOUNT_ID, "app_secret_env": "LAYAN_TEST_IG_SECRET",
        "verify_token_env": "LAYAN_TEST_IG_VERIFY", "page_access_token_env": "LAYAN_TEST_IG_TOKEN",
        "graph_url": graph.url, "api_version": "v21.0"})
    return inbox


def post(inbox, body: bytes, signature: str | None = None):
    return Client().post(f"/hooks/instagram/{inbox.public_id}/", data=body, content_type="application/json",
                         headers={"X-Hub-Signature-256": sign(body, APP_SECRET) if signature is None else signature})


def deliver(inbox, body: bytes):
    """The webhook as Meta calls it, then the processing the queue does (in English: Layan's labels)."""
    response = post(inbox, body)
    assert response.status_code == 200, response.content
    with translation.override("en"):
        process_inbound_event(event_id=response.json()["event_id"])
    return response


def reply(world, conversation, text="Masih ada kak, ukuran 39 tinggal 2.") -> Message:
    message, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, text=text)
    return message


def send(message: Message) -> str | None:
    return deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=message).pk)


def test_the_subscription_handshake_answers_the_challenge_only_with_the_verify_token(inbox):
    url = f"/hooks/instagram/{inbox.public_id}/"
    ok = Client().get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "2024"})
    assert (ok.status_code, ok.content) == (200, b"2024")
    assert Client().get(url, {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}).status_code == 403


def test_a_direct_message_becomes_a_conversation_of_one_customer_by_their_instagram_scoped_id(inbox):
    deliver(inbox, payload("text_message"))

    message = Message.objects.get(direction="in")
    assert message.text == "Kak, sepatu yang di postingan kemarin masih ada ukuran 39?"
    assert message.provider_message_id == FIRST_MID
    assert message.conversation.channel == "instagram"
    assert list(Identity.objects.filter(customer=message.author_customer).values_list("kind", "value")) == [
        ("instagram", IGSID)]


def test_a_story_reply_shows_the_text_with_the_story_link(inbox):
    deliver(inbox, payload("story_reply"))

    message = Message.objects.get()
    assert message.text == f"[replied to your story] {STORY_URL}\nDiskonnya berlaku sampai kapan kak?"
    assert message.metadata["instagram"]["story"] == {"id": "18034567890123456", "url": STORY_URL}


def test_a_story_mention_shows_the_link_and_keeps_no_copy_of_the_story(inbox, graph):
    deliver(inbox, payload("story_mention"))

    message = Message.objects.get()
    assert message.text == f"[mentioned you in their story] {MENTION_URL}"
    assert not message.attachments.exists()
    assert graph.requests == []  # Meta's rule for mentions: the link only, never the media


def test_a_photo_is_fetched_from_the_cdn_into_the_message(inbox, graph):
    graph.cdn_url("sol-lepas.jpg", b"\xff\xd8\xff\xe0sol", "image/jpeg")

    deliver(inbox, payload("image", CDN_BASE=graph.url))

    message = Message.objects.get()
    assert message.text == "Ini foto sepatunya, solnya lepas"
    assert [(a.filename, a.file.read()) for a in message.attachments.all()] == [("sol-lepas.jpg", b"\xff\xd8\xff\xe0sol")]


def test_a_deleted_message_is_noted_in_its_conversation_and_the_original_kept(inbox):
    deliver(inbox, payload("text_message"))

    deliver(inbox, payload("deleted"))

    original, note = Message.objects.order_by("id")
    assert original.text == "Kak, sepatu yang di postingan kemarin masih ada ukuran 39?"
    assert (note.text, note.provider_message_id) == ("[deleted a message]", f"{FIRST_MID}#deleted")
    assert note.conversation_id == original.conversation_id
    assert InboundEvent.objects.count() == 2


def test_a_reaction_arrives_as_readable_text_in_the_reacted_messages_conversation(inbox):
    deliver(inbox, payload("text_message"))

    deliver(inbox, payload("reaction", REACTED_MID=FIRST_MID))

    reaction = Message.objects.order_by("id").last()
    assert reaction.text == "[reacted \u2764\ufe0f]"
    assert reaction.conversation_id == Message.objects.get(provider_message_id=FIRST_MID).conversation_id


def test_an_echo_of_our_own_message_is_ignored(inbox):
    deliver(inbox, payload("echo"))

    assert InboundEvent.objects.get().status == "ignored"
    assert not Message.objects.exists()


def test_a_delivery_for_another_instagram_account_is_ignored(inbox):
    deliver(inbox, payload("text_message").replace(ACCOUNT_ID.encode(), b"17840000000000001"))

    event = InboundEvent.objects.get()
    assert (event.status, event.reason) == ("ignored", f"1 event(s) for another account than {ACCOUNT_ID}")
    assert not Message.objects.exists()


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
    assert not Customer.objects.filter(identities__kind="instagram").exists()


def test_a_reply_goes_to_the_accounts_messages_endpoint_as_meta_documents_it(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    answer = reply(world, Conversation.objects.get())

    assert send(answer) == "sent"

    (request,) = graph.requests
    assert (request.method, request.path) == ("POST", f"/v21.0/{ACCOUNT_ID}/messages")
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.json() == {"recipient": {"id": IGSID}, "messaging_type": "RESPONSE",
                              "message": {"text": "Masih ada kak, ukuran 39 tinggal 2."}}
    answer.refresh_from_db()
    assert (answer.delivery_status, answer.provider_message_id) == (DeliveryStatus.SENT, "m_layan1")


def test_a_reply_longer_than_instagrams_limit_goes_in_parts_cut_between_words(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    words = "ukuran " * 200  # 1,400 bytes

    assert send(reply(world, Conversation.objects.get(), text=words.strip())) == "sent"

    texts = [r.json()["message"]["text"] for r in graph.requests]
    assert [len(t.encode()) for t in texts] == [1000, 398]  # 143 words fill 1,000 bytes exactly
    assert " ".join(texts) == words.strip()


def test_meta_failing_twice_with_500_then_succeeding_sends_exactly_once(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    graph.scripted = [meta_error(500, 1, "An unknown error occurred", transient=True)] * 2
    item = OutboxItem.objects.get(message=reply(world, Conversation.objects.get(), text="Halo"))
    for _attempt in range(3):
        OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)  # the backoff passed
        deliver_outbox_item(outbox_item_id=item.pk)

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("sent", 3)
    assert len(graph.requests) == 3


def test_a_wrong_access_token_fails_with_metas_words(inbox, world, graph, monkeypatch):
    deliver(inbox, payload("text_message"))
    monkeypatch.setenv("LAYAN_TEST_IG_TOKEN", "IGAA-kedaluwarsa")
    answer = reply(world, Conversation.objects.get(), text="Halo")

    assert send(answer) == "failed"
    answer.refresh_from_db()
    assert answer.delivery_error == ("Instagram refused the message: 190 Invalid OAuth access token - "
                                     "Cannot parse access token")


def test_seeing_one_reply_marks_it_and_the_earlier_ones_read(inbox, world, graph):
    deliver(inbox, payload("text_message"))
    conversation = Conversation.objects.get()
    first, second, third = (reply(world, conversation, text=t) for t in ("Satu", "Dua", "Tiga"))
    for message in (first, second, third):
        send(message)

    deliver(inbox, payload("read", READ_MID="m_layan2"))

    statuses = [m.delivery_status for m in Message.objects.filter(direction="out").order_by("id")]
    assert statuses == [DeliveryStatus.READ, DeliveryStatus.READ, DeliveryStatus.SENT]


def test_the_parser_rejects_what_is_not_an_instagram_webhook():
    with pytest.raises(ValueError, match="not a instagram"):
        parse_webhook(b'{"object": "page", "entry": []}')
