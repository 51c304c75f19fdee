"""The inbound SMTP listener on a real socket, spoken to with smtplib: mail for an inbox's address
becomes a conversation, anything else is refused (no relay), and a mail is acknowledged only once
it is stored, so that a failure makes the sender retry instead of losing it.

Transactional tests: the listener stores from its own threads, as it does in production.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from layan.connectors import ingress
from layan.connectors.email.smtpd import inbox_for_address, smtp_controller
from layan.connectors.models import InboundEvent, Inbox
from layan.connectors.services import create_inbox
from layan.conversations.models import Conversation, Message
from layan.customers.models import Identity

pytestmark = pytest.mark.django_db(transaction=True)

LAYAN = Path(sys.executable).parent / "layan"
SENDER = "siti.rahma@contoh.id"
CORPUS = Path(__file__).parent / "corpus"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mail(subject: str = "Tanya stok", to: str = "cs@tokobatik.co.id", message_id: str = "<smtp-1@contoh.id>",
         text: str = "Halo, batik tulis motif parang ukuran L masih ada?") -> bytes:
    return (f"From: Siti Rahmawati <{SENDER}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Mon, 03 Nov 2026 10:15:00 +0700\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"
            ).encode()


@pytest.fixture
def inboxes(world):
    """The world's email inbox with two addresses, and a second email inbox for sales."""
    Inbox.objects.filter(pk=world.email_inbox.pk).update(
        settings={"addresses": ["cs@tokobatik.co.id", "Halo@TokoBatik.co.id"]})
    sales = create_inbox(actor=world.actor, kind="email", name="Email penjualan")
    Inbox.objects.filter(pk=sales.pk).update(settings={"addresses": ["sales@tokobatik.co.id"]})
    return Inbox.objects.get(pk=world.email_inbox.pk), Inbox.objects.get(pk=sales.pk)


@pytest.fixture
def listener(settings):
    """`listener()` starts the listener on a free port and returns it; stopped after the test."""
    started = []

    def start():
        controller = smtp_controller(host="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


def client(controller) -> smtplib.SMTP:
    return smtplib.SMTP(controller.hostname, controller.port, timeout=10)


def test_mail_to_an_inbox_address_becomes_a_conversation(inboxes, listener):
    support, _sales = inboxes
    raw = mail()
    with client(listener()) as smtp:
        refused = smtp.sendmail(SENDER, ["cs@tokobatik.co.id"], raw)

    assert refused == {}
    event = InboundEvent.objects.get()
    assert (event.inbox_id, event.source, event.status) == (support.pk, "smtp", "processed")
    assert ingress.read_payload(event) == raw
    message = Message.objects.get(inbox=support)
    assert message.text == "Halo, batik tulis motif parang ukuran L masih ada?"
    assert message.conversation.subject == "Tanya stok"
    assert list(Identity.objects.filter(customer=message.conversation.customer).values_list("kind", "value")) == [
        ("email", SENDER)]


def test_a_real_world_mail_is_stored_byte_for_byte(inboxes, listener):
    support, _sales = inboxes
    raw = (CORPUS / "064-inline-image-and-pdf-outlook.eml").read_bytes().replace(b"\r\n", b"\n").replace(
        b"\n", b"\r\n")
    with client(listener()) as smtp:
        smtp.sendmail(SENDER, ["cs@tokobatik.co.id"], raw)

    assert ingress.read_payload(InboundEvent.objects.get(inbox=support)) == raw
    assert Message.objects.filter(inbox=support).count() == 1


def test_plus_addressed_and_differently_cased_addresses_reach_their_inbox(inboxes):
    support, sales = inboxes

    assert inbox_for_address("CS+pesanan-118@TokoBatik.co.id") == support
    assert inbox_for_address("halo@tokobatik.co.id") == support
    assert inbox_for_address("sales@tokobatik.co.id") == sales
    assert inbox_for_address("xcs@tokobatik.co.id") is None
    assert inbox_for_address("cs@tokobatik.co.id.evil.test") is None
    assert inbox_for_address("cs@contoh.id") is None


def test_an_inactive_inbox_receives_nothing(inboxes):
    support, _sales = inboxes
    Inbox.objects.filter(pk=support.pk).update(is_active=False)

    assert inbox_for_address("cs@tokobatik.co.id") is None


def test_mail_to_an_unknown_address_is_refused_with_550_and_nothing_is_stored(inboxes, listener):
    with client(listener()) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp.sendmail(SENDER, ["someone@gmail.com", "lain@tokobatik.co.id"], mail())

    assert refused.value.recipients == {
        "someone@gmail.com": (550, b"5.1.1 <someone@gmail.com>: no such mailbox here"),
        "lain@tokobatik.co.id": (550, b"5.1.1 <lain@tokobatik.co.id>: no such mailbox here"),
    }
    assert InboundEvent.objects.count() == 0
    assert Conversation.objects.count() == 0


def test_only_the_accepted_recipients_get_the_mail(inboxes, listener):
    support, _sales = inboxes
    with client(listener()) as smtp:
        refused = smtp.sendmail(SENDER, ["someone@gmail.com", "CS+order@tokobatik.co.id"], mail())

    assert refused == {"someone@gmail.com": (550, b"5.1.1 <someone@gmail.com>: no such mailbox here")}
    assert list(InboundEvent.objects.values_list("inbox_id", flat=True)) == [support.pk]


def test_mail_to_addresses_of_two_inboxes_is_stored_once_per_inbox(inboxes, listener):
    support, sales = inboxes
    with client(listener()) as smtp:
        smtp.sendmail(SENDER, ["cs@tokobatik.co.id", "halo@tokobatik.co.id", "sales@tokobatik.co.id"],
                      mail(to="cs@tokobatik.co.id, sales@tokobatik.co.id"))

    assert sorted(InboundEvent.objects.values_list("inbox_id", flat=True)) == [support.pk, sales.pk]
    assert sorted(Message.objects.values_list("inbox_id", flat=True)) == [support.pk, sales.pk]


def test_a_failure_while_storing_answers_451_and_the_resent_mail_is_stored(inboxes, listener, monkeypatch):
    support, _sales = inboxes
    store = ingress.store_raw_email
    calls = []

    def fail_once(**kwargs):
        calls.append(kwargs["inbox"].pk)
        if len(calls) == 1:
            raise OSError("disk full")
        return store(**kwargs)

    monkeypatch.setattr(ingress, "store_raw_email", fail_once)
    controller = listener()
    with client(controller) as smtp, pytest.raises(smtplib.SMTPDataError) as failed:
        smtp.sendmail(SENDER, ["cs@tokobatik.co.id"], mail())

    assert (failed.value.smtp_code, failed.value.smtp_error) == (451, b"4.3.0 try again later")
    assert InboundEvent.objects.count() == 0

    with client(controller) as smtp:
        assert smtp.sendmail(SENDER, ["cs@tokobatik.co.id"], mail()) == {}

    assert list(InboundEvent.objects.values_list("inbox_id", flat=True)) == [support.pk]
    assert Message.objects.filter(inbox=support).count() == 1


def test_a_resend_after_a_partial_failure_does_not_store_twice(inboxes, listener, monkeypatch):
    # The first inbox stored the mail, the second failed: the sender resends to both.
    support, sales = inboxes
    store = ingress.store_raw_email
    failed_once = []

    def fail_sales_once(**kwargs):
        if kwargs["inbox"].pk == sales.pk and not failed_once:
            failed_once.append(True)
            raise OSError("disk full")
        return store(**kwargs)

    monkeypatch.setattr(ingress, "store_raw_email", fail_sales_once)
    controller = listener()
    recipients = ["cs@tokobatik.co.id", "sales@tokobatik.co.id"]
    with client(controller) as smtp, pytest.raises(smtplib.SMTPDataError):
        smtp.sendmail(SENDER, recipients, mail())
    with client(controller) as smtp:
        smtp.sendmail(SENDER, recipients, mail())

    assert sorted(InboundEvent.objects.values_list("inbox_id", flat=True)) == [support.pk, sales.pk]
    assert Message.objects.count() == 2


def test_mail_over_the_size_limit_is_refused_with_552(inboxes, listener, settings):
    settings.LAYAN_MAX_EMAIL_BYTES = 2000
    controller = listener()
    big = mail(text="\r\n".join(["Foto kerusakan barang terlampir."] * 100))

    with client(controller) as smtp:
        # A client that declares the size is refused at MAIL FROM ...
        with pytest.raises(smtplib.SMTPSenderRefused) as declared:
            smtp.sendmail(SENDER, ["cs@tokobatik.co.id"], big)
        assert declared.value.smtp_code == 552
    with client(controller) as smtp:
        # ... and one that does not, when the data passes the limit.
        smtp.ehlo()
        assert smtp.mail(SENDER)[0] == 250
        assert smtp.rcpt("cs@tokobatik.co.id")[0] == 250
        assert smtp.data(big)[0] == 552

    assert InboundEvent.objects.count() == 0


@pytest.mark.slow
def test_layan_smtpd_listens_refuses_unknown_addresses_and_stops_on_sigterm(tmp_path):
    """The command as a real process on its own embedded database (the test database lives in
    this process): it says where it listens, answers SMTP, and a SIGTERM stops it cleanly."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(LAYAN_DATA_DIR=str(tmp_path), LAYAN_LANGUAGE="en")
    subprocess.run([str(LAYAN), "migrate", "-v0"], env=env, check=True, timeout=120, capture_output=True)
    port = free_port()
    process = subprocess.Popen([str(LAYAN), "smtpd", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first_line = process.stdout.readline()
        assert first_line.strip() == (f"Receiving mail on 127.0.0.1:{port} (at most 60 MB per mail). "
                                      "Stop with Ctrl+C.")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            code, features = smtp.ehlo()
            assert code == 250
            assert b"SIZE 62914560" in features
            assert smtp.mail(SENDER)[0] == 250
            assert smtp.rcpt("someone@gmail.com") == (550, b"5.1.1 <someone@gmail.com>: no such mailbox here")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read().strip() == "Stopped receiving mail."
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
