"""Raw mail in, conversation out: the webhook, threading, participants, loops, bounces, bad mail.

Mail goes through the real path: the signed webhook view (or store_raw_email, as the IMAP poller
and SMTP listener call it) stores an InboundEvent, the queue (immediate in tests) processes it.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext

from layan.connectors.email.reply_address import conversation_reply_address, reply_secret
from layan.connectors.email.webhook import SIGNATURE_HEADER, sign_body, webhook_secret
from layan.connectors.ingress import (
    process_inbound_event,
    redrive_pending_inbound_events,
    store_raw_email,
)
from layan.connectors.models import InboundEvent, Inbox
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message, Participant, Status
from layan.customers.models import Identity
from layan.delivery.models import OutboxItem

SUPPORT = "support@tokomaju.test"
_ids = itertools.count(1)


def make_mail(*, sender="Siti Rahma <siti@contoh.id>", to=SUPPORT, cc="", subject="Paket belum sampai",
              text="Halo, paket saya belum sampai.", message_id: str | None = "auto", headers=(), attachments=()
              ) -> bytes:
    mail = EmailMessage()
    if sender:
        mail["From"] = sender
    mail["To"] = to
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = subject
    if message_id == "auto":
        message_id = f"<m{next(_ids)}@contoh.id>"
    if message_id:
        mail["Message-ID"] = message_id
    for name, value in headers:
        mail[name] = value
    mail.set_content(text)
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


@pytest.fixture
def inbox(world) -> Inbox:
    Inbox.objects.filter(pk=world.email_inbox.pk).update(threading_policy="always_new", settings={
        "addresses": [SUPPORT, "halo@tokomaju.test"], "acknowledgement": {"enabled": True}})
    world.email_inbox.refresh_from_db()
    return world.email_inbox


def deliver(inbox, raw: bytes, **kwargs) -> InboundEvent:
    """Store as a receiver does, then process as the queue would after commit (tests run in one
    transaction that never commits; the webhook tests below run the real after-commit path)."""
    event, created = store_raw_email(inbox=inbox, raw=raw, source="test", **kwargs)
    if created:
        process_inbound_event(event_id=event.pk)
    event.refresh_from_db()
    return event


def message_of(event: InboundEvent) -> Message | None:
    return Message.objects.filter(source_event=event).first()


def acknowledgements() -> list[Message]:
    return list(Message.objects.filter(metadata__automatic="acknowledgement").order_by("id"))


# --- the webhook -----------------------------------------------------------------------------


@pytest.fixture
def post_mail(django_capture_on_commit_callbacks):
    """`post_mail(inbox, raw, signature=None, **headers)`: POST to the webhook; the jobs it queues
    after commit (processing, then any acknowledgement) run before it returns."""

    def post(inbox, raw: bytes, *, signature: str | None = None, **headers):
        signature = sign_body(webhook_secret(inbox), raw) if signature is None else signature
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(f"/hooks/email/{inbox.public_id}", data=raw, content_type="message/rfc822",
                                 headers={SIGNATURE_HEADER: signature, **headers})

    return post


def test_signed_raw_mail_becomes_a_conversation_showing_only_the_new_text(inbox, api, post_mail):
    raw = make_mail(text="Sudah seminggu, mohon dicek.\n\nSalam,\nSiti\n\nPada Sen, 2 Nov 2026 pukul 09.00, "
                         "Toko Maju <support@tokomaju.test> menulis:\n> Pesanan Anda sudah dikirim.\n")
    response = post_mail(inbox, raw)

    assert response.status_code == 202
    event = InboundEvent.objects.get(pk=response.json()["event_id"])
    assert (event.status, event.source, event.sender) == ("processed", "webhook", "siti@contoh.id")
    message = message_of(event)
    assert message.text.startswith("Sudah seminggu, mohon dicek.")
    assert "Pesanan Anda sudah dikirim." not in message.text
    assert "Pesanan Anda sudah dikirim." in message.quoted_text
    assert message.conversation.subject == "Paket belum sampai"
    assert Identity.objects.get(customer=message.author_customer, kind="email").value == "siti@contoh.id"
    # The full original is one click away, byte for byte.
    shown = api.get(f"/messages/{message.pk}").json()
    assert shown["quoted_text"] == message.quoted_text
    download = api.get(shown["source_url"].removeprefix("/api/v1"))
    assert download.status_code == 200
    assert download["Content-Type"] == "message/rfc822"
    assert b"".join(download.streaming_content) == raw


@pytest.mark.parametrize("signature", ["", "sha256=00", "sha256=" + "a" * 64])
def test_unsigned_or_wrongly_signed_mail_is_refused_and_nothing_is_stored(inbox, signature, post_mail):
    response = post_mail(inbox, make_mail(), signature=signature)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert not InboundEvent.objects.exists()


def test_mail_signed_with_another_inboxs_key_is_refused(inbox, world, post_mail):
    other = world.whatsapp_inbox
    raw = make_mail()
    response = post_mail(inbox, raw, signature=sign_body(webhook_secret(other), raw))
    assert response.status_code == 401


def test_webhook_for_an_unknown_or_inactive_inbox_answers_404(inbox, post_mail):
    assert Client().post("/hooks/email/nope", data=b"x", content_type="message/rfc822").status_code == 404
    Inbox.objects.filter(pk=inbox.pk).update(is_active=False)
    assert post_mail(inbox, make_mail()).status_code == 404


def test_a_retried_delivery_with_the_same_delivery_id_is_stored_once(inbox, post_mail):
    raw = make_mail()
    first = post_mail(inbox, raw, **{"X-Layan-Delivery-Id": "relay-42"})
    again = post_mail(inbox, raw, **{"X-Layan-Delivery-Id": "relay-42"})

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"status": "duplicate", "event_id": first.json()["event_id"]}
    assert InboundEvent.objects.count() == 1
    assert Message.objects.filter(direction="in").count() == 1


def test_the_same_mail_through_two_receivers_is_one_message(inbox):
    raw = make_mail(message_id="<sama@contoh.id>")
    deliver(inbox, raw)
    deliver(inbox, raw)
    assert Message.objects.filter(direction="in").count() == 1
    assert InboundEvent.objects.count() == 2  # both deliveries kept: nothing received is dropped


def test_a_mail_without_message_id_delivered_twice_is_one_message(inbox):
    raw = make_mail(message_id=None)
    deliver(inbox, raw)
    deliver(inbox, raw)
    assert Message.objects.filter(direction="in").count() == 1


# --- threading -------------------------------------------------------------------------------


def test_a_reply_naming_the_first_mail_in_references_joins_its_conversation(inbox):
    first = message_of(deliver(inbox, make_mail(message_id="<awal@contoh.id>")))
    reply = message_of(deliver(inbox, make_mail(subject="Re: sesuatu yang lain", headers=[
        ("In-Reply-To", "<tidak-dikenal@contoh.id>"), ("References", "<awal@contoh.id> <tidak-dikenal@contoh.id>")])))
    assert reply.conversation_id == first.conversation_id


def test_a_subject_token_threads_a_reply_whose_headers_were_stripped(inbox):
    first = message_of(deliver(inbox, make_mail()))
    number = first.conversation.number
    reply = message_of(deliver(inbox, make_mail(subject=f"Re: Paket belum sampai [#{number}]")))
    assert reply.conversation_id == first.conversation_id


def test_a_subject_token_from_a_stranger_does_not_join_the_conversation(inbox):
    first = message_of(deliver(inbox, make_mail()))
    number = first.conversation.number
    stranger = message_of(deliver(inbox, make_mail(sender="orang@lain.id", subject=f"Re: [#{number}]")))
    assert stranger.conversation_id != first.conversation_id


def test_a_signed_reply_address_lets_a_forwarded_colleague_join_and_stay_on_the_thread(inbox):
    first = message_of(deliver(inbox, make_mail()))
    address = conversation_reply_address(address=SUPPORT, conversation_number=first.conversation.number,
                                         secret=reply_secret())
    colleague = message_of(deliver(inbox, make_mail(sender="Andi <andi@contoh.id>", to=address,
                                                    subject="Fwd: Paket")))
    assert colleague.conversation_id == first.conversation_id
    assert colleague.author_customer.name == "Andi"
    # Our own reply address is never a participant.
    assert list(Participant.objects.filter(conversation=first.conversation).values_list("address", flat=True)) == [
        "andi@contoh.id"]


def test_a_tampered_reply_address_does_not_join_the_conversation(inbox):
    first = message_of(deliver(inbox, make_mail()))
    number = first.conversation.number
    address = conversation_reply_address(address=SUPPORT, conversation_number=number, secret=reply_secret())
    forged = address.replace(f"+c{number}.", f"+c{number + 1}.")
    message = message_of(deliver(inbox, make_mail(sender="andi@contoh.id", to=forged)))
    assert message.conversation_id != first.conversation_id


def test_a_reply_to_a_solved_conversation_reopens_it_within_the_window(inbox, world):
    first = message_of(deliver(inbox, make_mail(message_id="<satu@contoh.id>")))
    services.change_status(actor=world.actor, conversation=first.conversation, status="solved")
    reply = message_of(deliver(inbox, make_mail(headers=[("In-Reply-To", "<satu@contoh.id>")])))
    reply.conversation.refresh_from_db()
    assert (reply.conversation_id, reply.conversation.status) == (first.conversation_id, Status.OPEN)


def test_a_reply_after_the_window_opens_a_new_conversation_linked_to_the_old(inbox, world):
    first = message_of(deliver(inbox, make_mail(message_id="<lama@contoh.id>")))
    services.change_status(actor=world.actor, conversation=first.conversation, status="solved")
    Conversation.objects.filter(pk=first.conversation_id).update(solved_at=timezone.now() - timedelta(days=30))
    reply = message_of(deliver(inbox, make_mail(headers=[("In-Reply-To", "<lama@contoh.id>")])))
    assert reply.conversation_id != first.conversation_id
    assert list(reply.conversation.links_out.values_list("target_id", "kind")) == [
        (first.conversation_id, "follow_up")]


# --- To and CC -------------------------------------------------------------------------------


def test_to_and_cc_become_participants_and_a_ccd_persons_reply_is_attributed_to_them(inbox):
    first = message_of(deliver(inbox, make_mail(
        to=f"{SUPPORT}, Budi <budi@contoh.id>", cc="Ani <ani@contoh.id>, halo@tokomaju.test",
        message_id="<awal-cc@contoh.id>")))
    conversation = first.conversation
    assert sorted(Participant.objects.filter(conversation=conversation).values_list("address", "role", "name")) == [
        ("ani@contoh.id", "cc", "Ani"), ("budi@contoh.id", "to", "Budi")]

    ani = message_of(deliver(inbox, make_mail(sender="Ani <ani@contoh.id>", subject="Re: Paket belum sampai",
                                              headers=[("In-Reply-To", "<awal-cc@contoh.id>")])))
    assert ani.conversation_id == conversation.pk
    assert Identity.objects.get(customer=ani.author_customer).value == "ani@contoh.id"
    assert conversation.customer.identities.get().value == "siti@contoh.id"


def test_a_mass_mailing_adds_no_participants_and_says_so(inbox):
    crowd = ", ".join(f"orang{i}@contoh.id" for i in range(10_000))
    message = message_of(deliver(inbox, make_mail(to=f"{SUPPORT}, {crowd}")))
    assert not Participant.objects.filter(conversation=message.conversation).exists()
    assert message.metadata["recipients_left_out"] == 10_000


# --- no loops, no noise ----------------------------------------------------------------------


def test_a_new_mail_gets_one_acknowledgement_with_the_ticket_number(inbox):
    message = message_of(deliver(inbox, make_mail()))
    deliver(inbox, make_mail(subject=f"Re: [#{message.conversation.number}]"))  # a follow-up: no second one

    [ack] = acknowledgements()
    assert ack.conversation_id == message.conversation_id
    assert f"#{message.conversation.number}" in ack.text
    assert "Terima kasih" in ack.text  # the customer's language, Indonesian by default
    assert ack.recipients == {"to": ["siti@contoh.id"], "cc": [], "bcc": []}
    assert OutboxItem.objects.filter(message=ack).exists()
    message.conversation.refresh_from_db()
    assert (message.conversation.status, message.conversation.first_response_at) == (Status.NEW, None)


def test_the_acknowledgement_speaks_english_to_an_english_customer_and_can_be_turned_off(inbox):
    deliver(inbox, make_mail(sender="john@example.com"))  # creates the customer
    Identity.objects.get(value="john@example.com").customer.__class__.objects.filter(
        identities__value="john@example.com").update(language="en")
    deliver(inbox, make_mail(sender="john@example.com", subject="Another question"))
    assert "Thank you" in acknowledgements()[-1].text

    Inbox.objects.filter(pk=inbox.pk).update(settings={"addresses": [SUPPORT]})
    inbox.refresh_from_db()
    before = len(acknowledgements())
    deliver(inbox, make_mail(sender="baru@contoh.id"))
    assert len(acknowledgements()) == before


@pytest.mark.parametrize("headers", [
    [("Auto-Submitted", "auto-replied")],
    [("X-Autoreply", "yes")],
    [("Precedence", "bulk")],
    [],  # the subject alone says so
])
def test_an_auto_reply_is_stored_but_never_acknowledged(inbox, headers):
    subject = "Paket" if headers else "Balasan otomatis: Paket belum sampai"
    message = message_of(deliver(inbox, make_mail(subject=subject, headers=headers)))
    assert message is not None
    assert acknowledgements() == []


def test_an_auto_reply_does_not_reopen_a_solved_conversation(inbox, world):
    first = message_of(deliver(inbox, make_mail(message_id="<tutup@contoh.id>")))
    services.change_status(actor=world.actor, conversation=first.conversation, status="solved")
    auto = message_of(deliver(inbox, make_mail(subject="Out of Office: Paket", headers=[
        ("In-Reply-To", "<tutup@contoh.id>"), ("Auto-Submitted", "auto-replied")])))
    auto.conversation.refresh_from_db()
    assert (auto.conversation_id, auto.conversation.status) == (first.conversation_id, Status.SOLVED)


def test_mail_from_the_inboxs_own_addresses_is_kept_but_ignored(inbox):
    for sender in (SUPPORT, "Halo@TokoMaju.test", "support+c12.abc@tokomaju.test"):
        event = deliver(inbox, make_mail(sender=sender))
        assert (event.status, message_of(event)) == ("ignored", None)
        assert event.reason == gettext("Sent from this inbox's own address.")
    assert not Conversation.objects.exists()


def test_a_loop_of_50_auto_replies_is_stopped(inbox):
    events = [deliver(inbox, make_mail(sender="robot@contoh.id", subject=f"Pesan otomatis {i}"))
              for i in range(50)]

    statuses = [e.status for e in events]
    assert statuses == ["processed"] * 20 + ["ignored"] * 30
    assert events[-1].reason == gettext(
        "%(sender)s sent more than %(count)s mails in %(minutes)s minutes: stopped as a likely mail loop."
    ) % {"sender": "robot@contoh.id", "count": 20, "minutes": 60}
    assert Message.objects.filter(direction="in").count() == 20
    assert len(acknowledgements()) == 20  # at most one per stored conversation, then silence
    assert InboundEvent.objects.count() == 50  # every one kept


def test_the_sender_limit_is_per_inbox_setting(inbox):
    Inbox.objects.filter(pk=inbox.pk).update(settings={"addresses": [SUPPORT],
                                                      "sender_rate_limit": {"count": 3, "minutes": 10}})
    inbox.refresh_from_db()
    statuses = [deliver(inbox, make_mail(sender="robot@contoh.id")).status for _ in range(5)]
    assert statuses == ["processed"] * 3 + ["ignored"] * 2


def _bounce_for(message_id: str, *, status="5.1.1", action="failed") -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes one."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.contoh.id>\r\n"
        f"To: {SUPPORT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce{next(_ids)}@mx.contoh.id>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system. Your message could not be delivered.\r\n\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.contoh.id\r\n\r\n"
        f"Final-Recipient: rfc822; siti@contoh.id\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <siti@contoh.id>: user unknown\r\n\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SUPPORT}\r\nTo: siti@contoh.id\r\nMessage-ID: {message_id}\r\nSubject: Re: Paket\r\n\r\n"
        "--b1--\r\n"
    ).encode()


def test_a_bounce_marks_the_outbound_message_failed_instead_of_opening_a_conversation(inbox, world):
    first = message_of(deliver(inbox, make_mail()))
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation,
                                                 text="Sudah kami kirim ulang.")
    Message.objects.filter(pk=reply.pk).update(provider_message_id="<layan.99.abc@tokomaju.test>",
                                               delivery_status=DeliveryStatus.SENT)
    conversations_before = Conversation.objects.count()

    event = deliver(inbox, _bounce_for("<layan.99.abc@tokomaju.test>"))

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "siti@contoh.id" in reply.delivery_error
    assert "5.1.1" in reply.delivery_error
    assert (event.status, message_of(event)) == ("processed", None)
    assert Conversation.objects.count() == conversations_before
    assert len(acknowledgements()) == 1  # only the first mail's


def test_a_bounce_for_mail_we_never_sent_is_ignored_not_a_conversation(inbox):
    event = deliver(inbox, _bounce_for("<asing@elsewhere.test>"))
    assert event.status == "ignored"
    assert not Conversation.objects.exists()


def test_a_delay_report_does_not_fail_the_message(inbox, world):
    first = message_of(deliver(inbox, make_mail()))
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Ok")
    Message.objects.filter(pk=reply.pk).update(provider_message_id="<layan.7.x@tokomaju.test>",
                                               delivery_status=DeliveryStatus.SENT)
    event = deliver(inbox, _bounce_for("<layan.7.x@tokomaju.test>", status="4.4.7", action="delayed"))
    reply.refresh_from_db()
    assert (event.status, reply.delivery_status) == ("ignored", DeliveryStatus.SENT)


# --- bad mail: stored or rejected with the reason, never lost --------------------------------


def test_mail_without_a_sender_is_rejected_with_the_reason_and_kept(inbox):
    event = deliver(inbox, make_mail(sender=""))
    assert event.status == "rejected"
    assert event.reason == gettext("The mail has no usable sender address.")
    assert event.payload.size == event.size > 0


def test_mail_without_a_body_is_stored(inbox):
    raw = b"From: siti@contoh.id\r\nTo: support@tokomaju.test\r\nSubject: Kosong\r\n\r\n"
    message = message_of(deliver(inbox, raw))
    assert (message.text, message.conversation.subject) == ("", "Kosong")


def test_an_attachment_over_the_limit_is_left_out_of_the_message_but_kept_in_the_original(inbox, settings):
    settings.LAYAN_MAX_ATTACHMENT_BYTES = 1024 * 1024
    big = b"\x89PNG" + b"0" * (50 * 1024 * 1024)
    message = message_of(deliver(inbox, make_mail(attachments=[
        ("foto-besar.png", "image/png", big), ("resi.pdf", "application/pdf", b"%PDF-1.4 resi")])))
    assert [a.filename for a in message.attachments.all()] == ["resi.pdf"]
    assert message.metadata["attachments_left_out"] == [{"filename": "foto-besar.png", "size": len(big)}]
    assert message.source_event.size > len(big)


def test_invalid_encodings_are_stored_with_parse_warnings(inbox):
    raw = (b"From: =?x-unknown?B?////?= <siti@contoh.id>\r\nTo: support@tokomaju.test\r\n"
           b"Subject: =?utf-8?B?!!!?= Tagihan\r\nContent-Type: text/plain; charset=klingon\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n\xff\xfe not base64 \x00 at all\r\n")
    event = deliver(inbox, raw)
    assert event.status == "processed"
    assert message_of(event).metadata.get("parse_warnings")


def test_a_processing_error_keeps_the_event_for_a_retry_and_the_sweeper_redrives_it(inbox, monkeypatch):
    from layan.connectors.email import inbound

    calls = {"n": 0}
    real = inbound.process_email_event

    def flaky(event, raw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away")
        return real(event, raw)

    monkeypatch.setattr(inbound, "process_email_event", flaky)
    event = deliver(inbox, make_mail())
    assert (event.status, event.attempts) == ("pending", 1)
    assert "database went away" in event.reason
    assert message_of(event) is None

    InboundEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(minutes=5))
    assert redrive_pending_inbound_events() == 1
    event.refresh_from_db()
    assert (event.status, event.reason) == ("processed", "")
    assert message_of(event) is not None


def test_an_event_that_keeps_failing_ends_failed_with_the_error(inbox, monkeypatch):
    from layan.connectors.email import inbound

    def broken(event, raw):
        raise ValueError("parser bug")

    monkeypatch.setattr(inbound, "process_email_event", broken)
    event = deliver(inbox, make_mail())
    for _attempt in range(10):
        process_inbound_event(event_id=event.pk)
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", 5)
    assert "parser bug" in event.reason


def test_processing_a_processed_event_again_changes_nothing(inbox):
    event = deliver(inbox, make_mail())
    assert process_inbound_event(event_id=event.pk) is None
    assert Message.objects.filter(direction="in").count() == 1


def test_a_participant_removed_by_an_agent_is_not_copied_on_later_replies(inbox, world, api):
    first = message_of(deliver(inbox, make_mail(cc="ani@contoh.id")))
    conversation = first.conversation
    response = api.delete(f"/conversations/{conversation.pk}/participants/ani@contoh.id")
    assert response.status_code == 200
    assert response.json()["participants"] == []
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, text="Baik")
    assert reply.recipients["cc"] == []


def test_sender_display_names_with_unicode_are_kept(inbox):
    message = message_of(deliver(inbox, make_mail(sender=formataddr(("Dewi Lestari 🌸", "dewi@contoh.id")))))
    assert message.author_customer.name == "Dewi Lestari 🌸"
