"""An agent answers an email in a real browser: the composer shows To, CC and BCC, the reply goes
out through a real SMTP relay on 127.0.0.1 (tests/smtp_sink.py) with BCC in no header, and a
refused address is explained without losing what was typed."""

from __future__ import annotations

import re

import pytest

from layan.accounts.actors import Actor
from layan.accounts.services import create_agent, create_workspace
from layan.connectors.ingress import process_inbound_event, store_raw_email
from layan.connectors.services import create_inbox
from layan.conversations.models import Conversation, Message
from smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-sekali-2026"
SUPPORT = "cs@tokomaju.test"
CUSTOMER_MAIL = (
    b"From: Siti Rahma <siti@contoh.id>\r\nTo: cs@tokomaju.test\r\nCc: Dewi <dewi@contoh.id>\r\n"
    b"Subject: Paket belum sampai\r\nMessage-ID: <siti-1@contoh.id>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Sudah seminggu, mohon dicek.\r\n\r\nPada Sen, 2 Nov 2026 pukul 09.00, Toko Maju <cs@tokomaju.test> menulis:\r\n"
    b"> Pesanan Anda sudah dikirim.\r\n"
)


@pytest.fixture
def relay():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def mailbox(server_side, relay):
    """A workspace with an agent and an email inbox relaying to the sink; the customer has written."""

    def setup():
        workspace = create_workspace(name="Toko Maju")
        agent = create_agent(workspace=workspace, email="budi@tokomaju.id", role="admin",
                             display_name="Budi Santoso", password=PASSWORD)
        inbox = create_inbox(actor=Actor.for_agent(agent), kind="email", name="Email CS", settings={
            "addresses": [SUPPORT], "smtp": {"host": "127.0.0.1", "port": relay.port, "security": "none"}})
        event, _created = store_raw_email(inbox=inbox, raw=CUSTOMER_MAIL, source="test")
        process_inbound_event(event_id=event.pk)
        return agent, Conversation.objects.get()

    return server_side(setup)


def log_in(page, email):
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_an_agent_replies_with_cc_and_bcc_and_solves_from_the_conversation_page(page, mailbox, relay, server_side):
    agent, conversation = mailbox
    log_in(page, agent.user.email)
    page.click("text=Paket belum sampai")
    page.wait_for_url(re.compile(rf"/c/{conversation.number}/$"))

    assert "Sudah seminggu, mohon dicek." in page.inner_text(".thread")
    quoted = page.locator("details .quoted")
    assert not quoted.is_visible()  # quoted history is one click away
    page.click("text=Tampilkan teks kutipan")
    assert "Pesanan Anda sudah dikirim." in quoted.inner_text()
    assert page.input_value("#reply-to") == "siti@contoh.id"
    assert page.input_value("#reply-cc") == "dewi@contoh.id"
    page.fill("#reply-bcc", "arsip@tokomaju-arsip.test")
    page.fill("#reply-text", "Baik Kak Siti, paket dikirim ulang hari ini.")
    page.click("text=Kirim dan selesaikan")

    page.wait_for_selector("[data-testid=bcc]")
    assert page.inner_text("[data-testid=status]") == "Selesai"
    assert "arsip@tokomaju-arsip.test" in page.inner_text("[data-testid=bcc]")
    (sent,) = relay.captured
    assert sorted(sent.rcpt_tos) == ["arsip@tokomaju-arsip.test", "dewi@contoh.id", "siti@contoh.id"]
    assert sent.message.get_all("Bcc") is None
    assert b"arsip@" not in sent.data
    assert sent.message["Subject"] == f"Re: Paket belum sampai [#{conversation.number}]"
    assert server_side(lambda: Message.objects.get(direction="out").delivery_status) == "sent"


def test_a_bad_address_is_explained_and_the_text_is_kept(page, mailbox, relay, server_side):
    agent, conversation = mailbox
    log_in(page, agent.user.email)
    page.goto(f"/c/{conversation.number}/")
    page.fill("#reply-cc", "dewi@contoh.id, bukan alamat@")
    page.fill("#reply-text", "Jawaban panjang yang tidak boleh hilang.")
    page.click("button[value=send]")

    assert page.get_by_role("alert").is_visible()
    assert page.input_value("#reply-text") == "Jawaban panjang yang tidak boleh hilang."
    assert relay.captured == []
    assert server_side(lambda: Message.objects.filter(direction="out").count()) == 0


def test_a_canned_reply_is_inserted_with_slash_and_its_shortcut(page, mailbox, relay, server_side):
    from layan.automation.services import create_canned_reply

    agent, conversation = mailbox
    server_side(lambda: create_canned_reply(
        actor=Actor.for_agent(agent), shortcut="ongkir", title="Ongkos kirim",
        text="Halo Kak {customer_name}, ongkir ke seluruh Jawa gratis."))
    log_in(page, agent.user.email)
    page.goto(f"/c/{conversation.number}/")

    page.click("#reply-text")
    page.keyboard.type("Baik. /ong")
    page.wait_for_selector("#canned-list [role=option]")
    assert page.inner_text("#canned-list [aria-selected=true]") == "/ongkir Ongkos kirim"
    page.keyboard.press("Enter")

    assert page.input_value("#reply-text") == "Baik. Halo Kak Siti Rahma, ongkir ke seluruh Jawa gratis."
    assert page.locator("#canned-list").is_hidden()
