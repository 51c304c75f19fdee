"""The web form: the page served at /hooks/webform/<id>/ (languages, framing rules, the embed
script), submissions posted to it as a browser posts them (tests/connectors/webform/payloads/),
spam kept out (honeypot, fill time, hourly limits on locmem and Redis), and replies sent by email
through a real SMTP server on 127.0.0.1 (tests/smtp_sink.py), answered back into the same
conversation."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from at_once import at_once
from layan.connectors.ingress import process_inbound_event, store_raw_email
from layan.connectors.models import InboundEvent, InboundEventStatus, Inbox
from layan.connectors.services import configure_inbox, create_inbox
from layan.connectors.webform.parsing import FormErrors, clean_submission, parse_envelope
from layan.connectors.webform.tokens import issue_form_token, read_form_token
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.customers.models import Customer, Identity
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item
from layan.errors import InvalidInput
from smtp_sink import SmtpSink

PAYLOADS = Path(__file__).parent / "payloads"
SUPPORT = "support@tokomaju.test"
SITE = "https://tokomaju.co.id"


def in_language(text: str, language: str = "id") -> str:
    """``text`` as a visitor in ``language`` reads it (the catalogue's translation, once filled in)."""
    with translation.override(language):
        return gettext(text)


def payload(name: str) -> dict[str, str]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def inbox(world) -> Inbox:
    form = create_inbox(actor=world.actor, kind="webform", name="Formulir kontak")
    configure_inbox(actor=world.actor, inbox=form, values={"allowed_origins": [SITE, "https://www.tokomaju.co.id/"]})
    return form


def url(inbox: Inbox, query: str = "") -> str:
    return f"/hooks/webform/{inbox.public_id}/{query}"


def aged_token(inbox: Inbox, seconds: float = 60) -> str:
    """The token of a page served ``seconds`` ago (a person took that long to type)."""
    return issue_form_token(public_id=inbox.public_id, issued_at=time.time() - seconds)


def submit(inbox: Inbox, values: dict[str, str], *, token: str | None = None, ip: str = "203.0.113.7",
           query: str = "", **headers):
    data = {**values, "token": aged_token(inbox) if token is None else token, "website": values.get("website", "")}
    return Client(REMOTE_ADDR=ip).post(url(inbox, query), data=data, headers=headers)


def event_of(inbox: Inbox, token: str) -> InboundEvent | None:
    nonce = read_form_token(public_id=inbox.public_id, token=token).nonce
    return InboundEvent.objects.filter(inbox=inbox, event_id=f"webform:{nonce}").first()


def deliver(inbox: Inbox, values: dict[str, str], **kwargs) -> Message:
    """A submission as the browser posts it, then the processing the queue does after commit."""
    token = kwargs.pop("token", None) or aged_token(inbox)
    response = submit(inbox, values, token=token, **kwargs)
    assert response.status_code == 200, response.content.decode()
    event = event_of(inbox, token)
    assert process_inbound_event(event_id=event.pk) == InboundEventStatus.PROCESSED
    return Message.objects.get(source_event=event)


# --- the page ------------------------------------------------------------------------------

def test_the_page_shows_the_configured_fields_in_bahasa_indonesia_by_default(inbox, world):
    configure_inbox(actor=world.actor, inbox=inbox, values={"fields": ["email", "message"]})

    response = Client().get(url(inbox))

    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "id"
    assert '<html lang="id">' in page
    assert in_language("Contact us") in page
    assert re.findall(r'<(?:input|textarea) id="f-(\w+)"', page) == ["email", "message", "website"]
    assert 'name="token" value="' in page


def test_the_page_speaks_english_by_accept_language_or_the_lang_parameter(inbox):
    by_header = Client().get(url(inbox), headers={"Accept-Language": "en-US,en;q=0.9"})
    by_query = Client().get(url(inbox, "?lang=en"), headers={"Accept-Language": "id"})
    back = Client().get(url(inbox, "?lang=id"), headers={"Accept-Language": "en"})

    for response in (by_header, by_query):
        assert response["Content-Language"] == "en"
        assert "Contact us" in response.content.decode()
        assert "Your name" in response.content.decode()
    assert in_language("Your name") in back.content.decode()
    assert f'action="{url(inbox)}?lang=en"' in by_query.content.decode()


def test_only_the_allowed_origins_may_frame_the_form(inbox, world):
    framed = Client().get(url(inbox))
    other = create_inbox(actor=world.actor, kind="webform", name="Formulir tanpa situs")
    alone = Client().get(url(other))

    policy = framed["Content-Security-Policy"]
    assert "frame-ancestors https://tokomaju.co.id https://www.tokomaju.co.id" in policy
    assert "X-Frame-Options" not in framed
    assert "default-src 'none'" in policy
    assert "form-action 'self'" in policy
    nonce = re.search(r"style-src 'nonce-([^']+)'", policy).group(1)
    assert f'<style nonce="{nonce}">' in framed.content.decode()
    assert "frame-ancestors 'none'" in alone["Content-Security-Policy"]
    assert alone["X-Frame-Options"] == "DENY"
    assert framed["Cache-Control"] == "no-store"


def test_an_origin_that_is_not_a_website_is_refused_in_the_settings(inbox, world):
    for bad in (["tokomaju.co.id"], ["https://a.test https://evil.test"], ["https://a.test/page"], "https://*"):
        with pytest.raises(InvalidInput) as refused:
            configure_inbox(actor=world.actor, inbox=inbox, values={"allowed_origins": bad})
        assert refused.value.field == "allowed_origins"


def test_the_embed_script_points_an_iframe_at_the_absolute_form_url(inbox):
    response = Client().get(url(inbox, "embed.js"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert f'"http://testserver/hooks/webform/{inbox.public_id}/"' in response.content.decode()
    assert Client().get("/hooks/webform/tidakada/embed.js").status_code == 404


def test_an_unknown_or_inactive_form_is_not_found(inbox):
    Inbox.objects.filter(pk=inbox.pk).update(is_active=False)
    assert Client().get(url(inbox)).status_code == 404
    assert submit(inbox, payload("contact_email_and_phone")).status_code == 404
    assert not InboundEvent.objects.exists()


# --- submissions ---------------------------------------------------------------------------

def test_a_submission_from_the_served_page_becomes_a_new_conversation_of_the_customer(inbox, world):
    configure_inbox(actor=world.actor, inbox=inbox, values={"minimum_fill_seconds": 0})
    page = Client().get(url(inbox)).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)

    response = submit(inbox, payload("contact_email_and_phone"), token=token)

    assert response.status_code == 200
    assert in_language("Thank you!") in response.content.decode()
    event = event_of(inbox, token)
    assert (event.source, event.status) == ("webform", InboundEventStatus.PENDING)
    assert process_inbound_event(event_id=event.pk) == InboundEventStatus.PROCESSED
    message = Message.objects.get(direction="in")
    conversation = message.conversation
    assert message.text == payload("contact_email_and_phone")["message"]
    assert (conversation.subject, conversation.channel, conversation.inbox_id) == (
        "Pesanan #TM-20431 belum sampai", "webform", inbox.pk)
    assert message.author_customer.name == "Siti Rahayu"
    assert sorted(Identity.objects.filter(customer=message.author_customer).values_list("kind", "value")) == [
        ("email", "siti.rahayu@contoh.id"), ("phone", "+6281234567890")]
    assert message.metadata["webform"] == {"email": "siti.rahayu@contoh.id", "phone": "+6281234567890",
                                           "language": "id"}
    event.refresh_from_db()
    assert event.sender == "siti.rahayu@contoh.id"


def test_every_submission_starts_a_new_conversation_for_the_same_customer(inbox):
    first = deliver(inbox, payload("contact_email_and_phone"))
    second = deliver(inbox, {**payload("contact_email_and_phone"), "subject": "Satu lagi",
                             "message": "Saya juga mau tanya soal retur."})

    assert first.author_customer_id == second.author_customer_id
    assert first.conversation_id != second.conversation_id
    assert Conversation.objects.get(pk=second.conversation_id).subject == "Satu lagi"


def test_a_phone_only_submission_is_from_the_customer_of_that_number(inbox, world):
    deliver(inbox, payload("contact_phone_only"))

    message = Message.objects.get(direction="in")
    assert list(Identity.objects.filter(customer=message.author_customer).values_list("kind", "value")) == [
        ("phone", "+6285712345678")]
    assert message.conversation.subject == "Tanya stok"


def test_a_customer_known_by_email_on_another_channel_stays_one_customer(inbox, world, receive):
    by_mail = receive(world.email_inbox, "siti.rahayu@contoh.id", text="Halo dari email")

    message = deliver(inbox, payload("contact_email_and_phone"))

    assert message.author_customer_id == by_mail.message.author_customer_id
    assert Customer.objects.count() == 1


def test_the_same_submission_five_times_makes_one_message(inbox):
    token = aged_token(inbox)
    for _resend in range(5):
        assert submit(inbox, payload("contact_email_and_phone"), token=token).status_code == 200
        process_inbound_event(event_id=event_of(inbox, token).pk)

    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(direction="in").count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite",
                    reason="SQLite serialises writers on one database lock; the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_submission_five_times_at_once_makes_one_message(inbox):
    token = aged_token(inbox)

    responses = at_once(lambda: submit(inbox, payload("contact_email_and_phone"), token=token))
    process_inbound_event(event_id=event_of(inbox, token).pk)

    assert [r.status_code for r in responses] == [200] * 5
    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(direction="in").count() == 1


@pytest.mark.parametrize("token", ["", "bukan-token", "FORGED"], ids=["missing", "garbage", "other-form"])
def test_a_missing_forged_or_foreign_token_gets_403_and_writes_nothing(inbox, world, token):
    if token == "FORGED":
        other = create_inbox(actor=world.actor, kind="webform", name="Formulir lain")
        token = aged_token(other)

    response = submit(inbox, payload("contact_email_and_phone"), token=token)

    assert response.status_code == 403
    page = response.content.decode()
    assert in_language("This form has expired. Please check your message and send it again.") in page
    assert "Pesanan #TM-20431 belum sampai" in page  # what the visitor typed is kept
    assert not InboundEvent.objects.exists()
    assert not Customer.objects.filter(name="Siti Rahayu").exists()


def test_a_token_older_than_a_day_is_refused(inbox):
    response = submit(inbox, payload("contact_email_and_phone"), token=aged_token(inbox, seconds=25 * 3600))

    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_an_invalid_submission_is_shown_again_with_each_fault_and_nothing_is_stored(inbox):
    response = submit(inbox, payload("contact_invalid"), query="?lang=en")

    page = response.content.decode()
    assert response.status_code == 400
    assert "This is not a valid email address." in page
    assert "Please write your message." in page
    assert 'value="budi(at)contoh"' in page
    assert not InboundEvent.objects.exists()


def test_the_form_needs_an_email_or_a_phone_and_keeps_to_the_lengths():
    shown = ("name", "email", "phone", "subject", "message")
    with pytest.raises(FormErrors) as no_contact:
        clean_submission({"message": "Halo"}, shown=shown)
    assert list(no_contact.value.errors) == ["email"]
    with pytest.raises(FormErrors) as too_long:
        clean_submission({"email": "a@contoh.id", "message": "x" * 5001, "name": "n" * 201}, shown=shown)
    assert sorted(too_long.value.errors) == ["message", "name"]
    cleaned = clean_submission({"phone": "0812 3456 7890", "message": " Halo ", "subject": "Baris\r\nbaru"},
                               shown=shown)
    assert (cleaned.phone, cleaned.message, cleaned.subject) == ("+6281234567890", "Halo", "Baris baru")
    hidden = clean_submission({"email": "a@contoh.id", "phone": "bukan nomor", "message": "Halo"},
                              shown=("email", "message"))
    assert hidden.phone == ""  # a field the form does not show is not read


# --- spam ----------------------------------------------------------------------------------

def test_a_filled_honeypot_is_thanked_but_kept_as_ignored_and_never_a_message(inbox):
    token = aged_token(inbox)

    response = submit(inbox, {**payload("contact_email_and_phone"), "website": "http://spam.test"}, token=token)

    assert response.status_code == 200
    assert in_language("Thank you!") in response.content.decode()
    event = event_of(inbox, token)
    assert process_inbound_event(event_id=event.pk) == InboundEventStatus.IGNORED
    event.refresh_from_db()
    assert (event.status, event.reason) == (InboundEventStatus.IGNORED, "honeypot")
    assert not Message.objects.exists()
    assert not Customer.objects.filter(name="Siti Rahayu").exists()


def test_a_submission_faster_than_a_person_types_is_thanked_but_kept_as_ignored(inbox):
    token = aged_token(inbox, seconds=1)  # the inbox wants at least 3 seconds

    response = submit(inbox, payload("contact_email_and_phone"), token=token)

    assert response.status_code == 200
    event = event_of(inbox, token)
    process_inbound_event(event_id=event.pk)
    event.refresh_from_db()
    assert (event.status, event.reason) == (InboundEventStatus.IGNORED, "too_fast")
    assert not Message.objects.exists()


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """Both caches the installation runs on; the Redis one gets a key prefix of its own."""
    if request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                       "LOCATION": f"webform-{uuid.uuid4().hex}"}}
    else:
        import redis

        location = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
        try:
            redis.Redis.from_url(location, socket_connect_timeout=1).ping()
        except redis.RedisError:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true requires Redis for the shared rate-limit counters: none at {location}")
            pytest.skip(f"no Redis at {location}")
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": location, "KEY_PREFIX": f"layan-test-{uuid.uuid4().hex}"}}
    # Never cache.clear(): on Redis that empties the whole database other processes share. The
    # counters are per inbox, and every test has a new inbox.
    return request.param


def test_more_than_the_hourly_submissions_from_one_ip_get_429_and_store_nothing(inbox, world, cache_backend):
    configure_inbox(actor=world.actor, inbox=inbox, values={"submissions_per_ip_per_hour": 3,
                                                            "submissions_per_email_per_hour": 100})
    for n in range(3):
        assert submit(inbox, {**payload("contact_email_and_phone"), "email": f"p{n}@contoh.id"}).status_code == 200

    refused = submit(inbox, {**payload("contact_email_and_phone"), "email": "p9@contoh.id"}, query="?lang=en")
    elsewhere = submit(inbox, {**payload("contact_email_and_phone"), "email": "p8@contoh.id"}, ip="198.51.100.2")

    assert refused.status_code == 429
    assert "Too many messages have been sent from here in the last hour" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert elsewhere.status_code == 200
    assert InboundEvent.objects.count() == 4


def test_more_than_the_hourly_submissions_from_one_email_get_429_whatever_the_ip(inbox, world, cache_backend):
    configure_inbox(actor=world.actor, inbox=inbox, values={"submissions_per_email_per_hour": 2})
    for n in range(2):
        assert submit(inbox, payload("contact_email_and_phone"), ip=f"192.0.2.{n}").status_code == 200

    refused = submit(inbox, {**payload("contact_email_and_phone"), "email": "SITI.rahayu@contoh.id"},
                     ip="192.0.2.50")

    assert refused.status_code == 429
    assert InboundEvent.objects.count() == 2


def test_the_default_limit_is_ten_submissions_per_ip_per_hour(inbox):
    answers = [submit(inbox, {**payload("contact_email_and_phone"), "email": f"o{n}@contoh.id"}).status_code
               for n in range(11)]

    assert answers == [200] * 10 + [429]


# --- replies by email ----------------------------------------------------------------------

@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def mail_inbox(world, sink) -> Inbox:
    Inbox.objects.filter(pk=world.email_inbox.pk).update(settings={
        "addresses": [SUPPORT], "smtp": {"host": "127.0.0.1", "port": sink.port, "security": "none", "timeout": 10}})
    world.email_inbox.refresh_from_db()
    return world.email_inbox


def reply(world, message: Message, text: str) -> Message:
    answer, _dup = services.reply_to_conversation(actor=world.actor, conversation=message.conversation, text=text)
    return answer


def send(message: Message) -> str | None:
    return deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=message).pk)


def test_a_reply_goes_by_email_from_the_workspaces_email_inbox(inbox, world, mail_inbox, sink):
    customer_message = deliver(inbox, payload("contact_email_and_phone"))
    answer = reply(world, customer_message, "Baik Kak Siti, kami cek ke kurir dulu ya.")

    assert send(answer) == "sent"

    (captured,) = sink.captured
    mail = captured.message
    number = customer_message.conversation.number
    assert (captured.mail_from, captured.rcpt_tos) == (SUPPORT, ["siti.rahayu@contoh.id"])
    assert mail["From"].addresses[0].addr_spec == SUPPORT
    assert mail["From"].addresses[0].display_name == "Admin via Email dukungan"
    assert mail["To"].addresses[0].addr_spec == "siti.rahayu@contoh.id"
    assert mail["Subject"] == f"Pesanan #TM-20431 belum sampai [#{number}]"
    assert mail.get_body(("plain",)).get_content().strip() == "Baik Kak Siti, kami cek ke kurir dulu ya."
    answer.refresh_from_db()
    assert (answer.delivery_status, answer.provider_message_id) == (DeliveryStatus.SENT, mail["Message-ID"])


def test_the_customers_answer_to_the_reply_mail_continues_the_web_form_conversation(inbox, world, mail_inbox,
                                                                                    sink):
    customer_message = deliver(inbox, payload("contact_email_and_phone"))
    send(reply(world, customer_message, "Boleh kirim foto resinya?"))
    sent = sink.captured[0].message
    answer = EmailMessage()
    answer["From"] = "Siti Rahayu <siti.rahayu@contoh.id>"
    answer["To"] = sent["Reply-To"].addresses[0].addr_spec
    answer["Subject"] = f"Re: {sent['Subject']}"
    answer["Message-ID"] = "<balasan-siti-1@contoh.id>"
    answer["In-Reply-To"] = sent["Message-ID"]
    answer.set_content("Ini resinya: JNE 0123456789")

    event, _created = store_raw_email(inbox=mail_inbox, raw=answer.as_bytes(), source="test")
    process_inbound_event(event_id=event.pk)

    followed = Message.objects.get(source_event=event)
    assert followed.conversation_id == customer_message.conversation_id
    assert followed.text.startswith("Ini resinya: JNE 0123456789")
    assert Conversation.objects.count() == 1


def test_the_reply_inbox_named_in_the_settings_is_used(inbox, world, sink):
    second = create_inbox(actor=world.actor, kind="email", name="Email penjualan", settings={
        "addresses": ["jual@tokomaju.test"],
        "smtp": {"host": "127.0.0.1", "port": sink.port, "security": "none", "timeout": 10}})
    configure_inbox(actor=world.actor, inbox=inbox, values={"reply_inbox": second})
    customer_message = deliver(inbox, payload("contact_email_and_phone"))

    assert send(reply(world, customer_message, "Halo")) == "sent"
    assert sink.captured[0].mail_from == "jual@tokomaju.test"


def test_the_relay_failing_twice_then_taking_the_mail_sends_it_exactly_once(inbox, world, mail_inbox, sink):
    customer_message = deliver(inbox, payload("contact_email_and_phone"))
    sink.handler.data_replies.extend(["451 4.3.0 Coba lagi nanti", "451 4.3.0 Coba lagi nanti"])
    answer = reply(world, customer_message, "Halo Kak")
    item = OutboxItem.objects.get(message=answer)
    for _attempt in range(3):
        OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)  # the backoff passed
        deliver_outbox_item(outbox_item_id=item.pk)

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("sent", 3)
    assert len(sink.captured) == 1
    assert deliver_outbox_item(outbox_item_id=item.pk) is None
    assert len(sink.captured) == 1


def test_a_reply_to_a_customer_who_left_only_a_phone_fails_with_the_reason(inbox, world, mail_inbox, sink):
    customer_message = deliver(inbox, payload("contact_phone_only"))
    answer = reply(world, customer_message, "Halo Pak Joko")

    assert send(answer) == "failed"
    answer.refresh_from_db()
    assert answer.delivery_error == gettext("The customer left no email address on the form; contact them by phone.")
    assert sink.captured == []


def test_without_an_email_inbox_a_reply_fails_with_the_reason(inbox, world):
    Inbox.objects.filter(kind="email").update(is_active=False)
    customer_message = deliver(inbox, payload("contact_email_and_phone"))
    answer = reply(world, customer_message, "Halo")

    assert send(answer) == "failed"
    answer.refresh_from_db()
    assert answer.delivery_error == gettext(
        "Replies to the web form %(inbox)s go by email, but this workspace has no email inbox with an address to "
        "send from.") % {"inbox": "Formulir kontak"}


# --- the parser ----------------------------------------------------------------------------

@hypothesis_settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_the_envelope_parser_answers_a_submission_or_value_error_for_any_bytes(raw):
    try:
        stored = parse_envelope(raw)
    except ValueError:
        return
    assert stored.submission_id


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "email", "phone", "subject", "message", "x"]), st.text(max_size=300)))
def test_checking_a_submission_answers_a_submission_or_form_errors_for_any_text(values):
    try:
        cleaned = clean_submission(values, shown=("name", "email", "phone", "subject", "message"))
    except FormErrors as exc:
        errors = exc.errors
        cleaned = None
    if cleaned is None:
        assert errors
    else:
        assert cleaned.message
        assert cleaned.email or cleaned.phone
