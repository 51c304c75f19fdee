"""Replies leave through a real SMTP server on 127.0.0.1 (tests/smtp_sink.py):
thread headers, To/CC/BCC, retries on temporary failures, failure with the server's reason on
permanent ones, XOAUTH2, TLS, and the mail backend for inboxes without a relay of their own.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import getaddresses

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from dovecot import self_signed_certificate  # tests/connectors/email/, beside this file

from layan.connectors.base import InboundAttachment
from layan.connectors.email.reply_address import conversation_from_address, reply_secret
from layan.connectors.ingress import process_inbound_event, store_raw_email
from layan.connectors.models import InboundEvent, Inbox
from layan.conversations import services
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.delivery.models import AttemptOutcome, OutboxItem, OutboxStatus
from layan.delivery.services import deliver_outbox_item
from oauth_endpoint import OAuthEndpoint
from smtp_sink import SmtpSink, free_port

SUPPORT = "support@tokomaju.test"
PASSWORD_ENV = "LAYAN_TEST_SMTP_PASSWORD"


def customer_mail(*, sender="Siti Rahma <siti@contoh.id>", to=SUPPORT, cc="", subject="Paket belum sampai",
                  text="Halo, paket saya belum sampai.", message_id="<siti-1@contoh.id>", headers=()) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    for name, value in headers:
        mail[name] = value
    mail.set_content(text)
    return mail.as_bytes()


def receive_mail(inbox: Inbox, raw: bytes) -> Message | None:
    event, _created = store_raw_email(inbox=inbox, raw=raw, source="test")
    process_inbound_event(event_id=event.pk)
    return Message.objects.filter(source_event=event).first()


def send(message: Message) -> str | None:
    """One delivery attempt of the message's outbox item, as the worker makes it."""
    return deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=message).pk)


def make_due(message: Message) -> None:
    """The backoff has passed."""
    OutboxItem.objects.filter(message=message).update(next_attempt_at=timezone.now())


def addresses(captured, header: str) -> list[str]:
    return [address for _name, address in getaddresses(captured.message.get_all(header, []))]


@pytest.fixture
def sink():
    with SmtpSink() as server:
        server.handler.password = ("cs@tokomaju.test", "rahasia-smtp")
        yield server


@pytest.fixture
def inbox(world, sink, monkeypatch) -> Inbox:
    monkeypatch.setenv(PASSWORD_ENV, "rahasia-smtp")
    Inbox.objects.filter(pk=world.email_inbox.pk).update(threading_policy="always_new", settings={
        "addresses": [SUPPORT, "halo@tokomaju.test"],
        "smtp": {"host": "127.0.0.1", "port": sink.port, "security": "none", "username": "cs@tokomaju.test",
                 "password_env": PASSWORD_ENV, "timeout": 10},
    })
    world.email_inbox.refresh_from_db()
    return world.email_inbox


@pytest.fixture
def first(inbox) -> Message:
    """The customer's first mail, with a colleague in CC."""
    return receive_mail(inbox, customer_mail(cc="Dewi <dewi@contoh.id>"))


def test_a_reply_reaches_the_relay_with_thread_headers_cc_and_a_signed_reply_to(first, world, sink):
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation,
                                                 text="Baik Kak Siti, kami cek dulu ya.")
    assert send(reply) == OutboxStatus.SENT

    (captured,) = sink.captured
    mail = captured.message
    number = first.conversation.number
    assert captured.login == "cs@tokomaju.test"  # signed in with the password from the environment
    assert captured.mail_from == SUPPORT
    assert sorted(captured.rcpt_tos) == ["dewi@contoh.id", "siti@contoh.id"]
    assert mail["From"].addresses[0].addr_spec == SUPPORT
    assert mail["From"].addresses[0].display_name == f"{world.admin.display_name} via Email dukungan"
    assert addresses(captured, "To") == ["siti@contoh.id"]
    assert addresses(captured, "Cc") == ["dewi@contoh.id"]
    assert mail["Subject"] == f"Re: Paket belum sampai [#{number}]"
    assert mail["In-Reply-To"] == "<siti-1@contoh.id>"
    assert mail["References"] == "<siti-1@contoh.id>"
    reply_to = mail["Reply-To"].addresses[0].addr_spec
    assert conversation_from_address(reply_to, own_addresses=frozenset({SUPPORT}), secret=reply_secret()) == number
    assert [part.get_content_type() for part in mail.walk()] == ["multipart/alternative", "text/plain", "text/html"]
    assert mail.get_body(("plain",)).get_content().strip() == "Baik Kak Siti, kami cek dulu ya."
    assert "<p>Baik Kak Siti, kami cek dulu ya.</p>" in mail.get_body(("html",)).get_content()
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.provider_message_id) == (DeliveryStatus.SENT, mail["Message-ID"])


def test_bcc_recipients_get_the_mail_but_appear_in_no_header_of_any_copy(first, world, sink, api):
    with_bcc = ["arsip@tokomaju-arsip.test", "Manajer@Contoh.id"]
    response = api.post(f"/conversations/{first.conversation_id}/reply",
                        {"text": "Sudah kami proses.", "cc": ["rudi@contoh.id"], "bcc": with_bcc})
    assert response.status_code == 201
    send(Message.objects.get(pk=response.json()["id"]))
    second = api.post(f"/conversations/{first.conversation_id}/reply", {"text": "Ada tambahan."})
    send(Message.objects.get(pk=second.json()["id"]))

    assert len(sink.captured) == 2
    bcc_copy, later_copy = sink.captured
    assert sorted(bcc_copy.rcpt_tos) == ["arsip@tokomaju-arsip.test", "dewi@contoh.id", "manajer@contoh.id",
                                         "rudi@contoh.id", "siti@contoh.id"]
    for copy in sink.captured:
        assert copy.message.get_all("Bcc") is None
        for hidden in (b"arsip@tokomaju-arsip", b"manajer@contoh", b"Manajer@Contoh"):
            assert hidden not in copy.data  # in no header and nowhere in the body either
    # CC stays on later replies; BCC was for that one mail only.
    assert sorted(later_copy.rcpt_tos) == ["dewi@contoh.id", "rudi@contoh.id", "siti@contoh.id"]
    # What a participant could see through the conversation's public surfaces does not name them.
    customer_view = json.dumps([m.recipients.get("to", []) + m.recipients.get("cc", [])
                                for m in Message.objects.filter(conversation=first.conversation)])
    assert "arsip@" not in customer_view


def test_a_temporary_failure_is_retried_and_the_mail_arrives_once(first, world, sink):
    sink.handler.data_replies.append("451 4.3.0 Mailbox temporarily unavailable")
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")

    assert send(reply) == OutboxStatus.QUEUED
    item = OutboxItem.objects.get(message=reply)
    assert "451 4.3.0 Mailbox temporarily unavailable" in item.last_error
    assert item.next_attempt_at > timezone.now()
    assert send(reply) is None  # not due yet: the backoff holds
    make_due(reply)
    assert send(reply) == OutboxStatus.SENT
    assert send(reply) is None

    assert len(sink.captured) == 1
    assert [(a.number, a.outcome) for a in item.attempts_log.order_by("number")] == [
        (1, AttemptOutcome.RETRY), (2, AttemptOutcome.SENT)]
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT


def test_a_permanent_failure_marks_the_message_failed_with_the_servers_reply(first, world, sink):
    sink.handler.rcpt_replies["siti@contoh.id"] = "550 5.1.1 <siti@contoh.id>: Recipient address rejected"
    services.remove_participant(actor=world.actor, conversation=first.conversation, address="dewi@contoh.id")
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")

    assert send(reply) == OutboxStatus.FAILED
    make_due(reply)
    assert send(reply) is None  # failed is final

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "550 5.1.1 <siti@contoh.id>: Recipient address rejected" in reply.delivery_error
    assert OutboxItem.objects.get(message=reply).attempts == 1
    assert sink.captured == []


def test_a_rejected_password_fails_the_message_without_retrying(first, world, sink, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "salah")
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")

    assert send(reply) == OutboxStatus.FAILED
    reply.refresh_from_db()
    assert "535" in reply.delivery_error


def test_an_unreachable_relay_is_retried_later(first, world, inbox):
    port = free_port()
    Inbox.objects.filter(pk=inbox.pk).update(settings={**inbox.settings, "smtp": {**inbox.settings["smtp"], "port": port}})
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")

    assert send(reply) == OutboxStatus.QUEUED
    expected = gettext("Cannot reach the SMTP server %(host)s:%(port)s: %(error)s") % {
        "host": "127.0.0.1", "port": port, "error": ""}
    assert OutboxItem.objects.get(message=reply).last_error.startswith(expected)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.QUEUED


def test_line_breaks_in_the_subject_and_names_cannot_inject_headers(inbox, world, sink):
    first = receive_mail(inbox, customer_mail(subject="Halo =?utf-8?q?=0D=0ABcc=3A_korban=40contoh=2Eid?="))
    Conversation.objects.filter(pk=first.conversation_id).update(subject="Halo\r\nBcc: korban@contoh.id\r\nX: y")
    world.admin.display_name = "Admin\r\nBcc: korban2@contoh.id"
    world.admin.save(update_fields=["display_name"])
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")
    send(reply)

    (captured,) = sink.captured
    assert captured.message.get_all("Bcc") is None
    assert captured.message.get_all("X") is None
    assert sorted(captured.rcpt_tos) == ["siti@contoh.id"]
    assert "\n" not in captured.message["Subject"]
    # The name is still one quoted display name of the one From address.
    assert [a.addr_spec for a in captured.message["From"].addresses] == [SUPPORT]


def test_attachments_travel_with_their_names_and_types(first, world, sink):
    reply, _dup = services.reply_to_conversation(
        actor=world.actor, conversation=first.conversation, text="Terlampir resinya.",
        attachments=[InboundAttachment(filename="resi JNE.pdf", content_type="application/pdf", content=b"%PDF-1.4 x"),
                     InboundAttachment(filename="foto.jpg", content_type="image/jpeg", content=b"\xff\xd8\xff")])
    send(reply)

    (captured,) = sink.captured
    files = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in captured.message.iter_attachments()]
    assert files == [("resi JNE.pdf", "application/pdf", b"%PDF-1.4 x"), ("foto.jpg", "image/jpeg", b"\xff\xd8\xff")]


def test_the_acknowledgement_is_marked_as_automatic_and_carries_the_ticket_token(inbox, sink):
    Inbox.objects.filter(pk=inbox.pk).update(settings={**inbox.settings, "acknowledgement": {"enabled": True}})
    inbox.refresh_from_db()
    first = receive_mail(inbox, customer_mail())
    ack = Message.objects.get(conversation=first.conversation, direction="out")
    send(ack)

    (captured,) = sink.captured
    assert captured.message["Auto-Submitted"] == "auto-replied"
    assert captured.message["X-Auto-Response-Suppress"] == "All"
    assert captured.message["Subject"] == f"Re: Paket belum sampai [#{first.conversation.number}]"
    assert captured.message["From"].addresses[0].display_name == "Email dukungan"
    assert captured.rcpt_tos == ["siti@contoh.id"]


def test_a_reply_to_the_inboxs_own_address_is_refused_and_nothing_is_written(first, api):
    before = Message.objects.count()
    for field in ("to", "cc", "bcc"):
        response = api.post(f"/conversations/{first.conversation_id}/reply",
                            {"text": "Halo", field: ["Halo@TokoMaju.test"]})
        assert response.status_code == 400
        assert response.json()["error"]["field"] == field
    assert Message.objects.count() == before
    assert not OutboxItem.objects.exists()


def test_an_inbox_without_smtp_settings_sends_through_the_mail_backend(world, mailoutbox):
    Inbox.objects.filter(pk=world.email_inbox.pk).update(settings={"addresses": [SUPPORT]})
    world.email_inbox.refresh_from_db()
    first = receive_mail(world.email_inbox, customer_mail())
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation,
                                                 text="Halo", bcc=["arsip@contoh.id"])

    assert send(reply) == OutboxStatus.SENT
    (sent,) = mailoutbox
    assert sent.recipients() == ["siti@contoh.id", "arsip@contoh.id"]
    wire = sent.message().as_bytes()
    assert b"arsip@contoh.id" not in wire
    assert f"[#{first.conversation.number}]".encode() in wire


def test_the_installations_smtp_backend_relays_for_inboxes_without_settings(world, sink, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "cs@tokomaju.test", "rahasia-smtp"
    Inbox.objects.filter(pk=world.email_inbox.pk).update(settings={"addresses": [SUPPORT]})
    world.email_inbox.refresh_from_db()
    first = receive_mail(world.email_inbox, customer_mail())
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation,
                                                 text="Halo", bcc=["arsip@contoh.id"])

    assert send(reply) == OutboxStatus.SENT
    (captured,) = sink.captured
    assert (captured.login, sorted(captured.rcpt_tos)) == ("cs@tokomaju.test", ["arsip@contoh.id", "siti@contoh.id"])
    assert b"arsip@contoh.id" not in captured.data
    reply.refresh_from_db()
    assert reply.provider_message_id == captured.message["Message-ID"]


# --- round trips: what Layan sent comes back -------------------------------------------------


def test_the_customers_answer_threads_by_headers_and_again_by_the_subject_token_alone(first, world, sink):
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")
    send(reply)
    sent = sink.captured[0].message
    conversation = first.conversation

    by_headers = receive_mail(first.inbox, customer_mail(
        subject=f"Re: {sent['Subject']}", message_id="<siti-2@contoh.id>", text="Terima kasih.",
        headers=[("In-Reply-To", sent["Message-ID"]), ("References", f"<siti-1@contoh.id> {sent['Message-ID']}")]))
    by_token = receive_mail(first.inbox, customer_mail(
        subject=f"RE: {sent['Subject']}", message_id="<siti-3@contoh.id>", text="Satu lagi."))
    by_reply_to = receive_mail(first.inbox, customer_mail(
        to=sent["Reply-To"].addresses[0].addr_spec, subject="pertanyaan baru", message_id="<siti-4@contoh.id>"))

    assert {by_headers.conversation_id, by_token.conversation_id, by_reply_to.conversation_id} == {conversation.pk}
    assert Conversation.objects.count() == 1


def test_a_ccd_colleague_answering_lands_in_the_conversation_as_themselves(first, world, sink):
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")
    send(reply)
    sent = sink.captured[0].message

    answer = receive_mail(first.inbox, customer_mail(
        sender="Dewi <dewi@contoh.id>", to=SUPPORT, cc="siti@contoh.id", subject=f"Re: {sent['Subject']}",
        message_id="<dewi-1@contoh.id>", headers=[("In-Reply-To", sent["Message-ID"])]))

    assert answer.conversation_id == first.conversation_id
    assert answer.author_customer.name == "Dewi"
    assert answer.author_customer_id != first.author_customer_id


def test_a_bounce_of_a_sent_reply_marks_it_failed_and_opens_nothing(first, world, sink):
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")
    send(reply)
    sent_id = sink.captured[0].message["Message-ID"]
    dsn = (
        f"From: MAILER-DAEMON@mx.contoh.id\r\nTo: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.contoh.id>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.contoh.id\r\n\r\n"
        "Final-Recipient: rfc822; siti@contoh.id\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        "Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {sent_id}\r\nTo: siti@contoh.id\r\n\r\n--b--\r\n"
    ).encode()

    assert receive_mail(first.inbox, dsn) is None
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "mailbox full" in reply.delivery_error
    assert InboundEvent.objects.filter(status="processed").count() == 2
    assert Conversation.objects.count() == 1


# --- signing in: TLS and XOAUTH2 -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_tls_to_a_relay_whose_certificate_is_trusted(first, world, tmp_path, monkeypatch, mode):
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the default context trusts exactly this server
    with SmtpSink(tls=(cert, key), mode=mode) as secure:
        secure.handler.password = ("cs@tokomaju.test", "rahasia-smtp")
        settings = {**first.inbox.settings, "smtp": {**first.inbox.settings["smtp"], "port": secure.port,
                                                     "host": "localhost",
                                                     "security": "starttls" if mode == "starttls" else "tls"}}
        Inbox.objects.filter(pk=first.inbox_id).update(settings=settings)
        reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")
        assert send(reply) == OutboxStatus.SENT
    assert len(secure.captured) == 1


def test_an_untrusted_certificate_is_never_sent_to(first, world, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    with SmtpSink(tls=(cert, key), mode="implicit") as secure:
        settings = {**first.inbox.settings, "smtp": {**first.inbox.settings["smtp"], "port": secure.port,
                                                     "host": "localhost", "security": "tls"}}
        Inbox.objects.filter(pk=first.inbox_id).update(settings=settings)
        reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")
        assert send(reply) == OutboxStatus.QUEUED
    assert secure.captured == []
    assert "CERTIFICATE_VERIFY_FAILED" in OutboxItem.objects.get(message=reply).last_error


@pytest.fixture
def oauth_inbox(first, sink, monkeypatch):
    """The inbox signing in to the relay with XOAUTH2; `use(endpoint)` points it at a token endpoint."""
    refresh = f"refresh-{first.pk}-{id(sink)}"  # unique: a shared Redis cache must not answer for it
    monkeypatch.setenv("LAYAN_TEST_REFRESH_TOKEN", refresh)
    monkeypatch.setenv("LAYAN_TEST_CLIENT_SECRET", "klien-rahasia")

    def use(endpoint: OAuthEndpoint):
        smtp = {"host": "127.0.0.1", "port": sink.port, "security": "none", "username": "cs@tokomaju.test",
                "oauth2": {"provider": "google", "token_url": endpoint.token_url, "client_id": "layan-klien",
                           "client_secret_env": "LAYAN_TEST_CLIENT_SECRET",
                           "refresh_token_env": "LAYAN_TEST_REFRESH_TOKEN"}}
        Inbox.objects.filter(pk=first.inbox_id).update(settings={**first.inbox.settings, "smtp": smtp})
        return refresh

    return use


def test_xoauth2_refreshes_the_access_token_once_and_signs_in_with_it(first, world, sink, oauth_inbox):
    sink.handler.bearer = ("cs@tokomaju.test", "akses-1")
    with OAuthEndpoint(token=(200, {"access_token": "akses-1", "expires_in": 3600, "token_type": "Bearer"})) as tokens:
        refresh = oauth_inbox(tokens)
        for text in ("Satu", "Dua"):
            reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation,
                                                         text=text)
            assert send(reply) == OutboxStatus.SENT

    assert tokens.token_requests() == [{"grant_type": "refresh_token", "client_id": "layan-klien",
                                "client_secret": "klien-rahasia", "refresh_token": refresh}]
    assert [c.login for c in sink.captured] == ["cs@tokomaju.test", "cs@tokomaju.test"]


def test_a_revoked_refresh_token_fails_the_message_with_the_providers_reason(first, world, sink, oauth_inbox):
    answer = (400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    with OAuthEndpoint(token=answer) as tokens:
        oauth_inbox(tokens)
        reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Halo")
        assert send(reply) == OutboxStatus.FAILED

    reply.refresh_from_db()
    assert "invalid_grant Token has been expired or revoked." in reply.delivery_error
    assert sink.captured == []
