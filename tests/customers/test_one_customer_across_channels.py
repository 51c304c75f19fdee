"""One customer, one timeline across channels: a customer who writes on WhatsApp and, once an agent
has added their email address, later by email is one customer whose page and API show both
conversations, newest first.

End to end through the real paths: Meta's WhatsApp payload signed and posted to the real webhook
URL, the agent's own forms and API, and real MIME spoken over SMTP to the inbound listener on
127.0.0.1. Transactional: the listener stores mail from its own threads, as in production.
"""

from __future__ import annotations

import json
import re
import smtplib
import socket
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from layan.connectors.email.smtpd import smtp_controller
from layan.connectors.ingress import process_inbound_event
from layan.connectors.meta.webhooks import sign
from layan.connectors.services import configure_inbox
from layan.connectors.whatsapp.fake_provider import FakeGraphApi
from layan.conversations.models import Conversation, Message
from layan.customers.models import Customer, Identity

pytestmark = pytest.mark.django_db(transaction=True)

WHATSAPP_PAYLOADS = Path(__file__).parents[1] / "connectors" / "whatsapp" / "payloads"
APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN = "rahasia-aplikasi-meta", "token-verifikasi", "EAAG-akses"
PHONE_NUMBER_ID, WABA_ID = "106540352242922", "102290129340398"
SUPPORT_ADDRESS = "support@tokomaju.test"  # the world's email inbox
ADDRESS_AS_WRITTEN = "Siti.Rahma@Example.co.id"
ADDRESS = "siti.rahma@example.co.id"
WHATSAPP_NUMBER = "+6281234567890"  # the sender of Meta's text_message sample


@pytest.fixture(autouse=True)
def _english(settings):
    """Exact English words in the pages; a request through the test client activates the default."""
    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def whatsapp_inbox(world, monkeypatch):
    """The world's WhatsApp inbox connected to a fake Graph API on 127.0.0.1."""
    monkeypatch.setenv("LAYAN_TEST_WA_SECRET", APP_SECRET)
    monkeypatch.setenv("LAYAN_TEST_WA_VERIFY", VERIFY_TOKEN)
    monkeypatch.setenv("LAYAN_TEST_WA_TOKEN", ACCESS_TOKEN)
    with FakeGraphApi(access_token=ACCESS_TOKEN) as graph:
        configure_inbox(actor=world.actor, inbox=world.whatsapp_inbox, values={
            "phone_number_id": PHONE_NUMBER_ID, "business_account_id": WABA_ID,
            "app_secret_env": "LAYAN_TEST_WA_SECRET", "verify_token_env": "LAYAN_TEST_WA_VERIFY",
            "access_token_env": "LAYAN_TEST_WA_TOKEN", "graph_url": graph.url, "api_version": "v21.0"})
        yield world.whatsapp_inbox


@pytest.fixture
def smtp_listener():
    """The inbound SMTP listener on a free loopback port, stopped after the test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = smtp_controller(host="127.0.0.1", port=port)
    controller.start()
    yield controller
    controller.stop()


def whatsapp_message_arrives(inbox, *, text: str | None = None) -> Message:
    """Meta's text message sample (Siti Rahayu, 6281234567890), signed with the app secret and posted
    to the inbox's webhook URL, then processed as the queue would after commit."""
    sample = json.loads((WHATSAPP_PAYLOADS / "text_message.json").read_text(encoding="utf-8"))
    if text is not None:
        sample["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    body = json.dumps(sample).encode()
    response = Client().post(f"/hooks/whatsapp/{inbox.public_id}/", data=body, content_type="application/json",
                             headers={"X-Hub-Signature-256": sign(body, APP_SECRET)})
    assert response.status_code == 200, response.content
    process_inbound_event(event_id=response.json()["event_id"])
    return Message.objects.get(inbox=inbox, direction="in")


def email_arrives(listener, *, sender: str, subject: str, text: str) -> None:
    raw = (f"From: Siti Rahma <{sender}>\r\nTo: {SUPPORT_ADDRESS}\r\nSubject: {subject}\r\n"
           f"Date: Tue, 02 Dec 2025 09:30:00 +0700\r\nMessage-ID: <pesanan-118@example.co.id>\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           f"Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n").encode()
    with smtplib.SMTP(listener.hostname, listener.port, timeout=10) as smtp:
        assert smtp.sendmail(sender, [SUPPORT_ADDRESS], raw) == {}


def logged_in(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def timeline_rows(page: str) -> list[tuple[int, str]]:
    """(conversation number, channel) of each row of the customer page's conversations, in order."""
    return [(int(number), channel) for number, channel in re.findall(
        r'<tr data-conversation="(\d+)">.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>', page, flags=re.S)]


CHANNEL_LABELS = {"email": "Email", "whatsapp": "WhatsApp"}


def assert_one_customer_with_one_timeline(world, customer: Customer, *newest_first: Conversation) -> None:
    """One customer (not merged away) with both identities, whose page, API detail and API
    conversations list show ``newest_first`` in that order, each conversation's side panel
    pointing to the others."""
    assert list(Customer.objects.filter(workspace=world.workspace, merged_into__isnull=True)
                .values_list("pk", flat=True)) == [customer.pk]
    assert sorted(Identity.objects.filter(customer=customer).values_list("kind", "value")) == [
        ("email", ADDRESS), ("whatsapp", WHATSAPP_NUMBER)]
    assert sorted(c.channel for c in newest_first) == ["email", "whatsapp"]
    assert [c.customer_id for c in newest_first] == [customer.pk] * len(newest_first)

    # The customer's page in the agent workspace.
    page = logged_in(world.agent).get(f"/customers/{customer.pk}/")
    assert page.status_code == 200
    assert timeline_rows(page.content.decode()) == [(c.number, CHANNEL_LABELS[c.channel]) for c in newest_first]

    # The API: the customer with both identities, and its conversations.
    api = world.api("agent")
    detail = api.get(f"/customers/{customer.pk}")
    assert detail.status_code == 200
    assert sorted((i["kind"], i["value"]) for i in detail.json()["identities"]) == [
        ("email", ADDRESS), ("whatsapp", WHATSAPP_NUMBER)]
    listed = api.get(f"/customers/{customer.pk}/conversations")
    assert listed.status_code == 200
    assert [(c["number"], c["channel"], c["customer"]["id"]) for c in listed.json()["items"]] == [
        (c.number, c.channel, customer.pk) for c in newest_first]

    # Each conversation's side panel points to the other channel's conversation.
    for conversation in newest_first:
        side = logged_in(world.agent).get(f"/c/{conversation.number}/").content.decode()
        for other in newest_first:
            if other.pk != conversation.pk:
                assert f'href="/c/{other.number}/">#{other.number} ' in side


def test_whatsapp_customer_writing_later_by_email_is_one_customer_with_one_timeline(
        world, whatsapp_inbox, smtp_listener):
    # Given a customer who writes on WhatsApp
    first = whatsapp_message_arrives(whatsapp_inbox)
    customer = first.author_customer
    assert list(Identity.objects.filter(customer=customer).values_list("kind", "value")) == [
        ("whatsapp", WHATSAPP_NUMBER)]
    assert customer.name == "Siti Rahayu"

    # and an agent who adds their email address through the API, as they gave it
    added = world.api("agent").post(f"/customers/{customer.pk}/identities",
                                    {"kind": "email", "value": ADDRESS_AS_WRITTEN})
    assert added.status_code == 201, added.content
    assert [(i["kind"], i["value"], i["display_value"]) for i in added.json()["identities"]] == [
        ("whatsapp", WHATSAPP_NUMBER, WHATSAPP_NUMBER), ("email", ADDRESS, ADDRESS_AS_WRITTEN)]

    # When the customer later writes by email from that address, in mixed case
    email_arrives(smtp_listener, sender=ADDRESS_AS_WRITTEN, subject="Pesanan belum sampai",
                  text="Halo, ini Siti. Paket dengan resi JNE 0123456789 belum sampai juga.")

    # Then it lands on the same customer, in a new email conversation
    email = Conversation.objects.get(inbox=world.email_inbox)
    assert email.subject == "Pesanan belum sampai"
    assert list(email.messages.values_list("direction", "author_customer_id")) == [("in", customer.pk)]
    assert_one_customer_with_one_timeline(world, customer, email, first.conversation)


def test_an_address_given_in_the_whatsapp_chat_and_added_from_the_conversation_page_joins_the_email(
        world, whatsapp_inbox, smtp_listener):
    # Given a customer who gives their email address in the WhatsApp chat
    first = whatsapp_message_arrives(
        whatsapp_inbox, text=f"Kalau ada kabar, kirim ke email saya ya kak: {ADDRESS_AS_WRITTEN}")
    customer = first.author_customer
    agent = logged_in(world.agent)
    conversation_url = f"/c/{first.conversation.number}/"
    page = agent.get(conversation_url).content.decode()
    assert ADDRESS_AS_WRITTEN in page

    # When the agent reading it adds the address with the conversation's customer panel form
    form = re.search(r'<form method="post" action="([^"]+)" aria-label="Add an email address">(.*?)</form>',
                     page, flags=re.S)
    assert form is not None
    hidden = dict(re.findall(r'<input type="hidden" name="(kind|next)" value="([^"]*)">', form.group(2)))
    assert (form.group(1), hidden) == (f"/customers/{customer.pk}/identities",
                                       {"kind": "email", "next": conversation_url})
    added = agent.post(form.group(1), {**hidden, "value": ADDRESS_AS_WRITTEN})
    assert (added.status_code, added["Location"]) == (302, conversation_url)
    assert f"<li>Email: {ADDRESS}</li>" in agent.get(conversation_url).content.decode()

    # and the customer writes by email from it
    email_arrives(smtp_listener, sender=ADDRESS_AS_WRITTEN, subject="Kabar pesanan",
                  text="Halo kak, saya Siti yang tadi chat di WhatsApp.")

    # Then it is the same customer with one timeline
    email = Conversation.objects.get(inbox=world.email_inbox)
    assert_one_customer_with_one_timeline(world, customer, email, first.conversation)


def test_an_address_that_already_wrote_by_email_is_refused_with_a_merge_suggestion_and_the_merge_joins_them(
        world, whatsapp_inbox, smtp_listener, database_rows):
    # Given a customer who wrote by email first, and later on WhatsApp: two customers so far
    email_arrives(smtp_listener, sender=ADDRESS_AS_WRITTEN, subject="Pesanan belum sampai",
                  text="Halo, paket saya belum sampai.")
    email = Conversation.objects.get(inbox=world.email_inbox)
    by_email = email.customer
    whatsapp = whatsapp_message_arrives(whatsapp_inbox).conversation
    by_whatsapp = whatsapp.customer
    assert by_email.pk != by_whatsapp.pk
    before = database_rows()

    # When an agent adds the address to the WhatsApp customer
    refused = world.api("agent").post(f"/customers/{by_whatsapp.pk}/identities",
                                      {"kind": "email", "value": ADDRESS_AS_WRITTEN},
                                      headers={"HTTP_ACCEPT_LANGUAGE": "en"})

    # Then it is refused, naming the customer who owns it and suggesting the merge, and nothing changes
    assert refused.status_code == 409
    assert refused.json() == {"error": {
        "code": "duplicate", "field": "value",
        "message": f"{ADDRESS} already belongs to another customer. "
                   f"If it is the same person, merge customer #{by_email.pk} into this one."}}
    assert database_rows() == before

    # When a supervisor merges that customer into the WhatsApp one
    merged = world.api("supervisor").post(f"/customers/{by_whatsapp.pk}/merge", {"source_id": by_email.pk})
    assert merged.status_code == 200, merged.content

    # Then it is one customer with one timeline, the WhatsApp conversation newest
    email.refresh_from_db()
    whatsapp.refresh_from_db()
    assert_one_customer_with_one_timeline(world, by_whatsapp, whatsapp, email)
    assert world.api("agent").get(f"/customers/{by_email.pk}").json()["merged_into_id"] == by_whatsapp.pk
