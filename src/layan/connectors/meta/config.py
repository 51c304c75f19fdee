"""The settings Messenger and Instagram inboxes share: the Meta app's secrets (named by the
environment variables holding them), the Graph API's address and version."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.connectors.config import InboxConfig

GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v21.0"


class MetaMessagingConfig(InboxConfig):
    app_secret_env = models.CharField(
        _("app secret (environment variable)"), max_length=100, blank=True,
        help_text=_("The variable holding the Meta app's secret, which signs every webhook delivery."))
    verify_token_env = models.CharField(
        _("verify token (environment variable)"), max_length=100, blank=True,
        help_text=_("The variable holding the token Meta echoes when it subscribes the webhook."))
    page_access_token_env = models.CharField(
        _("access token (environment variable)"), max_length=100, blank=True,
        help_text=_("The variable holding the access token replies are sent with."))
    graph_url = models.URLField(_("Graph API URL"), max_length=300, default=GRAPH_URL)
    api_version = models.CharField(_("Graph API version"), max_length=16, default=API_VERSION)

    secret_env_fields = ("app_secret_env", "verify_token_env", "page_access_token_env")

    class Meta:
        abstract = True

    @property
    def account_id(self) -> str:  # pragma: no cover - each platform names its own
        raise NotImplementedError
