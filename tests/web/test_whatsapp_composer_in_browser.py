"""In a real browser: on a WhatsApp conversation whose 24-hour window has closed, the composer offers
only the template picker; choosing a template asks for its parameters, previews the message as the
customer will read it, and sends it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from layan.accounts.actors import Actor
from layan.accounts.services import create_agent, create_workspace
from layan.connectors.services import create_inbox
from layan.connectors.whatsapp.fake_provider import DEFAULT_TEMPLATES
from layan.connectors.whatsapp.services import store_templates
from layan.conversations.models import Conversation, Message
from layan.conversations.services import create_conversation
from layan.customers.services import IdentityInput

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-sekali-2026"


@pytest.fixture
def closed_window(server_side):
    def setup():
        workspace = create_workspace(name="Toko Nusantara")
        agent = create_agent(workspace=workspace, email="rina@tokonusantara.id", role="agent",
                             display_name="Rina", password=PASSWORD)
        inbox = create_inbox(actor=Actor.for_agent(agent), kind="whatsapp", name="WhatsApp CS")
        store_templates(inbox=inbox, items=DEFAULT_TEMPLATES)
        conversation = create_conversation(
            actor=Actor.for_agent(agent), inbox=inbox, subject="Pesanan INV-2041", text="Pesanan saya kapan dikirim?",
            customer_name="Siti", customer_identities=[IdentityInput("whatsapp", "0812-3456-7890")]).conversation
        Conversation.objects.filter(pk=conversation.pk).update(
            last_customer_message_at=timezone.now() - timedelta(hours=30))
        return agent, conversation

    return server_side(setup)


def test_a_closed_window_sends_a_previewed_template(page, closed_window, server_side):
    agent, conversation = closed_window
    page.goto("/login/")
    page.fill("#id_username", agent.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/c/{conversation.number}/")

    assert page.locator("#reply-text").count() == 0
    assert page.locator("[data-testid=reply-window]").is_visible()
    page.select_option("#template-select", "status_pesanan|id")
    fields = page.locator("#template-parameters input")
    assert fields.count() == 2
    fields.nth(0).fill("Siti")
    assert page.inner_text("[data-testid=template-preview]") == "Halo Siti, pesanan {{2}} sudah kami kirim hari ini."
    fields.nth(1).fill("INV-2041")
    assert page.inner_text("[data-testid=template-preview]") == "Halo Siti, pesanan INV-2041 sudah kami kirim hari ini."
    page.click("button[value=send_template]")

    page.wait_for_selector("text=Halo Siti, pesanan INV-2041 sudah kami kirim hari ini.")
    reply = server_side(lambda: Message.objects.get(direction="out"))
    assert reply.metadata["whatsapp"]["template"]["parameters"] == ["Siti", "INV-2041"]
