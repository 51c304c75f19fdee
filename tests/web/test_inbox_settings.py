"""The inbox settings pages over real HTTP: admins see each inbox's webhook URL in the one scheme
(/hooks/<kind>/<public id>/) ready to copy, create inboxes, and nobody else gets in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from layan.accounts.models import AuditEntry
from layan.connectors.models import Inbox


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.fixture
def base_url(settings):
    settings.LAYAN_BASE_URL = "https://layan.tokomaju.id"
    return settings.LAYAN_BASE_URL


def test_the_list_shows_every_webhook_inbox_with_its_url_in_the_one_scheme(world, base_url):
    response = browser(world.admin).get("/settings/inboxes/")

    assert response.status_code == 200
    urls = re.findall(r"<code>(https://[^<]+)</code>", response.content.decode())
    assert urls == [f"{base_url}/hooks/email/{world.email_inbox.public_id}/",
                    f"{base_url}/hooks/whatsapp/{world.whatsapp_inbox.public_id}/"]


def test_an_inbox_page_offers_its_webhook_url_ready_to_copy(world, base_url):
    response = browser(world.admin).get(f"/settings/inboxes/{world.whatsapp_inbox.public_id}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert (f'<input id="webhook-url" data-testid="webhook-url" '
            f'value="{base_url}/hooks/whatsapp/{world.whatsapp_inbox.public_id}/" readonly>') in html
    assert 'data-copy="#webhook-url"' in html


def test_an_admin_creates_an_inbox_and_lands_on_its_page(world):
    response = browser(world.admin).post("/settings/inboxes/new", {"kind": "telegram", "name": "Telegram @tokomaju"})

    inbox = Inbox.objects.get(name="Telegram @tokomaju")
    assert (inbox.kind, inbox.workspace_id) == ("telegram", world.workspace.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/settings/inboxes/{inbox.public_id}/"
    assert AuditEntry.objects.filter(action="inbox.created", object_id=str(inbox.pk)).exists()


def test_a_duplicate_name_or_unknown_kind_is_refused_with_a_message_and_nothing_written(world):
    client = browser(world.admin)
    before = Inbox.objects.count()
    for data in ({"kind": "email", "name": "Email dukungan"}, {"kind": "fax", "name": "Faks"}):
        response = client.post("/settings/inboxes/new", data, follow=True)
        assert response.status_code == 200
        assert 'class="error"' in response.content.decode()
    assert Inbox.objects.count() == before


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_only_admins_see_or_change_inbox_settings(world, role):
    client = browser(getattr(world, role))
    before = Inbox.objects.count()

    assert client.get("/settings/inboxes/").status_code == 403
    assert client.get(f"/settings/inboxes/{world.whatsapp_inbox.public_id}/").status_code == 403
    assert client.post("/settings/inboxes/new", {"kind": "sms", "name": "SMS"}).status_code == 403
    assert Inbox.objects.count() == before
    assert "/settings/inboxes/" not in client.get("/").content.decode()


def test_another_workspaces_inbox_is_not_found(world, other_world):
    response = browser(world.admin).get(f"/settings/inboxes/{other_world.whatsapp_inbox.public_id}/")

    assert response.status_code == 404
