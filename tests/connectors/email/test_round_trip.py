"""A whole email conversation over real sockets, nothing called directly: the customer's mail
reaches Layan's own SMTP listener, the agent answers through the HTTP API, the answer leaves
through the outbox to a relay on 127.0.0.1 (tests/smtp_sink.py), and the customer's and a CC'd
colleague's answers to *that* mail come back through the listener into the same conversation.

Transactional: the listener stores from its own threads and every after-commit step runs for real.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from layan.connectors.email.smtpd import smtp_controller
from layan.connectors.models import Inbox
from layan.conversations.models import Conversation, DeliveryStatus, Message
from smtp_sink import SmtpSink, free_port

pytestmark = pytest.mark.django_db(transaction=True)

SUPPORT = "cs@tokobatik.co.id"


def mail_from(sender: str, *, subject: str, text: str, message_id: str, cc: str = "",
              in_reply_to: str = "", auto: bool = False) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = SUPPORT
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    if auto:
        mail["Auto-Submitted"] = "auto-replied"
    mail.set_content(text)
    return mail.as_bytes()


@pytest.fixture
def relay():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def listener(world, relay):
    Inbox.objects.filter(pk=world.email_inbox.pk).update(threading_policy="always_new", settings={
        "addresses": [SUPPORT], "acknowledgement": {"enabled": True},
        "smtp": {"host": "127.0.0.1", "port": relay.port, "security": "none", "timeout": 10}})
    controller = smtp_controller(host="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


def deliver_to_layan(listener, raw: bytes, sender: str) -> None:
    with smtplib.SMTP(listener.hostname, listener.port, timeout=10) as client:
        assert client.sendmail(sender, [SUPPORT], raw) == {}


def test_an_email_conversation_goes_back_and_forth_over_real_servers(world, listener, relay, api):
    # 1. The customer writes, with a colleague in CC; Layan acknowledges with the ticket number.
    deliver_to_layan(listener, mail_from("Siti Rahma <siti@contoh.id>", cc="Dewi <dewi@contoh.id>",
                                         subject="Batik belum sampai", text="Pesanan #118 belum sampai.",
                                         message_id="<siti-1@contoh.id>"), "siti@contoh.id")
    conversation = Conversation.objects.get()
    (ack,) = relay.captured
    assert ack.message["Auto-Submitted"] == "auto-replied"
    assert ack.rcpt_tos == ["siti@contoh.id"]

    # 2. The agent answers through the API, adding a BCC; the relay gets one mail for all three.
    response = api.post(f"/conversations/{conversation.pk}/reply",
                        {"text": "Kami cek ke kurir ya, Kak.", "bcc": ["gudang@tokobatik-internal.test"]})
    assert response.status_code == 201
    answer = relay.captured[1]
    assert sorted(answer.rcpt_tos) == ["dewi@contoh.id", "gudang@tokobatik-internal.test", "siti@contoh.id"]
    assert b"gudang@" not in answer.data
    sent_id = answer.message["Message-ID"]
    assert Message.objects.get(pk=response.json()["id"]).delivery_status == DeliveryStatus.SENT

    # 3. The customer answers that mail; an auto-reply arrives too; the colleague answers last.
    deliver_to_layan(listener, mail_from("Siti Rahma <siti@contoh.id>", subject=f"Re: {answer.message['Subject']}",
                                         text="Terima kasih!", message_id="<siti-2@contoh.id>", in_reply_to=sent_id),
                     "siti@contoh.id")
    deliver_to_layan(listener, mail_from("Dewi <dewi@contoh.id>", subject="Out of office: Re: Batik",
                                         text="Saya sedang cuti.", message_id="<dewi-ooo@contoh.id>",
                                         in_reply_to=sent_id, auto=True), "dewi@contoh.id")
    deliver_to_layan(listener, mail_from("Dewi <dewi@contoh.id>", subject=f"Re: {answer.message['Subject']}",
                                         text="Saya juga menunggu paketnya.", message_id="<dewi-1@contoh.id>",
                                         in_reply_to=sent_id), "dewi@contoh.id")

    assert Conversation.objects.count() == 1
    inbound = list(Message.objects.filter(conversation=conversation, direction="in").order_by("id")
                   .values_list("text", "author_customer__name"))
    assert inbound == [("Pesanan #118 belum sampai.", "Siti Rahma"), ("Terima kasih!", "Siti Rahma"),
                       ("Saya sedang cuti.", "Dewi"), ("Saya juga menunggu paketnya.", "Dewi")]
    # Only the first mail was acknowledged; nothing answered the auto-reply.
    assert len(relay.captured) == 2
