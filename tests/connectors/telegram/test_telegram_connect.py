"""`layan telegram connect INBOX` against the fake Bot API: getMe checks the token and the bot,
setWebhook gets the public webhook URL and the inbox's secret."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from layan.connectors.services import configure_inbox
from layan.connectors.telegram.connection import ALLOWED_UPDATES

from .conftest import BOT_TOKEN, SECRET_TOKEN


@pytest.fixture(autouse=True)
def _public_address(settings):
    settings.LAYAN_BASE_URL = "https://layan.tokomaju.test"


def connect(reference) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("telegram", "connect", str(reference), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_connect_checks_the_token_and_sets_the_webhook_with_the_secret(inbox, bot_api):
    out, err = connect(inbox.public_id)

    url = f"https://layan.tokomaju.test/hooks/telegram/{inbox.public_id}/"
    assert [r.path for r in bot_api.requests] == [f"/bot{BOT_TOKEN}/getMe", f"/bot{BOT_TOKEN}/setWebhook"]
    assert bot_api.requests[1].json() == {"url": url, "secret_token": SECRET_TOKEN, "allowed_updates": ALLOWED_UPDATES}
    assert out.strip() == f"Telegram @tokomaju_cs_bot: @tokomaju_cs_bot now sends its updates to {url}"
    assert err == ""


def test_connect_finds_the_inbox_by_its_id_or_name_too(inbox, bot_api):
    connect(inbox.pk)
    connect(inbox.name)

    assert len(bot_api.calls("setWebhook")) == 2


def test_a_plain_http_address_is_set_but_warned_about(inbox, bot_api, settings):
    settings.LAYAN_BASE_URL = "http://127.0.0.1:8000"

    _out, err = connect(inbox.public_id)

    assert "https://" in err
    assert bot_api.webhook["url"] == f"http://127.0.0.1:8000/hooks/telegram/{inbox.public_id}/"


def test_a_token_telegram_refuses_sets_no_webhook(inbox, bot_api, monkeypatch):
    monkeypatch.setenv("LAYAN_TEST_TG_TOKEN", "999:salah")

    with pytest.raises(CommandError, match="Telegram refused: 401 Unauthorized"):
        connect(inbox.public_id)
    assert bot_api.calls("setWebhook") == []


def test_a_token_of_another_bot_sets_no_webhook(inbox, bot_api, world):
    configure_inbox(actor=world.actor, inbox=inbox, values={"bot_username": "@toko_lain_bot"})

    with pytest.raises(CommandError, match="The token belongs to @tokomaju_cs_bot, not to @toko_lain_bot."):
        connect(inbox.public_id)
    assert bot_api.calls("setWebhook") == []


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("LAYAN_TEST_TG_TOKEN", None, "LAYAN_TEST_TG_TOKEN holding the bot token is not set"),
    ("LAYAN_TEST_TG_SECRET", None, "LAYAN_TEST_TG_SECRET holding the webhook secret is not set"),
    ("LAYAN_TEST_TG_SECRET", "rahasia dengan spasi", "may only have 1 to 256 letters, digits, _ and -"),
])
def test_missing_or_unusable_secrets_stop_before_calling_telegram(inbox, bot_api, monkeypatch, variable, value,
                                                                  message):
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)

    with pytest.raises(CommandError, match=message):
        connect(inbox.public_id)
    assert bot_api.requests == []


def test_an_unknown_inbox_is_named_in_the_error(inbox):
    with pytest.raises(CommandError, match="No Telegram inbox with the id, public id or name Tidak ada"):
        connect("Tidak ada")
