"""Incoming SMS and MMS through Twilio: the documented webhook requests (payloads/*.json) posted,
signed, to the real /hooks/sms/<public id>/ URL, then processed as the queue would."""

from __future__ import annotations

import pytest
from django.db import connection

from at_once import at_once
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.services import create_inbox
from layan.connectors.twilio.signature import twilio_signature
from layan.conversations.models import Message
from layan.customers.models import Customer, Identity
from layan.customers.services import resolve_identity

from .conftest import AUTH_TOKEN, deliver, hook_url, payload, post, process_pending

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"foto-paket" * 10


def test_an_sms_becomes_a_conversation_of_the_customer_found_by_their_e164_number(sms_inbox):
    deliver(sms_inbox, payload("inbound_sms"))

    message = Message.objects.get(direction="in")
    assert message.text == "Halo, pesanan saya no. 12345 belum sampai. Mohon dicek ya."
    assert message.provider_message_id == "SM5f2c1e0b9a8d4c7e6f5a4b3c2d1e0f9a"
    assert message.conversation.inbox_id == sms_inbox.pk
    assert message.conversation.channel == "sms"
    assert list(Identity.objects.filter(customer=message.author_customer).values_list("kind", "value")) == [
        ("phone", "+6281234567890")]
    assert message.metadata["sms"] == {"provider": "twilio", "to": "+6281100001111", "segments": 1, "media": [],
                                       "from_country": "ID"}
    assert InboundEvent.objects.get().status == InboundEventStatus.PROCESSED


def test_twilio_is_answered_with_an_empty_twiml_response(sms_inbox):
    response = post(sms_inbox, payload("inbound_sms"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def test_an_mms_keeps_its_media_urls_and_the_pictures_are_fetched_with_basic_auth(sms_inbox, twilio):
    jpeg_url, png_url = twilio.add_media(JPEG, "image/jpeg"), twilio.add_media(PNG, "image/png")

    deliver(sms_inbox, payload("inbound_mms", MEDIA_URL_0=jpeg_url, MEDIA_URL_1=png_url))

    message = Message.objects.get(direction="in")
    assert message.text == "Ini foto paketnya, kardusnya penyok."
    assert message.metadata["sms"]["media"] == [{"url": jpeg_url, "content_type": "image/jpeg"},
                                                {"url": png_url, "content_type": "image/png"}]
    attachments = list(message.attachments.order_by("id"))
    assert [(a.filename, a.content_type, a.size) for a in attachments] == [
        ("mms-1.jpg", "image/jpeg", len(JPEG)), ("mms-2.png", "image/png", len(PNG))]
    with attachments[0].file.open("rb") as handle:
        assert handle.read() == JPEG
    assert [r.headers["Authorization"].startswith("Basic ") for r in twilio.requests] == [True, True]


def test_media_outside_the_accounts_api_host_is_never_fetched_but_its_url_is_kept(sms_inbox, twilio):
    deliver(sms_inbox, payload("inbound_mms", MEDIA_URL_0="https://contoh.id/foto.jpg",
                               MEDIA_URL_1="http://169.254.169.254/latest/meta-data"))

    message = Message.objects.get(direction="in")
    assert message.attachments.count() == 0
    assert [m["url"] for m in message.metadata["sms"]["media"]] == [
        "https://contoh.id/foto.jpg", "http://169.254.169.254/latest/meta-data"]
    assert twilio.requests == []


def test_media_twilio_cannot_serve_leaves_the_message_with_its_urls(sms_inbox, twilio):
    missing = twilio.url + "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MMx/Media/MEx"

    deliver(sms_inbox, payload("inbound_mms", MEDIA_URL_0=missing, MEDIA_URL_1=missing))

    message = Message.objects.get(direction="in")
    assert message.attachments.count() == 0
    assert message.text == "Ini foto paketnya, kardusnya penyok."


def test_an_opt_out_keyword_is_received_and_marked(sms_inbox):
    deliver(sms_inbox, payload("inbound_stop"))

    message = Message.objects.get(direction="in")
    assert (message.text, message.metadata["sms"]["opt_out"]) == ("STOP", "STOP")


def test_the_same_delivery_five_times_makes_one_message(sms_inbox):
    params = payload("inbound_sms")
    for _retry in range(5):
        deliver(sms_inbox, params)

    assert InboundEvent.objects.filter(inbox=sms_inbox).count() == 1
    assert InboundEvent.objects.get().event_id == "twilio:SM5f2c1e0b9a8d4c7e6f5a4b3c2d1e0f9a"
    assert Message.objects.filter(direction="in").count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="SQLite serialises writers on one database lock; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_five_times_at_once_makes_one_message(sms_inbox):
    params = payload("inbound_sms")

    responses = at_once(lambda: post(sms_inbox, params))
    process_pending(sms_inbox)

    assert [r.status_code for r in responses] == [200] * 5
    assert InboundEvent.objects.filter(inbox=sms_inbox).count() == 1
    assert Message.objects.filter(direction="in").count() == 1


def test_a_forged_or_missing_signature_gets_403_and_writes_nothing(sms_inbox, database_rows):
    params = payload("inbound_sms")
    signed_original = twilio_signature(url=hook_url(sms_inbox), params=params.items(), auth_token=AUTH_TOKEN)
    before = database_rows()

    responses = [
        post(sms_inbox, params, signature=""),
        post(sms_inbox, params, signature="bm90IGEgc2lnbmF0dXJl"),
        post(sms_inbox, params, token="token-orang-lain"),
        post(sms_inbox, {**params, "Body": "Diubah di jalan"}, signature=signed_original),
    ]

    assert [r.status_code for r in responses] == [403] * 4
    assert responses[0].json()["error"]["code"] == "bad_signature"
    assert database_rows() == before


def test_a_signature_for_another_url_is_refused(sms_inbox, database_rows):
    params = payload("inbound_sms")
    other_url = hook_url(sms_inbox).replace("testserver", "penyerang.example")
    before = database_rows()

    response = post(sms_inbox, params,
                    signature=twilio_signature(url=other_url, params=params.items(), auth_token=AUTH_TOKEN))

    assert response.status_code == 403
    assert database_rows() == before


def test_an_sms_inbox_without_settings_is_not_found_and_nothing_is_written(world, database_rows):
    inbox = create_inbox(actor=world.actor, kind="sms", name="SMS belum tersambung")
    before = database_rows()

    response = post(inbox, payload("inbound_sms"))

    assert response.status_code == 404
    assert database_rows() == before


def test_a_sender_that_is_no_phone_number_is_kept_as_a_rejected_event(sms_inbox):
    deliver(sms_inbox, {**payload("inbound_sms"), "From": "whatsapp:+6281234567890"})

    event = InboundEvent.objects.get()
    assert event.status == InboundEventStatus.REJECTED
    assert event.reason == "not an SMS webhook: whatsapp message through Twilio, not an SMS"
    assert not Message.objects.exists()


def test_a_customer_known_by_phone_is_found_whichever_way_the_number_is_written(sms_inbox, world):
    deliver(sms_inbox, payload("inbound_sms"))
    customer = Message.objects.get(direction="in").author_customer

    for written in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890"):
        identity = resolve_identity(workspace=world.workspace, kind="phone", value=written)
        assert (identity.customer_id, identity.kind, identity.value) == (customer.pk, "phone", "+6281234567890")
    assert Customer.objects.count() == 1


def test_the_same_number_on_whatsapp_is_its_own_identity_of_the_same_customer(sms_inbox, world):
    deliver(sms_inbox, payload("inbound_sms"))

    whatsapp = resolve_identity(workspace=world.workspace, kind="whatsapp", value="+6281234567890")

    phone = Identity.objects.get(kind="phone")
    assert whatsapp.kind == "whatsapp"
    assert whatsapp.pk != phone.pk
    assert whatsapp.customer_id == phone.customer_id
