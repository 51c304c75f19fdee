"""An SMS inbox's settings: which provider carries its messages and the account there. The auth
token lives in the environment; the row only names the variable."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.connectors.config import InboxConfig

TWILIO_API = "https://api.twilio.com"


class SmsProviderChoice(models.TextChoices):
    TWILIO = "twilio", _("Twilio")


class SmsConfig(InboxConfig):
    provider = models.CharField(_("SMS provider"), max_length=16, choices=SmsProviderChoice.choices,
                                default=SmsProviderChoice.TWILIO)
    account_sid = models.CharField(_("account SID"), max_length=64, blank=True)
    auth_token_env = models.CharField(
        _("auth token variable"), max_length=100, blank=True,
        help_text=_("The environment variable holding the account's auth token."))
    from_number = models.CharField(_("sender number"), max_length=20, blank=True,
                                   help_text=_("The inbox's number in E.164 form, e.g. +6281100001111."))
    messaging_service_sid = models.CharField(
        _("messaging service SID"), max_length=64, blank=True,
        help_text=_("Sends through a Twilio Messaging Service instead of one number."))
    api_base_url = models.URLField(_("API base URL"), max_length=200, default=TWILIO_API)
    fetch_media = models.BooleanField(_("download MMS media"), default=True)

    secret_env_fields = ("auth_token_env",)

    class Meta:
        verbose_name = _("SMS settings")
        verbose_name_plural = _("SMS settings")

    def __str__(self):
        return self.from_number or self.messaging_service_sid or self.account_sid

    def clean(self):
        from layan.customers.normalise import normalise_phone
        from layan.errors import InvalidInput

        if not self.from_number and not self.messaging_service_sid:
            raise ValidationError({"from_number": _("Give a sender number or a messaging service SID.")})
        if self.from_number:
            try:
                self.from_number = normalise_phone(self.from_number)
            except InvalidInput as exc:
                raise ValidationError({"from_number": exc.message}) from exc
