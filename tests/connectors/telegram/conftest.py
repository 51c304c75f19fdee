"""A Telegram inbox wired to the fake Bot API on 127.0.0.1, and the webhook as Telegram calls it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from layan.connectors.ingress import process_inbound_event
from layan.connectors.models import Inbox
from layan.connectors.services import configure_inbox, create_inbox
from layan.connectors.telegram.fake_provider import TelegramBotApiFake

PAYLOADS = Path(__file__).parent / "payloads"
BOT_TOKEN = "123456789:AAE-rahasia-bot-uji"  # noqa: S105 - the fake's token
SECRET_TOKEN = "rahasia-webhook_toko-maju"  # noqa: S105 - a test secret
CHAT_ID = 582914736


def payload(name: str) -> bytes:
    return (PAYLOADS / f"{name}.json").read_bytes()


@pytest.fixture
def bot_api():
    with TelegramBotApiFake(token=BOT_TOKEN, bot_username="tokomaju_cs_bot") as fake:
        yield fake


@pytest.fixture
def inbox(world, bot_api, monkeypatch) -> Inbox:
    monkeypatch.setenv("LAYAN_TEST_TG_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("LAYAN_TEST_TG_SECRET", SECRET_TOKEN)
    inbox = create_inbox(actor=world.actor, kind="telegram", name="Telegram @tokomaju_cs_bot")
    configure_inbox(actor=world.actor, inbox=inbox, values={
        "bot_username": "tokomaju_cs_bot", "bot_token_env": "LAYAN_TEST_TG_TOKEN",
        "secret_token_env": "LAYAN_TEST_TG_SECRET", "api_base_url": bot_api.url})
    return inbox


def post(inbox, body: bytes, secret: str | None = SECRET_TOKEN):
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return Client().post(f"/hooks/telegram/{inbox.public_id}/", data=body, content_type="application/json",
                         headers=headers)


def deliver(inbox, body: bytes):
    """The webhook as Telegram calls it, then the processing the queue does after commit."""
    response = post(inbox, body)
    assert response.status_code == 200, response.content
    process_inbound_event(event_id=response.json()["event_id"])
    return response


@pytest.fixture(autouse=True)
def _english_settings(settings):
    """Provider reasons and labels are written in the active language when a worker records them;
    these tests assert the exact English words, whatever the Indonesian catalogue says."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    yield
    translation.activate("en")
