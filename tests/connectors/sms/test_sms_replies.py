"""Replies to SMS customers go to a fake Twilio Messages API on 127.0.0.1 that records the exact
request Twilio would receive; Twilio's status callbacks then move each reply's delivery status."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.services import configure_inbox
from layan.connectors.sms.fake_provider import twilio_error
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item

from .conftest import ACCOUNT_SID, AUTH_TOKEN, INBOX_NUMBER, deliver, payload, post, process_pending


@pytest.fixture(autouse=True)
def _english():
    """Reasons are asserted word for word in English (the catalogues translate them)."""
    from django.utils import translation

    with translation.override("en"):
        yield


BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


@pytest.fixture
def customer_wrote(sms_inbox):
    deliver(sms_inbox, payload("inbound_sms"))
    return Conversation.objects.get()


def reply(world, conversation, text="Baik Kak, pesanan 12345 kami cek dulu ya."):
    message, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, text=text)
    return message, OutboxItem.objects.get(message=message)


def send_due(item) -> str | None:
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)  # the backoff passed
    return deliver_outbox_item(outbox_item_id=item.pk)


def test_a_reply_goes_to_the_messages_api_as_twilio_documents_it(world, sms_inbox, customer_wrote, twilio, settings):
    settings.LAYAN_BASE_URL = "https://layan.tokomaju.id"
    message, item = reply(world, customer_wrote)

    assert deliver_outbox_item(outbox_item_id=item.pk) == "sent"

    (request,) = twilio.requests
    assert (request.method, request.path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "To": ["+6281234567890"], "Body": ["Baik Kak, pesanan 12345 kami cek dulu ya."],
        "StatusCallback": [f"https://layan.tokomaju.id/hooks/sms/{sms_inbox.public_id}/"],
        "From": [INBOX_NUMBER]}
    (sid,) = twilio.messages
    message.refresh_from_db()
    assert (message.delivery_status, message.provider_message_id) == (DeliveryStatus.SENT, sid)
    assert sid.startswith("SM")
    assert len(sid) == 34


def test_a_reply_through_a_messaging_service_names_the_service_and_no_number(world, sms_inbox, customer_wrote,
                                                                            twilio):
    configure_inbox(actor=world.actor, inbox=sms_inbox,
                    values={"from_number": "", "messaging_service_sid": "MG0123456789abcdef0123456789abcdef"})
    _message, item = reply(world, customer_wrote, text="Halo")

    assert deliver_outbox_item(outbox_item_id=item.pk) == "sent"

    form = twilio.requests[0].form()
    assert form["MessagingServiceSid"] == ["MG0123456789abcdef0123456789abcdef"]
    assert "From" not in form


def test_twilio_failing_twice_with_500_then_succeeding_sends_exactly_once(world, customer_wrote, twilio):
    twilio.scripted = [twilio_error(500, 20500, "Internal Server Error")] * 2
    message, item = reply(world, customer_wrote)

    assert [send_due(item) for _attempt in range(3)] == ["queued", "queued", "sent"]

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("sent", 3)
    assert len(twilio.requests) == 3
    assert len(twilio.messages) == 1
    assert send_due(item) is None
    assert len(twilio.requests) == 3
    message.refresh_from_db()
    assert message.provider_message_id == next(iter(twilio.messages))


def test_429_and_an_unreachable_twilio_are_tried_again(world, customer_wrote, twilio, sms_inbox):
    twilio.scripted = [twilio_error(429, 20429, "Too Many Requests")]
    _message, item = reply(world, customer_wrote)
    assert send_due(item) == "queued"
    assert "20429 Too Many Requests" in OutboxItem.objects.get(pk=item.pk).last_error

    configure_inbox(actor=world.actor, inbox=sms_inbox, values={"api_base_url": "http://127.0.0.1:9"})
    assert send_due(item) == "queued"
    assert "Twilio could not be reached" in OutboxItem.objects.get(pk=item.pk).last_error


def test_a_permanent_refusal_fails_with_twilios_own_words(world, customer_wrote, twilio):
    twilio.scripted = [twilio_error(400, 21211, "The 'To' number +6281234567890 is not a valid phone number.")]
    message, item = reply(world, customer_wrote)

    assert deliver_outbox_item(outbox_item_id=item.pk) == "failed"

    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.delivery_error == ("Twilio refused the SMS: 21211 The 'To' number +6281234567890 is not a "
                                      "valid phone number.")


def test_a_wrong_auth_token_fails_without_retrying(world, customer_wrote, twilio, monkeypatch):
    monkeypatch.setenv("LAYAN_TEST_TWILIO_TOKEN", "token-salah")
    message, item = reply(world, customer_wrote)

    assert deliver_outbox_item(outbox_item_id=item.pk) == "failed"
    message.refresh_from_db()
    assert message.delivery_error == "Twilio refused the SMS: 20003 Authenticate"


def test_status_callbacks_move_the_reply_forward_only(world, sms_inbox, customer_wrote, twilio):
    message, item = reply(world, customer_wrote)
    deliver_outbox_item(outbox_item_id=item.pk)
    (sid,) = twilio.messages

    deliver(sms_inbox, payload("status_delivered", SID_PLACEHOLDER=sid))
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED

    deliver(sms_inbox, payload("status_sent", SID_PLACEHOLDER=sid))  # late, out of order
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert list(InboundEvent.objects.filter(event_id__startswith=f"twilio:{sid}").order_by("id")
                .values_list("event_id", "status")) == [
        (f"twilio:{sid}:delivered", "processed"), (f"twilio:{sid}:sent", "processed")]


@pytest.mark.parametrize(("name", "error"), [
    ("status_undelivered", "30003 Unreachable handset: the phone is off, out of coverage or cannot take SMS."),
    ("status_failed_opt_out", "21610 The customer opted out (replied STOP); they get no SMS until they reply START."),
])
def test_an_undelivered_reply_keeps_twilios_error_code_and_what_it_means(world, sms_inbox, customer_wrote, twilio,
                                                                        name, error):
    message, item = reply(world, customer_wrote)
    deliver_outbox_item(outbox_item_id=item.pk)
    (sid,) = twilio.messages

    deliver(sms_inbox, payload(name, SID_PLACEHOLDER=sid))

    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error) == (DeliveryStatus.FAILED, error)


def test_the_same_status_callback_twice_is_stored_once(world, sms_inbox, customer_wrote, twilio):
    _message, item = reply(world, customer_wrote)
    deliver_outbox_item(outbox_item_id=item.pk)
    (sid,) = twilio.messages
    callback = payload("status_delivered", SID_PLACEHOLDER=sid)

    deliver(sms_inbox, callback)
    deliver(sms_inbox, callback)

    assert InboundEvent.objects.filter(event_id=f"twilio:{sid}:delivered").count() == 1


def test_a_callback_that_outruns_the_send_is_tried_again_until_the_reply_knows_its_sid(world, sms_inbox,
                                                                                        customer_wrote):
    early = payload("status_delivered", SID_PLACEHOLDER="SMbelumtercatat00000000000000000")
    assert post(sms_inbox, early).status_code == 200

    assert process_pending(sms_inbox) == [InboundEventStatus.PENDING]
    event = InboundEvent.objects.get(event_id__endswith=":delivered")
    assert (event.status, event.attempts) == (InboundEventStatus.PENDING, 1)

    message, _item = reply(world, customer_wrote)
    Message.objects.filter(pk=message.pk).update(provider_message_id="SMbelumtercatat00000000000000000",
                                                 delivery_status=DeliveryStatus.SENT)
    assert process_pending(sms_inbox) == [InboundEventStatus.PROCESSED]
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED


def test_a_status_of_a_message_layan_never_sent_is_ignored_in_the_end(sms_inbox, customer_wrote):
    post(sms_inbox, payload("status_delivered", SID_PLACEHOLDER="SMtidakdikenal000000000000000000"))

    outcomes = [process_pending(sms_inbox)[0] for _attempt in range(5)]

    assert outcomes == ["pending", "pending", "pending", "pending", "ignored"]


def test_a_reply_with_an_attachment_fails_with_the_reason_and_sends_nothing(world, customer_wrote, twilio):
    from layan.connectors.base import InboundAttachment

    message, _dup = services.reply_to_conversation(
        actor=world.actor, conversation=customer_wrote, text="Ini fakturnya",
        attachments=[InboundAttachment(filename="faktur.pdf", content_type="application/pdf", content=b"%PDF-1.4")])

    assert deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=message).pk) == "failed"
    message.refresh_from_db()
    assert message.delivery_error == "An SMS reply cannot carry attachments; send the text alone."
    assert twilio.requests == []


@pytest.mark.django_db(transaction=True)
def test_the_fake_posts_signed_status_callbacks_to_the_live_webhook(world, sms_inbox, twilio, live_server, settings):
    settings.LAYAN_BASE_URL = live_server.url
    deliver(sms_inbox, payload("inbound_sms"))
    message, item = reply(world, Conversation.objects.get())
    deliver_outbox_item(outbox_item_id=item.pk)
    (sid,) = twilio.messages

    assert twilio.post_status_callback(sid, "delivered") == 200  # processed after commit, in the server

    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED


def test_the_fake_refuses_a_send_without_a_body_as_twilio_does(twilio):
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - the fake on 127.0.0.1
        f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", method="POST",
        data=urlencode({"To": "+6281234567890", "From": INBOX_NUMBER}).encode(), headers={"Authorization": BASIC})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert refused.value.code == 400
    assert json.loads(refused.value.read()) == {"code": 21602, "message": "Message body is required.",
                                                "more_info": "https://www.twilio.com/docs/errors/21602", "status": 400}
