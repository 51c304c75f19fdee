"""Connecting an inbox's bot to Telegram: getMe proves the token (and that it is the bot the
inbox names), then setWebhook points the bot's updates at `/hooks/telegram/<public id>/` on the
site's public address (`LAYAN_BASE_URL`) with the inbox's secret token."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from layan.connectors.models import Inbox
from layan.connectors.selectors import inbox_config, webhook_path
from layan.connectors.telegram.api import BotApi, BotApiError, BotApiUnreachable

SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts
ALLOWED_UPDATES = ["message", "edited_message"]  # what Layan reads; Telegram keeps the rest back


class ConnectError(Exception):
    pass


@dataclass(frozen=True)
class Connected:
    bot_username: str
    webhook_url: str
    warnings: tuple[str, ...] = ()


def webhook_url(inbox: Inbox) -> str:
    return f"{settings.LAYAN_BASE_URL}{webhook_path(inbox=inbox)}"


def connect_bot(*, inbox: Inbox) -> Connected:
    config = inbox_config(inbox=inbox)
    if config is None:
        raise ConnectError(_("The inbox has no Telegram settings yet: set bot_token_env and secret_token_env."))
    token, secret = config.secret("bot_token_env"), config.secret("secret_token_env")
    if not token:
        raise ConnectError(_("The environment variable %(name)s holding the bot token is not set.")
                           % {"name": config.bot_token_env or "bot_token_env"})
    if not secret:
        raise ConnectError(_("The environment variable %(name)s holding the webhook secret is not set.")
                           % {"name": config.secret_token_env or "secret_token_env"})
    if not SECRET_TOKEN.fullmatch(secret):
        raise ConnectError(_("The webhook secret may only have 1 to 256 letters, digits, _ and -."))
    api = BotApi(base_url=config.api_base_url, token=token)
    try:
        bot = api.call("getMe") or {}
        username = str(bot.get("username") or "")
        expected = config.bot_username.strip().lstrip("@")
        if expected and username.lower() != expected.lower():
            raise ConnectError(_("The token belongs to @%(actual)s, not to @%(expected)s.")
                               % {"actual": username, "expected": expected})
        url = webhook_url(inbox)
        api.call("setWebhook", {"url": url, "secret_token": secret, "allowed_updates": ALLOWED_UPDATES})
    except BotApiError as exc:
        raise ConnectError(_("Telegram refused: %(reason)s") % {"reason": exc.reason}) from exc
    except BotApiUnreachable as exc:
        raise ConnectError(_("Telegram could not be reached: %(error)s") % {"error": exc}) from exc
    warnings = ()
    if not url.startswith("https://"):
        warnings = (_("Telegram delivers updates only to https:// addresses; set LAYAN_BASE_URL to the "
                      "site's public https address."),)
    return Connected(bot_username=username, webhook_url=url, warnings=warnings)
