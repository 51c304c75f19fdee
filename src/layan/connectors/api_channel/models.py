"""An API-channel inbox's settings: the env var holding the shared signing secret, and where
Layan posts the replies (the company's receiver)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.connectors.config import InboxConfig


class ApiChannelConfig(InboxConfig):
    signing_secret_env = models.CharField(
        _("signing secret (environment variable)"), max_length=100, blank=True,
        help_text=_("The name of the environment variable that holds the shared secret both sides sign with."))
    reply_webhook_url = models.URLField(
        _("reply webhook URL"), max_length=500, blank=True,
        help_text=_("Where Layan posts agents' replies; empty: replies are only recorded."))
    timeout = models.PositiveSmallIntegerField(
        _("timeout (seconds)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(60)])

    secret_env_fields = ("signing_secret_env",)

    class Meta:
        verbose_name = _("API channel settings")
        verbose_name_plural = _("API channel settings")

    def clean(self):
        if self.reply_webhook_url and urlsplit(self.reply_webhook_url).scheme not in ("http", "https"):
            raise ValidationError({"reply_webhook_url": _("The reply webhook URL must be http or https.")})
