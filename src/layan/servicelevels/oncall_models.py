"""The 24/7 emergency line: on-call rotations (who is on call when), overrides, and the pages sent
to the on-call agent for an emergency conversation, with one delivery row per SMS/WhatsApp page.
See docs/flows/oncall.md."""

from __future__ import annotations

import zoneinfo
from datetime import time

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Agent, Team, Workspace


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown timezone: %(tz)s") % {"tz": value}) from exc


class ShiftLength(models.IntegerChoices):
    HALF_DAY = 12, _("12 hours (day and night)")
    DAILY = 24, _("Daily")
    WEEKLY = 168, _("Weekly")


class OnCallRotation(models.Model):
    """Members take turns in order, each for ``shift_hours`` of wall-clock time in ``timezone``,
    handing over at ``handover_time``; the first shift starts at ``starts_on`` + ``handover_time``.
    One rotation per team, and at most one for the whole workspace (team empty)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("team"),
                             help_text=_("Empty: the workspace's rotation, for every conversation without a "
                                         "team rotation of its own."))
    name = models.CharField(_("name"), max_length=120)
    timezone = models.CharField(_("timezone"), max_length=64, default="Asia/Jakarta", validators=[validate_timezone])
    shift_hours = models.PositiveSmallIntegerField(_("shift length (hours)"), default=ShiftLength.WEEKLY,
                                                   validators=[MinValueValidator(1), MaxValueValidator(24 * 28)],
                                                   help_text=_("12, 24 (daily) or 168 (weekly), or any number of "
                                                               "hours up to four weeks."))
    handover_time = models.TimeField(_("hand-over time"), default=time(8, 0))
    starts_on = models.DateField(_("first shift starts on"))
    emergency_tag = models.CharField(
        _("emergency tag"), max_length=64, blank=True, default="darurat",
        help_text=_("A conversation with this tag is an emergency, as an urgent one is. Empty: urgent only."))
    escalate_after_minutes = models.PositiveSmallIntegerField(
        _("escalate after (minutes)"), default=15, validators=[MinValueValidator(1)],
        help_text=_("When the paged agent is not online and nobody acknowledges in this time, the next "
                    "person in the rotation is paged."))
    whatsapp_template = models.CharField(
        _("WhatsApp template"), max_length=512, blank=True,
        help_text=_("An approved template of the WhatsApp inbox for pages (outside the 24-hour window only a "
                    "template may be sent). Its parameters are the conversation number and the subject."))
    whatsapp_template_language = models.CharField(_("WhatsApp template language"), max_length=16, default="id")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=now)

    class Meta:
        verbose_name = _("on-call rotation")
        verbose_name_plural = _("on-call rotations")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "team"], name="oncall_rotation_one_per_team"),
            models.UniqueConstraint(fields=["workspace"], condition=Q(team__isnull=True),
                                    name="oncall_rotation_one_per_workspace"),
        ]

    def __str__(self):
        return self.name


class OnCallMember(models.Model):
    """One agent's place in a rotation, and the phone their pages go to by SMS/WhatsApp."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    rotation = models.ForeignKey(OnCallRotation, on_delete=models.CASCADE, related_name="members",
                                 verbose_name=_("rotation"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent"))
    position = models.PositiveSmallIntegerField(_("position"))
    phone = models.CharField(_("phone for pages"), max_length=20, blank=True,
                             help_text=_("E.164, e.g. +6281234567890. Empty: pages by workspace and email only."))

    class Meta:
        verbose_name = _("on-call member")
        verbose_name_plural = _("on-call members")
        ordering = ["rotation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "position"], name="oncall_member_unique_position"),
            models.UniqueConstraint(fields=["rotation", "agent"], name="oncall_member_unique_agent"),
        ]

    def __str__(self):
        return f"{self.rotation} #{self.position}: {self.agent}"

    def clean(self):
        from layan.customers.normalise import normalise_phone
        from layan.errors import InvalidInput

        rotation = getattr(self, "rotation", None) if self.rotation_id else None
        agent = getattr(self, "agent", None) if self.agent_id else None
        if rotation is not None and agent is not None and agent.workspace_id != rotation.workspace_id:
            raise ValidationError({"agent": _("The agent must belong to the rotation's workspace.")})
        if self.phone:
            try:
                self.phone = normalise_phone(self.phone)
            except InvalidInput as exc:
                raise ValidationError({"phone": exc.message}) from exc


class OnCallOverride(models.Model):
    """``agent`` covers the rotation from ``starts_at`` to ``ends_at`` (e.g. swapping a night).
    Overlapping overrides: the one made last wins."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    rotation = models.ForeignKey(OnCallRotation, on_delete=models.CASCADE, related_name="overrides",
                                 verbose_name=_("rotation"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=now)

    class Meta:
        verbose_name = _("on-call override")
        verbose_name_plural = _("on-call overrides")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="oncall_override_ends_after_start"),
        ]
        indexes = [models.Index(fields=["rotation", "ends_at"], name="oncall_override_rotation_idx")]

    def __str__(self):
        return f"{self.agent}: {self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"


class OnCallPage(models.Model):
    """An emergency conversation paged to the on-call agent: one per conversation (the unique
    constraint makes retries and concurrent subscribers page once). ``level`` counts escalations."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    rotation = models.ForeignKey(OnCallRotation, on_delete=models.CASCADE, related_name="pages",
                                 verbose_name=_("rotation"))
    conversation = models.OneToOneField("conversations.Conversation", on_delete=models.CASCADE,
                                        related_name="+", verbose_name=_("conversation"))
    agent = models.ForeignKey(Agent, on_delete=models.SET_NULL, null=True, related_name="+",
                              verbose_name=_("paged agent"))
    reason = models.CharField(_("reason"), max_length=16)  # urgent | tag
    level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    created_at = models.DateTimeField(_("paged at"), default=now)
    escalate_at = models.DateTimeField(_("escalate at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                        verbose_name=_("acknowledged by"))

    class Meta:
        verbose_name = _("on-call page")
        verbose_name_plural = _("on-call pages")
        indexes = [
            # The escalation sweeper: unacknowledged pages whose time has come.
            models.Index(fields=["escalate_at"], condition=Q(acknowledged_at__isnull=True),
                         name="oncall_page_escalation_idx"),
            models.Index(fields=["workspace", "-created_at"], name="oncall_page_workspace_idx"),
        ]

    def __str__(self):
        return f"page {self.pk} (conversation {self.conversation_id})"


class PageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class PageDeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OnCallPageDelivery(models.Model):
    """A page sent to one agent's phone over one channel: sent once or failed with the reason."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    page = models.ForeignKey(OnCallPage, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("page"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent"))
    level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    channel = models.CharField(_("channel"), max_length=16, choices=PageChannel.choices)
    inbox = models.ForeignKey("connectors.Inbox", on_delete=models.CASCADE, related_name="+", verbose_name=_("inbox"))
    to = models.CharField(_("to"), max_length=20)
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=16, choices=PageDeliveryStatus.choices,
                              default=PageDeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=now)
    provider_message_id = models.CharField(_("provider message ID"), max_length=200, blank=True)
    error = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created"), default=now)
    updated_at = models.DateTimeField(_("updated"), default=now)

    class Meta:
        verbose_name = _("on-call page delivery")
        verbose_name_plural = _("on-call page deliveries")
        constraints = [
            models.UniqueConstraint(fields=["page", "level", "channel"], name="oncall_delivery_once_per_level"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="oncall_delivery_due_idx")]

    def __str__(self):
        return f"{self.channel} to {self.to}: {self.status}"
