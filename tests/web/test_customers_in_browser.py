"""An agent finds a customer by a phone number written their own way in a real browser, opens the
profile, sees the customer's conversations and opens one."""

from __future__ import annotations

import re

import pytest

from layan.accounts.actors import Actor
from layan.accounts.services import create_agent, create_workspace
from layan.connectors.services import create_inbox
from layan.conversations.services import create_conversation
from layan.customers.services import IdentityInput, create_customer

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-sekali-2026"


@pytest.fixture
def shop(server_side):
    """A workspace with an agent and a WhatsApp customer who has written twice; another customer too."""

    def setup():
        workspace = create_workspace(name="Toko Maju")
        admin = create_agent(workspace=workspace, email="admin@tokomaju.id", role="admin", display_name="Admin")
        agent = create_agent(workspace=workspace, email="budi@tokomaju.id", role="agent",
                             display_name="Budi Santoso", password=PASSWORD)
        actor = Actor.for_agent(admin)
        inbox = create_inbox(actor=actor, kind="whatsapp", name="WhatsApp CS")
        siti = create_customer(actor=actor, name="Siti Rahma", tier="gold",
                               identities=[IdentityInput("whatsapp", "+6281234567890")])
        create_customer(actor=actor, name="Rina", identities=[IdentityInput("email", "rina@contoh.id")])
        first = create_conversation(actor=actor, inbox=inbox, customer=siti, subject="Paket belum sampai",
                                    text="Sudah seminggu, mohon dicek.").conversation
        second = create_conversation(actor=actor, inbox=inbox, customer=siti, subject="Tukar ukuran",
                                     text="Bisa tukar ke ukuran L?").conversation
        return agent, siti, first, second

    return server_side(setup)


def log_in(page, email):
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_an_agent_finds_a_customer_by_phone_opens_the_profile_and_one_of_their_conversations(page, shop):
    agent, siti, first, second = shop
    log_in(page, agent.user.email)

    page.click("header nav a[href='/customers/']")
    page.wait_for_url(re.compile(r"/customers/$"))
    assert page.locator("tr.customer").count() == 2
    page.fill("#q", "0812-3456-7890")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/customers/\?q="))

    rows = page.locator("tr.customer")
    assert rows.count() == 1
    assert "+6281234567890" in rows.inner_text()
    assert rows.locator("[data-testid=conversation-count]").inner_text() == "2"
    rows.locator(f"a[href='/customers/{siti.pk}/']").click()
    page.wait_for_url(re.compile(rf"/customers/{siti.pk}/$"))

    assert page.inner_text("[data-testid=customer-name]") == "Siti Rahma"
    listed = page.locator("#customer-conversations tr").all_inner_texts()
    assert [text.split("\t")[0].strip() for text in listed] == [str(second.number), str(first.number)]
    page.click("text=Paket belum sampai")
    page.wait_for_url(re.compile(rf"/c/{first.number}/$"))
    assert "Sudah seminggu, mohon dicek." in page.inner_text(".thread")
    page.click(f".conversation-side a[href='/customers/{siti.pk}/']")  # and back to the profile
    page.wait_for_url(re.compile(rf"/customers/{siti.pk}/$"))
