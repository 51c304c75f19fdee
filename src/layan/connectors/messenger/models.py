"""A Messenger inbox's settings: which Facebook Page it answers for and where its secrets are."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.connectors.meta.config import MetaMessagingConfig


class MessengerConfig(MetaMessagingConfig):
    page_id = models.CharField(_("Facebook Page ID"), max_length=64, blank=True,
                               help_text=_("Deliveries for other Pages are ignored."))

    editable_fields = ("page_id", "app_secret_env", "verify_token_env", "page_access_token_env", "graph_url",
                       "api_version")

    class Meta:
        app_label = "connectors"
        verbose_name = _("Messenger settings")
        verbose_name_plural = _("Messenger settings")

    def __str__(self):
        return f"Messenger {self.page_id}"

    @property
    def account_id(self) -> str:
        return self.page_id
