"""The pure reading of Twilio's webhook bodies: documented shapes to messages and statuses, and any
bytes at all to a result or a ValueError, never another exception."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.connectors.sms.providers.base import SmsMedia, SmsStatusUpdate
from layan.connectors.sms.providers.twilio import error_text, parse_twilio_request

from .conftest import payload

TWILIO_FIELDS = ["MessageSid", "SmsSid", "From", "To", "Body", "NumMedia", "NumSegments", "MessageStatus",
                 "SmsStatus", "ErrorCode", "MediaUrl0", "MediaContentType0", "OptOutType", "FromCountry"]


def body(params: dict[str, str]) -> bytes:
    return urlencode(params).encode()


def test_an_incoming_sms_is_one_message_from_an_e164_phone():
    parsed = parse_twilio_request(body(payload("inbound_sms")))

    (message,) = parsed.messages
    assert (message.sender_kind, message.sender_value) == ("phone", "+6281234567890")
    assert message.provider_message_id == "SM5f2c1e0b9a8d4c7e6f5a4b3c2d1e0f9a"
    assert message.text == "Halo, pesanan saya no. 12345 belum sampai. Mohon dicek ya."
    assert message.to == ()  # the inbox's own number is no participant; it is in the metadata
    assert parsed.media == ((),)
    assert parsed.statuses == ()


def test_an_mms_lists_its_media_in_order():
    parsed = parse_twilio_request(body(payload("inbound_mms", MEDIA_URL_0="https://api.twilio.com/m/0",
                                               MEDIA_URL_1="https://api.twilio.com/m/1")))

    assert parsed.media == ((SmsMedia("https://api.twilio.com/m/0", "image/jpeg"),
                             SmsMedia("https://api.twilio.com/m/1", "image/png")),)


def test_a_status_callback_is_a_status_update_with_the_error_code_and_its_meaning():
    from django.utils import translation

    with translation.override("en"):
        parsed = parse_twilio_request(body(payload("status_undelivered", SID_PLACEHOLDER="SMabc")))

    assert parsed.messages == ()
    assert parsed.statuses == (SmsStatusUpdate(
        provider_message_id="SMabc", status="failed", error_code="30003",
        error="30003 Unreachable handset: the phone is off, out of coverage or cannot take SMS."),)


@pytest.mark.parametrize(("twilio_status", "layan_status"), [
    ("queued", "queued"), ("sending", "queued"), ("sent", "sent"), ("delivered", "delivered"), ("read", "read"),
    ("undelivered", "failed"), ("failed", "failed"), ("canceled", "failed")])
def test_twilios_statuses_map_to_layans_delivery_statuses(twilio_status, layan_status):
    parsed = parse_twilio_request(body({"MessageSid": "SMabc", "MessageStatus": twilio_status}))

    assert [s.status for s in parsed.statuses] == [layan_status]


def test_statuses_that_say_nothing_about_a_reply_make_nothing():
    assert parse_twilio_request(body({"MessageSid": "SMabc", "MessageStatus": "accepted"})).statuses == ()


def test_an_unknown_error_code_points_to_twilios_list():
    from django.utils import translation

    with translation.override("en"):
        assert error_text("63016") == "63016 (see Twilio's error list)"
        assert error_text("", "failed") == "Twilio reported the message as failed."


def test_what_is_not_a_twilio_messaging_request_is_a_value_error():
    with pytest.raises(ValueError, match="no MessageSid"):
        parse_twilio_request(b"CallSid=CA123&CallStatus=ringing")
    with pytest.raises(ValueError, match="no From"):
        parse_twilio_request(b"MessageSid=SM1&Body=halo")
    with pytest.raises(ValueError, match="not a phone number"):
        parse_twilio_request(b"MessageSid=SM1&From=TOKOMAJU&Body=halo")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_parse_or_raise_value_error(raw):
    with contextlib.suppress(ValueError):
        parse_twilio_request(raw)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(TWILIO_FIELDS), st.text(max_size=40), max_size=len(TWILIO_FIELDS)))
def test_any_mix_of_twilios_fields_parses_or_raises_value_error(params):
    try:
        parsed = parse_twilio_request(body(params))
    except ValueError:
        return
    assert len(parsed.messages) == len(parsed.media)
    for message in parsed.messages:
        assert message.sender_value.startswith("+")
