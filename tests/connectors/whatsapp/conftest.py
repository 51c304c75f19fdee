"""A WhatsApp inbox connected to the fake Graph API (connectors/whatsapp/fake_provider.py) on 127.0.0.1."""

from __future__ import annotations

import pytest
from wa_helpers import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, WABA_ID

from layan.connectors.models import Inbox
from layan.connectors.services import configure_inbox, create_inbox
from layan.connectors.whatsapp.fake_provider import FakeGraphApi


@pytest.fixture
def graph():
    with FakeGraphApi(access_token=ACCESS_TOKEN) as fake:
        yield fake


@pytest.fixture
def inbox(world, graph, monkeypatch) -> Inbox:
    monkeypatch.setenv("LAYAN_TEST_WA_SECRET", APP_SECRET)
    monkeypatch.setenv("LAYAN_TEST_WA_VERIFY", VERIFY_TOKEN)
    monkeypatch.setenv("LAYAN_TEST_WA_TOKEN", ACCESS_TOKEN)
    inbox = create_inbox(actor=world.actor, kind="whatsapp", name="WhatsApp 0811-0000-1111")
    configure_inbox(actor=world.actor, inbox=inbox, values={
        "phone_number_id": PHONE_NUMBER_ID, "business_account_id": WABA_ID,
        "app_secret_env": "LAYAN_TEST_WA_SECRET", "verify_token_env": "LAYAN_TEST_WA_VERIFY",
        "access_token_env": "LAYAN_TEST_WA_TOKEN", "graph_url": graph.url, "api_version": "v21.0"})
    return inbox




@pytest.fixture(autouse=True)
def _english_settings(settings):
    """Provider reasons and labels are written in the active language when a worker records them;
    these tests assert the exact English words, whatever the Indonesian catalogue says."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    yield
    translation.activate("en")
