"""The composer on a WhatsApp conversation (Django's test client): it says until when the 24-hour
window is open, in the viewer's timezone; once closed it offers only the template picker, whose
send is checked by the reply service; admins sync the templates from Meta with one button."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from layan.accounts.models import Agent
from layan.connectors.services import configure_inbox
from layan.connectors.whatsapp.fake_provider import DEFAULT_TEMPLATES, FakeGraphApi
from layan.connectors.whatsapp.models import WhatsAppTemplate
from layan.connectors.whatsapp.services import store_templates
from layan.conversations.models import Conversation, Message
from layan.conversations.services import create_conversation
from layan.customers.services import IdentityInput


@pytest.fixture
def conversation(world) -> Conversation:
    store_templates(inbox=world.whatsapp_inbox, items=DEFAULT_TEMPLATES)
    return create_conversation(actor=world.actor, inbox=world.whatsapp_inbox, subject="Paket", text="Paket saya?",
                               customer_identities=[IdentityInput("whatsapp", "0812-3456-7890")]).conversation


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _window_closing_today_at(conversation, zone: ZoneInfo) -> datetime:
    """Make the window close later today in ``zone`` (before its midnight) and return when."""
    now = timezone.now().astimezone(zone)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    closes = now + (midnight - now) / 2
    Conversation.objects.filter(pk=conversation.pk).update(last_customer_message_at=closes - timedelta(hours=24))
    return closes


def test_an_open_window_says_until_when_in_the_viewers_timezone(world, conversation):
    Agent.objects.filter(pk=world.agent.pk).update(timezone="Asia/Makassar")
    closes = _window_closing_today_at(conversation, ZoneInfo("Asia/Makassar"))
    world.agent.refresh_from_db()

    page = browser(world.agent).get(f"/c/{conversation.number}/").content.decode()

    assert f"Jendela terbuka sampai {closes:%H:%M}" in page or f"Window open until {closes:%H:%M}" in page
    assert 'id="reply-text"' in page  # free text is allowed
    assert 'id="template-select"' in page  # and a template too


def test_a_closed_window_offers_only_the_template_picker(world, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_customer_message_at=timezone.now() - timedelta(days=2))

    page = browser(world.agent).get(f"/c/{conversation.number}/").content.decode()

    assert 'data-testid="reply-window"' in page
    assert 'id="reply-text"' not in page
    assert 'value="status_pesanan|id" data-body="Halo {{1}}, pesanan {{2}} sudah kami kirim hari ini." ' \
           'data-parameters="2"' in page
    assert "promo_akhir_tahun" not in page  # pending at Meta: not offered
    assert "/templates/sync" not in page  # agents do not sync


def test_the_picker_sends_the_template_with_its_parameters(world, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_customer_message_at=timezone.now() - timedelta(days=2))

    response = browser(world.agent).post(f"/c/{conversation.number}/", {
        "action": "send_template", "template": "status_pesanan|id", "template_parameter": ["Siti", "INV-2041"],
        "key": "k1"})

    assert response.status_code == 302
    reply = Message.objects.get(direction="out")
    assert reply.text == "Halo Siti, pesanan INV-2041 sudah kami kirim hari ini."
    assert reply.metadata["whatsapp"]["template"] == {"name": "status_pesanan", "language": "id",
                                                      "parameters": ["Siti", "INV-2041"]}


def test_a_wrong_parameter_count_is_explained_and_nothing_is_sent(world, conversation):
    response = browser(world.agent).post(f"/c/{conversation.number}/", {
        "action": "send_template", "template": "status_pesanan|id", "template_parameter": ["Siti"], "key": "k2"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="template.parameters"' in page
    assert 'name="template_parameter" value="Siti"' in page  # what was typed is kept
    assert Message.objects.filter(direction="out").count() == 0


def test_a_free_reply_on_a_closed_window_is_refused_with_the_reason(world, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(last_customer_message_at=timezone.now() - timedelta(days=2))

    response = browser(world.agent).post(f"/c/{conversation.number}/", {"text": "Halo", "action": "send", "key": "k"})

    assert response.status_code == 409
    assert Message.objects.filter(direction="out").count() == 0


def test_an_admin_syncs_the_templates_from_the_picker(world, conversation, monkeypatch):
    monkeypatch.setenv("LAYAN_TEST_WA_TOKEN", "EAAG-akses")
    with FakeGraphApi(access_token="EAAG-akses", templates=DEFAULT_TEMPLATES[:1]) as graph:
        configure_inbox(actor=world.actor, inbox=world.whatsapp_inbox, values={
            "business_account_id": "102290129340398", "access_token_env": "LAYAN_TEST_WA_TOKEN",
            "graph_url": graph.url})
        page = browser(world.admin).get(f"/c/{conversation.number}/").content.decode()
        assert f'formaction="/whatsapp/inboxes/{world.whatsapp_inbox.pk}/templates/sync"' in page

        response = browser(world.admin).post(f"/whatsapp/inboxes/{world.whatsapp_inbox.pk}/templates/sync",
                                             {"next": f"/c/{conversation.number}/"})

    assert (response.status_code, response["Location"]) == (302, f"/c/{conversation.number}/")
    assert list(WhatsAppTemplate.objects.values_list("name", flat=True)) == ["status_pesanan"]


def test_an_agent_cannot_sync_templates(world, conversation):
    response = browser(world.agent).post(f"/whatsapp/inboxes/{world.whatsapp_inbox.pk}/templates/sync",
                                         {"next": f"/c/{conversation.number}/"})

    assert response.status_code == 302
    assert WhatsAppTemplate.objects.count() == 3  # untouched
