"""Replies to Telegram customers through the outbox, as the fake Bot API receives them: the exact
sendMessage / sendPhoto / sendDocument request, Telegram's errors and the retries."""

from __future__ import annotations

import json

import pytest

from layan.connectors.base import InboundAttachment
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item

from .conftest import BOT_TOKEN, CHAT_ID, deliver, payload

REPLY_TO_101 = {"message_id": 101, "allow_sending_without_reply": True}


def reply(world, text: str = "Baik Kak Siti, kami cek resinya ya.", **fields) -> Message:
    message, _dup = services.reply_to_conversation(actor=world.actor, conversation=Conversation.objects.get(),
                                                   text=text, **fields)
    return message


def send(message: Message) -> str | None:
    return deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=message).pk)


def test_a_reply_is_a_sendmessage_answering_the_customers_last_message(inbox, world, bot_api):
    deliver(inbox, payload("text_message"))
    answer = reply(world)

    assert send(answer) == "sent"

    [request] = bot_api.requests
    assert (request.method, request.path) == ("POST", f"/bot{BOT_TOKEN}/sendMessage")
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"chat_id": CHAT_ID, "text": "Baik Kak Siti, kami cek resinya ya.",
                              "reply_parameters": REPLY_TO_101}
    answer.refresh_from_db()
    assert (answer.delivery_status, answer.provider_message_id) == (DeliveryStatus.SENT,
                                                                    f"{inbox.public_id}:{CHAT_ID}:5001")


def test_a_reply_after_an_edit_answers_the_edited_message_itself(inbox, world, bot_api):
    deliver(inbox, payload("text_message"))
    deliver(inbox, payload("edited_message"))

    send(reply(world, "Siap, resi 0123456788 kami cek."))

    assert bot_api.requests[0].json()["reply_parameters"] == REPLY_TO_101


def test_the_customers_reply_to_our_message_threads_to_its_conversation(inbox, world, bot_api):
    deliver(inbox, payload("text_message"))
    send(reply(world))  # Telegram numbers it 5001, the message the customer's reply quotes

    deliver(inbox, payload("reply_to_message"))

    answer = Message.objects.get(provider_message_id=f"{inbox.public_id}:{CHAT_ID}:109")
    assert answer.conversation_id == Conversation.objects.get().pk
    assert answer.text == "Terima kasih kak, ditunggu kabarnya"
    assert answer.metadata["telegram"]["reply_to_message_id"] == 5001


def test_an_image_goes_by_sendphoto_as_multipart_with_the_text_as_its_caption(inbox, world, bot_api):
    deliver(inbox, payload("text_message"))
    picture = b"\x89PNG\r\n\x1a\n" + b"resi" * 50
    answer = reply(world, "Ini bukti pengirimannya, Kak.",
                   attachments=[InboundAttachment(filename="bukti-kirim.png", content_type="image/png",
                                                  content=picture)])

    assert send(answer) == "sent"

    [request] = bot_api.requests
    assert request.path == f"/bot{BOT_TOKEN}/sendPhoto"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    [(fields, files)] = bot_api.calls("sendPhoto")
    assert fields == {"chat_id": str(CHAT_ID), "caption": "Ini bukti pengirimannya, Kak.",
                      "reply_parameters": json.dumps(REPLY_TO_101)}
    assert (files["photo"].filename, files["photo"].content_type, files["photo"].content) == (
        "bukti-kirim.png", "image/png", picture)


def test_other_files_go_by_senddocument_and_a_long_text_first_by_sendmessage(inbox, world, bot_api):
    deliver(inbox, payload("text_message"))
    long_text = "Rincian pengembalian dana: " + "transfer ke rekening BCA. " * 60
    answer = reply(world, long_text, attachments=[
        InboundAttachment(filename="nota-retur.pdf", content_type="application/pdf", content=b"%PDF-1.7 retur")])

    assert send(answer) == "sent"

    assert [r.path.rsplit("/", 1)[1] for r in bot_api.requests] == ["sendMessage", "sendDocument"]
    assert bot_api.requests[0].json() == {"chat_id": CHAT_ID, "text": long_text.strip(),
                                          "reply_parameters": REPLY_TO_101}
    [(fields, files)] = bot_api.calls("sendDocument")
    assert fields == {"chat_id": str(CHAT_ID)}  # the text went already, as the answer
    assert (files["document"].filename, files["document"].content) == ("nota-retur.pdf", b"%PDF-1.7 retur")
    answer.refresh_from_db()
    assert answer.provider_message_id == f"{inbox.public_id}:{CHAT_ID}:5001"


def test_telegram_failing_twice_with_500_then_succeeding_sends_exactly_once(inbox, world, bot_api):
    deliver(inbox, payload("text_message"))
    bot_api.scripted = [bot_api.error(500, "Internal Server Error")] * 2
    item = OutboxItem.objects.get(message=reply(world, "Halo"))

    outcomes = []
    for _attempt in range(3):
        OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)  # the backoff passed
        outcomes.append(deliver_outbox_item(outbox_item_id=item.pk))

    item.refresh_from_db()
    assert outcomes == ["queued", "queued", "sent"]
    assert (item.status, item.attempts) == ("sent", 3)
    assert len(bot_api.requests) == 3
    assert deliver_outbox_item(outbox_item_id=item.pk) is None
    assert len(bot_api.requests) == 3


def test_flood_control_429_is_tried_again_with_telegrams_wait_in_the_reason(inbox, world, bot_api):
    deliver(inbox, payload("text_message"))
    bot_api.scripted = [bot_api.error(429, "Too Many Requests: retry after 7", retry_after=7)]
    item = OutboxItem.objects.get(message=reply(world, "Halo"))

    assert deliver_outbox_item(outbox_item_id=item.pk) == "queued"

    item.refresh_from_db()
    assert item.last_error == "Telegram refused the message: 429 Too Many Requests: retry after 7"


@pytest.mark.parametrize(("status", "description"), [
    (403, "Forbidden: bot was blocked by the user"),
    (400, "Bad Request: chat not found"),
])
def test_a_permanent_refusal_fails_with_telegrams_description(inbox, world, bot_api, status, description):
    deliver(inbox, payload("text_message"))
    bot_api.scripted = [bot_api.error(status, description)]
    answer = reply(world, "Halo")

    assert send(answer) == "failed"

    answer.refresh_from_db()
    assert answer.delivery_status == DeliveryStatus.FAILED
    assert answer.delivery_error == f"Telegram refused the message: {status} {description}"


def test_a_bot_api_that_does_not_answer_is_tried_again(inbox, world, bot_api):
    deliver(inbox, payload("text_message"))
    bot_api.stop()
    answer = reply(world, "Halo")

    assert send(answer) == "queued"
    assert OutboxItem.objects.get(message=answer).last_error.startswith("Telegram could not be reached:")


def test_a_reply_without_the_bot_token_fails_and_says_which_setting(inbox, world, bot_api, monkeypatch):
    deliver(inbox, payload("text_message"))
    monkeypatch.delenv("LAYAN_TEST_TG_TOKEN")
    answer = reply(world, "Halo")

    assert send(answer) == "failed"
    answer.refresh_from_db()
    assert answer.delivery_error == "The Telegram inbox needs a bot token (bot_token_env)."
    assert bot_api.requests == []
