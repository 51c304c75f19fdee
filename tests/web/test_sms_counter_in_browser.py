"""The SMS counter under the composer, in a real browser: as the agent types it shows
"N characters · M SMS (encoding)", and the script counts exactly as connectors/sms/segments.py."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from layan.accounts.actors import Actor
from layan.accounts.services import create_agent, create_workspace
from layan.connectors.base import InboundMessage
from layan.connectors.services import create_inbox
from layan.connectors.sms.segments import count_segments, summary
from layan.conversations.services import receive_inbound_message

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-sekali-2026"
TEXTS = [
    "",
    "Terima kasih, pesanan Anda sudah dikirim.",
    "Harga €5, kode promo {HEMAT} [berlaku] ~ hari ini | ^_^ \\o/",
    "Paket sudah sampai? 👍🙏",
    "a" * 160,
    "a" * 161,
    "€" * 81,
    "a" * 152 + "€" + "a" * 10,
    "x" * 66 + "😀" + "x" * 10,
    "Café à São Paulo, ’kutipan’ dan “tanda petik”",
    "Baris satu\nBaris dua\n\nSalam, Toko Maju",
    "Ḽơᶉëᶆ ȋṕšᶙṁ 👩‍👩‍👧 🇮🇩",
]


@pytest.fixture
def sms_conversation(server_side):
    def setup():
        workspace = create_workspace(name="Toko Maju")
        agent = create_agent(workspace=workspace, email="budi@tokomaju.id", role="admin",
                             display_name="Budi Santoso", password=PASSWORD)
        inbox = create_inbox(actor=Actor.for_agent(agent), kind="sms", name="SMS CS")
        received = receive_inbound_message(inbox=inbox, inbound=InboundMessage(
            sender_kind="phone", sender_value="+6281234567890", provider_message_id="SMbrowser1",
            text="Halo, paket saya belum sampai."))
        return agent, received.conversation

    return server_side(setup)


def open_conversation(page, agent, conversation):
    page.goto("/login/")
    page.fill("#id_username", agent.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/c/{conversation.number}/")


def test_the_script_counts_every_text_exactly_as_the_server(page, sms_conversation):
    open_conversation(page, *sms_conversation)

    counted = page.evaluate("texts => texts.map(t => window.layanSmsSegments(t))", TEXTS)

    assert counted == [count_segments(text).as_dict() for text in TEXTS]


def test_the_counter_follows_the_agents_typing(page, sms_conversation):
    open_conversation(page, *sms_conversation)
    with translation.override(page.get_attribute("html", "lang")):
        assert page.inner_text("#sms-counter") == summary("")
        for text in ("Baik Kak, kami cek dulu.", "Paket sudah sampai? 👍", "€" * 81):
            page.fill("#reply-text", text)
            assert page.inner_text("#sms-counter") == summary(text)
    assert page.get_attribute("#sms-counter", "data-remaining") == str(count_segments("€" * 81).remaining)


def test_typing_key_by_key_counts_the_same(page, sms_conversation):
    open_conversation(page, *sms_conversation)
    page.click("#reply-text")
    page.keyboard.type("Ongkir {gratis} ~ hari ini")

    with translation.override(page.get_attribute("html", "lang")):
        assert page.inner_text("#sms-counter") == summary("Ongkir {gratis} ~ hari ini")
