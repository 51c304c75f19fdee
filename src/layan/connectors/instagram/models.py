"""An Instagram inbox's settings: which professional account it answers for and where its secrets are."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.connectors.meta.config import MetaMessagingConfig


class InstagramConfig(MetaMessagingConfig):
    instagram_account_id = models.CharField(_("Instagram account ID"), max_length=64, blank=True,
                                            help_text=_("Deliveries for other accounts are ignored."))

    editable_fields = ("instagram_account_id", "app_secret_env", "verify_token_env", "page_access_token_env",
                       "graph_url", "api_version")

    class Meta:
        app_label = "connectors"
        verbose_name = _("Instagram settings")
        verbose_name_plural = _("Instagram settings")

    def __str__(self):
        return f"Instagram {self.instagram_account_id}"

    @property
    def account_id(self) -> str:
        return self.instagram_account_id
