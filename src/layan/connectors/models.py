"""Inboxes: one per channel account (a support address, a WhatsApp number, a chat widget)."""

import secrets

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Team, Workspace


class InboxKind(models.TextChoices):
    EMAIL = "email", _("Email")
    LIVECHAT = "livechat", _("Live chat")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    VOICE = "voice", _("Phone")
    WEBFORM = "webform", _("Web form")
    API = "api", _("API")


class ThreadingPolicy(models.TextChoices):
    # A new message from a customer joins their open conversation in this inbox, if any.
    REUSE_OPEN = "reuse_open", _("Continue the customer's open conversation")
    # Every inbound message without a thread hint starts a conversation (web forms, tickets).
    ALWAYS_NEW = "always_new", _("Always start a new conversation")


def _public_id() -> str:
    return secrets.token_urlsafe(12)


class Inbox(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inboxes", verbose_name=_("workspace"))
    kind = models.CharField(_("kind"), max_length=16, choices=InboxKind.choices)
    name = models.CharField(_("name"), max_length=120)
    # Opaque id used in public URLs (webhooks, widget); never the database id.
    public_id = models.CharField(max_length=32, unique=True, default=_public_id, editable=False, verbose_name=_("public ID"))
    default_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("default team"))
    threading_policy = models.CharField(_("threading"), max_length=16, choices=ThreadingPolicy.choices,
                                        default=ThreadingPolicy.REUSE_OPEN)
    # A reply to a solved conversation reopens it within this many days, else starts a new one.
    reopen_window_days = models.PositiveIntegerField(_("reopen window (days)"), default=7)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="inbox_unique_name_per_workspace"),
        ]

    def __str__(self):
        return self.name

