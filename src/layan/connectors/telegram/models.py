"""The settings of one Telegram bot inbox: which bot, where its token and webhook secret live."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.connectors.config import InboxConfig

BOT_API_URL = "https://api.telegram.org"


class TelegramConfig(InboxConfig):
    bot_username = models.CharField(
        _("bot username"), max_length=64, blank=True,
        help_text=_("The bot's @username, as BotFather shows it; `layan telegram connect` checks it."))
    bot_token_env = models.CharField(
        _("bot token variable"), max_length=128, blank=True,
        help_text=_("The environment variable holding the bot token from BotFather."))
    secret_token_env = models.CharField(
        _("webhook secret variable"), max_length=128, blank=True,
        help_text=_("The environment variable holding the webhook secret (1-256 letters, digits, _ or -)."))
    api_base_url = models.URLField(
        _("Bot API URL"), max_length=300, default=BOT_API_URL,
        help_text=_("Telegram's Bot API, or a local Bot API server (or the fake provider in tests)."))

    secret_env_fields = ("bot_token_env", "secret_token_env")
    editable_fields = ("bot_username", "bot_token_env", "secret_token_env", "api_base_url")

    class Meta:
        verbose_name = _("Telegram settings")
        verbose_name_plural = _("Telegram settings")

    def __str__(self):
        return f"@{self.bot_username}" if self.bot_username else str(self.inbox_id)
