"""Customers and their channel identities (one customer, many ways to reach them)."""

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Tag, Workspace


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    VIP = "vip", _("VIP")


class ChannelKind(models.TextChoices):
    """Channels a customer can prefer (and consent to be contacted on)."""

    EMAIL = "email", _("Email")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    TELEGRAM = "telegram", _("Telegram")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    LIVECHAT = "livechat", _("Live chat")


class Customer(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="customers", verbose_name=_("workspace"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="id")
    timezone = models.CharField(_("timezone"), max_length=64, default="Asia/Jakarta")
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    # {"email": true, "whatsapp": false, ...}: consent to proactive messages per channel.
    consent = models.JSONField(_("consent"), default=dict, blank=True)
    preferred_channel = models.CharField(_("preferred channel"), max_length=16, choices=ChannelKind.choices,
                                         blank=True)
    notes = models.TextField(_("notes"), blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_from", verbose_name=_("merged into"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["workspace", "-id"], name="customer_recent_idx"),
            models.Index(fields=["workspace", "name"], name="customer_name_idx"),
        ]

    def __str__(self):
        return self.name or f"#{self.pk}"


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    LIVECHAT = "livechat", _("Live chat")
    EXTERNAL = "external", _("External system")


class Identity(models.Model):
    """One way to reach a customer. ``value`` is normalised (E.164 phone, lower-cased email)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    display_value = models.CharField(_("as given"), max_length=320, blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "kind", "value"], name="identity_unique_per_workspace"),
        ]
        indexes = [models.Index(fields=["workspace", "value"], name="identity_value_idx")]

    def __str__(self):
        return f"{self.kind}:{self.value}"
