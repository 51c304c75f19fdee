"""The composer of an SMS conversation, server-rendered: the SMS counter is there from the first
paint (and keeps counting a refused reply's text); other channels have none."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from layan.connectors.services import create_inbox
from layan.connectors.sms.segments import summary


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def sms_conversation(world, receive):
    inbox = create_inbox(actor=world.actor, kind="sms", name="SMS CS")
    return receive(inbox, "+6281234567890", kind="phone", text="Halo, paket saya belum sampai.").conversation


def counter(page: str) -> tuple[str, str]:
    """(the page's language, the counter's text)."""
    language = re.search(r'<html lang="([^"]+)"', page).group(1)
    return language, re.search(r'<p id="sms-counter"[^>]*>([^<]*)</p>', page).group(1)


def test_an_sms_conversation_shows_the_counter_from_the_first_paint(world, receive):
    conversation = sms_conversation(world, receive)

    language, shown = counter(browser(world.admin).get(f"/c/{conversation.number}/").content.decode())

    with translation.override(language):
        assert shown == summary("")


def test_a_refused_reply_keeps_its_text_and_its_count(world, receive):
    conversation = sms_conversation(world, receive)
    text = "Pesanan dikirim 🙏" + "x" * 100
    too_many_files = [SimpleUploadedFile(f"foto-{i}.jpg", b"x") for i in range(11)]

    response = browser(world.admin).post(f"/c/{conversation.number}/", {
        "text": text, "key": "k1", "action": "send", "attachments": too_many_files})

    assert response.status_code == 400
    language, shown = counter(response.content.decode())
    with translation.override(language):
        assert shown == summary(text)


def test_an_email_conversation_has_no_sms_counter(world, receive):
    conversation = receive(world.email_inbox, "siti@contoh.id").conversation

    page = browser(world.admin).get(f"/c/{conversation.number}/").content.decode()

    assert 'id="sms-counter"' not in page
