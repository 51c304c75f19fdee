"""A WhatsApp inbox's connection to Meta (one Cloud API phone number) and the message templates
Meta approved for it, copied by the sync so the composer can offer them outside the 24-hour window."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Workspace
from layan.connectors.config import InboxConfig

GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v21.0"


class WhatsAppConfig(InboxConfig):
    phone_number_id = models.CharField(_("phone number ID"), max_length=64, blank=True,
                                       help_text=_("The Cloud API phone number ID replies are sent from."))
    business_account_id = models.CharField(_("business account ID"), max_length=64, blank=True,
                                           help_text=_("The WhatsApp Business Account (WABA) ID; templates are "
                                                       "read from it."))
    app_secret_env = models.CharField(_("app secret variable"), max_length=128, blank=True,
                                      help_text=_("Environment variable holding the Meta app secret that signs "
                                                  "webhooks."))
    verify_token_env = models.CharField(_("verify token variable"), max_length=128, blank=True,
                                        help_text=_("Environment variable holding the webhook verify token."))
    access_token_env = models.CharField(_("access token variable"), max_length=128, blank=True,
                                        help_text=_("Environment variable holding the system user's access "
                                                    "token."))
    graph_url = models.URLField(_("Graph API URL"), max_length=300, default=GRAPH_URL)
    api_version = models.CharField(_("Graph API version"), max_length=16, default=API_VERSION)

    secret_env_fields = ("app_secret_env", "verify_token_env", "access_token_env")

    class Meta:
        verbose_name = _("WhatsApp settings")
        verbose_name_plural = _("WhatsApp settings")

    def __str__(self):
        return self.phone_number_id or str(self.inbox_id)

    def api_base(self) -> str:
        """`<graph url>/<version>`, the prefix of every Cloud API call."""
        return f"{(self.graph_url or GRAPH_URL).rstrip('/')}/{self.api_version or API_VERSION}"


class TemplateStatus(models.TextChoices):
    APPROVED = "APPROVED", _("Approved")
    PENDING = "PENDING", _("Pending review")
    REJECTED = "REJECTED", _("Rejected")
    PAUSED = "PAUSED", _("Paused")
    DISABLED = "DISABLED", _("Disabled")
    OTHER = "OTHER", _("Other")


class WhatsAppTemplate(models.Model):
    """One template in one language, as Meta last described it; the sync replaces every field."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    inbox = models.ForeignKey("connectors.Inbox", on_delete=models.CASCADE, related_name="whatsapp_templates",
                              verbose_name=_("inbox"))
    provider_id = models.CharField(_("Meta template ID"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=512)
    language = models.CharField(_("language"), max_length=16)
    category = models.CharField(_("category"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=TemplateStatus.choices)
    body_text = models.TextField(_("body text"), blank=True)
    # How many {{n}} placeholders the body has: a send must fill exactly this many.
    parameter_count = models.PositiveSmallIntegerField(_("parameter count"), default=0)
    components = models.JSONField(_("components"), default=list, blank=True)
    synced_at = models.DateTimeField(_("synced"), default=now)

    class Meta:
        verbose_name = _("WhatsApp template")
        verbose_name_plural = _("WhatsApp templates")
        constraints = [
            models.UniqueConstraint(fields=["inbox", "name", "language"], name="whatsapp_template_unique_name"),
        ]
        indexes = [models.Index(fields=["inbox", "status"], name="whatsapp_template_status_idx")]

    def __str__(self):
        return f"{self.name} ({self.language})"
