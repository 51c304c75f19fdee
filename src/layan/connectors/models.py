"""Inboxes (one per channel account: a support address, a WhatsApp number, a chat widget) and the
raw inbound events every channel stores before it processes them."""

import secrets
import string
import uuid

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


_PUBLIC_ID_ALPHABET = string.ascii_letters + string.digits


def _public_id() -> str:
    # Letters and digits only: an id that began with "-" read as an option on the command line
    # (`layan email fetch -x…`), and one with "_" or "-" is easy to mis-copy from a settings page.
    return "".join(secrets.choice(_PUBLIC_ID_ALPHABET) for _ in range(16))


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


class InboundEventStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be processed")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")  # kept on purpose without a message: a loop, our own mail, a bounce
    REJECTED = "rejected", _("Rejected")  # unusable input (no sender, ...): kept with the reason
    FAILED = "failed", _("Failed")  # processing kept failing: kept with the error for an operator


def inbound_payload_path(instance, filename):
    stamp = now()
    return f"inbound/{instance.workspace_id}/{stamp:%Y/%m}/{uuid.uuid4().hex}"


class InboundEvent(models.Model):
    """What a channel delivered, stored as it came before anything reads it: the raw payload is
    the truth a message is made from, so a bug downstream never loses what was received."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="inbound_events", verbose_name=_("inbox"))
    source = models.CharField(_("source"), max_length=16)  # imap, smtp, webhook, ...
    # The provider's id for this delivery, where it has one: a retried delivery is stored once.
    event_id = models.CharField(_("event ID"), max_length=255, null=True, blank=True)
    payload = models.FileField(_("payload"), upload_to=inbound_payload_path, max_length=300)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("sha256"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=InboundEventStatus.choices,
                              default=InboundEventStatus.PENDING)
    # Why it was ignored, rejected or failed; empty when processed.
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Who sent it (an email address, a phone number), filled in when processed; per-sender limits count it.
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    received_at = models.DateTimeField(_("received"), default=now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        constraints = [
            models.UniqueConstraint(fields=["inbox", "event_id"], condition=models.Q(event_id__isnull=False),
                                    name="inbound_event_unique_provider_id"),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_event_pending_idx"),
            models.Index(fields=["inbox", "sender", "received_at"], name="inbound_event_sender_idx"),
            models.Index(fields=["workspace", "-id"], name="inbound_event_recent_idx"),
        ]

    def __str__(self):
        return f"{self.source} {self.pk} ({self.status})"


# Channel config models live with their connector; imported here so Django finds them.
from layan.connectors.api_channel.models import ApiChannelConfig  # noqa: E402, F401
from layan.connectors.instagram.models import InstagramConfig  # noqa: E402, F401
from layan.connectors.messenger.models import MessengerConfig  # noqa: E402, F401
from layan.connectors.sms.models import SmsConfig  # noqa: E402, F401
from layan.connectors.telegram.models import TelegramConfig  # noqa: E402, F401
from layan.connectors.voice.models import Call, VoiceConfig  # noqa: E402, F401
from layan.connectors.webform.models import WebFormConfig  # noqa: E402, F401

# Each channel's config model lives in its package; importing it here registers it with this app.
from layan.connectors.whatsapp.models import WhatsAppConfig, WhatsAppTemplate  # noqa: E402, F401
