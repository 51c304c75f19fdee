"""Twilio Voice status callbacks (tests/connectors/voice/payloads/, in the shapes Twilio's Voice
webhook documentation gives) replayed through the real URL: one call per CallSid moved forward
only, on the customer's timeline, and one callback task per missed call."""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.db import connection, connections
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from voice_calls import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BUSINESS_NUMBER,
    callbacks,
    deliver,
    deliver_all,
    hook_url,
    post_callback,
)

from at_once import at_once
from layan.connectors.ingress import process_inbound_event
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.voice.fake_provider import FakeTwilioVoice
from layan.connectors.voice.models import Call, VoiceConfig
from layan.connectors.voice.parsing import CallUpdate, parse_status_callback
from layan.conversations.models import Conversation, ConversationType, Message
from layan.customers.models import Customer, Identity

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def test_an_answered_inbound_call_is_one_call_on_the_callers_timeline(voice_inbox, world):
    responses = deliver_all(voice_inbox, "inbound_answered")

    assert [(r.status_code, r["Content-Type"], r.content) for r in responses] == [
        (200, "text/xml", EMPTY_TWIML)] * 3
    call = Call.objects.get()
    assert (call.direction, call.number, call.provider_status, call.outcome, call.duration_seconds) == (
        "in", "+6281234567890", "completed", "answered", 252)
    assert call.provider_call_sid == "CA5e3b8f2a1c9d4e7f6a5b4c3d2e1f0a9b"
    assert (call.started_at.isoformat(), call.answered_at.isoformat(), call.ended_at.isoformat()) == (
        "2025-12-01T03:00:00+00:00", "2025-12-01T03:00:06+00:00", "2025-12-01T03:04:18+00:00")
    message = Message.objects.get()
    assert message.text == "Inbound call · 4 min 12 s · answered"
    assert message.metadata == {"call": call.pk}
    assert (message.direction, message.author_kind, message.author_customer_id) == ("in", "customer", call.customer_id)
    assert (call.message_id, call.conversation_id) == (message.pk, message.conversation_id)
    assert message.conversation.inbox_id == voice_inbox.pk
    assert list(Identity.objects.filter(customer=call.customer).values_list("kind", "value")) == [
        ("phone", "+6281234567890")]
    assert call.callback_conversation is None
    assert not Conversation.objects.filter(type=ConversationType.TASK).exists()


def test_a_call_goes_on_the_timeline_only_when_it_ends(voice_inbox):
    ringing, in_progress, _completed = callbacks("inbound_answered")
    deliver(voice_inbox, ringing)
    deliver(voice_inbox, in_progress)

    call = Call.objects.get()
    assert (call.provider_status, call.outcome, call.message_id) == ("in-progress", "", None)
    assert not Message.objects.exists()


def test_a_late_ringing_never_moves_a_completed_call_back(voice_inbox):
    ringing, in_progress, completed = callbacks("inbound_answered")
    for params in (completed, in_progress, ringing):
        deliver(voice_inbox, params)

    call = Call.objects.get()
    assert (call.provider_status, call.outcome, call.duration_seconds) == ("completed", "answered", 252)
    assert Message.objects.count() == 1
    assert InboundEvent.objects.filter(status=InboundEventStatus.PROCESSED).count() == 3


def test_an_unanswered_call_opens_one_high_priority_callback_task_for_the_callback_team(voice_inbox, world):
    deliver_all(voice_inbox, "inbound_no_answer")

    call = Call.objects.get()
    assert (call.outcome, call.duration_seconds) == ("no_answer", 0)
    task = call.callback_conversation
    assert (task.type, task.subject, task.priority, task.team_id, task.customer_id, task.inbox_id) == (
        ConversationType.TASK, "Call back +62 812-3456-7890", "high", world.other_team.pk, call.customer_id,
        voice_inbox.pk)
    assert list(task.messages.values_list("is_note", "author_kind", "text")) == [
        (True, "system", "Inbound call · no answer from +62 812-3456-7890. "
                         "Call the customer back, then log the call here.")]
    assert Message.objects.get(conversation=call.conversation).text == "Inbound call · no answer"


def test_without_a_callback_team_the_task_goes_to_the_inboxs_default_team(voice_inbox, world):
    VoiceConfig.objects.filter(inbox=voice_inbox).update(callback_team=None)
    deliver_all(voice_inbox, "inbound_no_answer")

    assert Call.objects.get().callback_conversation.team_id == world.team.pk


@pytest.mark.parametrize(("status", "outcome"), [("busy", "busy"), ("canceled", "missed")])
def test_a_busy_or_abandoned_call_is_missed_and_opens_a_task(voice_inbox, status, outcome):
    ringing, ended = callbacks("inbound_no_answer")
    deliver(voice_inbox, ringing)
    deliver(voice_inbox, {**ended, "CallStatus": status})

    call = Call.objects.get()
    assert call.outcome == outcome
    assert Conversation.objects.filter(type=ConversationType.TASK).count() == 1


def test_a_voicemail_keeps_the_recording_link_and_opens_a_task(voice_inbox, world):
    deliver_all(voice_inbox, "inbound_voicemail")

    call = Call.objects.get()
    recording = (f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/"
                 "RE1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d.mp3")
    assert (call.outcome, call.recording_url) == ("voicemail", recording)
    message = Message.objects.get(conversation=call.conversation)
    assert message.text == "Inbound call · 41 s · voicemail"
    assert message.metadata == {"call": call.pk, "recording_url": recording}
    assert call.callback_conversation.type == ConversationType.TASK

    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world.admin.user)
    page = client.get(f"/c/{call.conversation.number}/").content.decode()
    assert f'<a href="{recording}" target="_blank" rel="noopener noreferrer">Listen to the voicemail</a>' in page


def test_a_recording_reported_after_the_call_ended_turns_it_into_a_voicemail_with_one_task(voice_inbox):
    deliver_all(voice_inbox, "inbound_answered")
    deliver_all(voice_inbox, "recording_status")
    deliver_all(voice_inbox, "recording_status")

    call = Call.objects.get()
    assert call.outcome == "voicemail"
    assert call.recording_url.endswith("/Recordings/RE9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c.mp3")
    message = Message.objects.get(pk=call.message_id)
    assert message.text == "Inbound call · 4 min 12 s · voicemail"
    assert message.metadata["recording_url"] == call.recording_url
    assert Conversation.objects.filter(type=ConversationType.TASK).count() == 1


def test_an_outbound_call_is_the_systems_message_and_never_a_task(voice_inbox):
    deliver_all(voice_inbox, "outbound_answered")

    call = Call.objects.get()
    assert (call.direction, call.number, call.outcome, call.duration_seconds) == ("out", "+6281234567890",
                                                                                  "answered", 95)
    message = Message.objects.get()
    assert (message.direction, message.author_kind, message.text) == (
        "out", "system", "Outbound call · 1 min 35 s · answered")
    assert not Conversation.objects.filter(type=ConversationType.TASK).exists()


def test_calls_of_one_caller_share_their_open_conversation(voice_inbox):
    deliver_all(voice_inbox, "inbound_answered")
    deliver_all(voice_inbox, "outbound_answered")

    assert Customer.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert list(Message.objects.order_by("id").values_list("text", flat=True)) == [
        "Inbound call · 4 min 12 s · answered", "Outbound call · 1 min 35 s · answered"]


def test_the_same_callback_five_times_makes_one_call_one_message_and_one_task(voice_inbox):
    for params in callbacks("inbound_no_answer"):
        for _retry in range(5):
            deliver(voice_inbox, params)

    assert InboundEvent.objects.filter(inbox=voice_inbox).count() == 2
    assert Call.objects.count() == 1
    assert Message.objects.filter(is_note=False).count() == 1
    assert Conversation.objects.filter(type=ConversationType.TASK).count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="SQLite serialises writers on one database lock; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_callback_five_times_at_once_makes_one_call_and_one_task(voice_inbox):
    ringing, ended = callbacks("inbound_no_answer")
    deliver(voice_inbox, ringing)

    responses = at_once(lambda: post_callback(voice_inbox, ended))
    for event_id in InboundEvent.objects.values_list("pk", flat=True):
        process_inbound_event(event_id=event_id)

    assert [r.status_code for r in responses] == [200] * 5
    assert InboundEvent.objects.filter(inbox=voice_inbox).count() == 2
    assert Call.objects.count() == 1
    assert Conversation.objects.filter(type=ConversationType.TASK).count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="SQLite serialises writers on one database lock; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_different_callbacks_of_one_call_processed_at_once_make_one_call(voice_inbox):
    for params in callbacks("inbound_voicemail"):
        assert post_callback(voice_inbox, params).status_code == 200
    InboundEvent.objects.update(status=InboundEventStatus.PENDING)  # as if the inline run had not happened
    Call.objects.all().delete()
    Conversation.objects.all().delete()

    def process_in_a_thread(event_id):
        try:
            return process_inbound_event(event_id=event_id)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(process_in_a_thread, InboundEvent.objects.values_list("pk", flat=True)))

    assert statuses == ["processed"] * 3
    call = Call.objects.get()
    assert (call.provider_status, call.outcome) == ("completed", "voicemail")
    assert Conversation.objects.filter(type=ConversationType.TASK).count() == 1


def test_a_forged_or_missing_signature_gets_403_and_writes_nothing(voice_inbox):
    params = callbacks("inbound_no_answer")[1]
    forged = [post_callback(voice_inbox, params, signature=""),
              post_callback(voice_inbox, params, signature="bm90LWEtc2lnbmF0dXJl"),
              post_callback(voice_inbox, params, token="token-orang-lain"),  # noqa: S106
              # signed for other parameters than those sent
              post_callback(voice_inbox, {**params, "To": "+6281100000000"},
                            signature=_signature_of(voice_inbox, params))]

    assert [r.status_code for r in forged] == [403] * 4
    assert not InboundEvent.objects.exists()
    assert not Call.objects.exists()
    assert not Customer.objects.exists()


def _signature_of(inbox, params):
    from layan.connectors.twilio.signature import twilio_signature

    return twilio_signature(url=f"http://testserver{hook_url(inbox)}", params=list(params.items()),
                            auth_token=AUTH_TOKEN)


def test_an_inbox_without_its_auth_token_accepts_nothing(voice_inbox, monkeypatch):
    monkeypatch.delenv("LAYAN_TEST_TWILIO_TOKEN")
    params = callbacks("inbound_no_answer")[1]

    assert post_callback(voice_inbox, params).status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_callback_for_another_twilio_account_is_kept_but_rejected(voice_inbox):
    params = {**callbacks("inbound_no_answer")[1], "AccountSid": "AC" + "9" * 32}
    deliver(voice_inbox, params)

    event = InboundEvent.objects.get()
    assert event.status == InboundEventStatus.REJECTED
    assert "not this inbox's" in event.reason
    assert not Call.objects.exists()


def test_a_withheld_caller_number_is_kept_and_rejected_with_the_reason(voice_inbox):
    deliver(voice_inbox, {**callbacks("inbound_no_answer")[1], "From": "anonymous", "Caller": "anonymous"})

    event = InboundEvent.objects.get()
    assert event.status == InboundEventStatus.REJECTED
    assert event.reason.startswith("call CA7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d: anonymous ")  # "... is not a valid phone number."
    assert not Call.objects.exists()


def test_a_recording_before_its_call_waits_for_the_call_and_is_then_kept(voice_inbox):
    deliver_all(voice_inbox, "recording_status")
    recording = InboundEvent.objects.get()
    assert (recording.status, recording.attempts) == (InboundEventStatus.PENDING, 1)  # to be tried again

    deliver_all(voice_inbox, "inbound_answered")

    recording.refresh_from_db()
    assert recording.status == InboundEventStatus.PROCESSED
    assert Call.objects.get().outcome == "voicemail"


def test_processing_that_fails_twice_then_succeeds_records_the_call_exactly_once(voice_inbox):
    from layan.conversations.services import calls

    ringing, ended = callbacks("inbound_no_answer")
    real = calls.record_call_message
    outage = mock.Mock(side_effect=[RuntimeError("database is unavailable")] * 2 + [real])

    def flaky(**kwargs):
        effect = outage()
        return effect(**kwargs)

    deliver(voice_inbox, ringing)
    with mock.patch.object(calls, "record_call_message", flaky), \
         mock.patch("layan.conversations.services.record_call_message", flaky):
        response = post_callback(voice_inbox, ended)
        event = InboundEvent.objects.get(event_id__endswith=":no-answer")
        for _attempt in range(3):
            process_inbound_event(event_id=event.pk)

    event.refresh_from_db()
    assert (response.status_code, event.status, event.attempts) == (200, InboundEventStatus.PROCESSED, 3)
    assert Call.objects.get().outcome == "no_answer"
    assert Message.objects.filter(is_note=False).count() == 1
    assert Conversation.objects.filter(type=ConversationType.TASK).count() == 1


def test_the_fake_twilio_plays_signed_callbacks_to_a_live_webhook_and_serves_the_recording(voice_inbox, live_server):
    fake = FakeTwilioVoice(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, business_number=BUSINESS_NUMBER).start()
    try:
        webhook = f"{live_server.url}{hook_url(voice_inbox)}"
        codes = fake.play(webhook, fake.callbacks(customer="+6281398765432", ending="voicemail"))
        for event_id in InboundEvent.objects.values_list("pk", flat=True):
            process_inbound_event(event_id=event_id)
        call = Call.objects.get()
        with urllib.request.urlopen(call.recording_url, timeout=5) as audio:  # noqa: S310 - the fake on loopback
            kind, data = audio.headers["Content-Type"], audio.read()
    finally:
        fake.stop()

    assert codes == [200, 200, 200]
    assert (call.number, call.outcome, call.recording_url.startswith(fake.url)) == ("+6281398765432", "voicemail",
                                                                                   True)
    assert kind == "audio/mpeg"
    assert data.startswith(b"ID3")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400),
                 st.dictionaries(st.sampled_from(["CallSid", "CallStatus", "Direction", "From", "To", "CallDuration",
                                                  "RecordingSid", "RecordingUrl", "RecordingStatus", "Timestamp",
                                                  "RecordingDuration"]),
                                 st.text(max_size=40)).map(lambda d: urlencode(d).encode())))
def test_the_parser_answers_any_bytes_with_a_call_update_or_value_error(raw):
    try:
        result = parse_status_callback(raw)
    except ValueError:
        return
    assert isinstance(result, CallUpdate)
    assert result.event_id.startswith(result.call_sid)


def test_the_parser_reads_twilios_fields():
    update = parse_status_callback(urlencode(callbacks("inbound_voicemail")[2]).encode())
    assert (update.status, update.direction, update.customer_number, update.duration_seconds) == (
        "completed", "in", "+6281234567890", 41)
    assert update.event_id == "CA9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a:completed:RE1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
    with pytest.raises(ValueError, match="CallSid"):
        parse_status_callback(b"MessageSid=SM123&SmsStatus=delivered")
    with pytest.raises(ValueError, match="http"):
        parse_status_callback(b"CallSid=CA1&CallStatus=completed&RecordingSid=RE1&RecordingUrl=javascript:alert(1)")
