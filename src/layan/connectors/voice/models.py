"""The phone channel's data: an inbox's Twilio settings, and every call (from Twilio's status
callbacks or logged by an agent), each linked to the conversation it is shown in."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.connectors.config import InboxConfig


class VoiceProvider(models.TextChoices):
    TWILIO = "twilio", _("Twilio")


class VoiceConfig(InboxConfig):
    """A phone inbox: the Twilio account and number whose status callbacks come to its webhook."""

    provider = models.CharField(_("provider"), max_length=16, choices=VoiceProvider.choices,
                                default=VoiceProvider.TWILIO)
    account_sid = models.CharField(_("account SID"), max_length=64, blank=True)
    # The name of the environment variable holding the auth token (it signs every callback).
    auth_token_env = models.CharField(_("auth token variable"), max_length=128, blank=True)
    phone_number = models.CharField(_("phone number (E.164)"), max_length=20, blank=True)
    # Who calls back a missed call; empty means the inbox's default team.
    callback_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("callback team"))

    secret_env_fields = ("auth_token_env",)
    editable_fields = ("provider", "account_sid", "auth_token_env", "phone_number", "callback_team")

    class Meta:
        verbose_name = _("phone inbox settings")
        verbose_name_plural = _("phone inbox settings")

    def __str__(self):
        return self.phone_number or str(self.inbox_id)

    def clean(self):
        from layan.customers.normalise import normalise_phone
        from layan.errors import InvalidInput

        if self.phone_number:
            try:
                self.phone_number = normalise_phone(self.phone_number)
            except InvalidInput as exc:
                raise ValidationError({"phone_number": exc.message}) from exc
        if self.callback_team_id and self.callback_team.workspace_id != self.inbox.workspace_id:
            raise ValidationError({"callback_team": _("The team is not in this workspace.")})


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class CallOutcome(models.TextChoices):
    """How a call ended; empty while it is still ringing or going on."""

    ANSWERED = "answered", _("answered")
    MISSED = "missed", _("missed")  # the caller hung up before anyone answered
    VOICEMAIL = "voicemail", _("voicemail")
    BUSY = "busy", _("busy")
    NO_ANSWER = "no_answer", _("no answer")
    FAILED = "failed", _("failed")


# An inbound call that ended like this is one the customer is waiting to be called back on.
MISSED_OUTCOMES = frozenset({CallOutcome.MISSED, CallOutcome.VOICEMAIL, CallOutcome.BUSY, CallOutcome.NO_ANSWER})


class Call(models.Model):
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("workspace"))
    inbox = models.ForeignKey("connectors.Inbox", on_delete=models.PROTECT, related_name="calls",
                              verbose_name=_("inbox"))
    # Where the call is on the timeline (a message with metadata.call = this id).
    conversation = models.ForeignKey("conversations.Conversation", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+", verbose_name=_("conversation"))
    # The timeline entry itself, written once (when the call ends, or when it is logged).
    message = models.OneToOneField("conversations.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="call", verbose_name=_("message"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="calls",
                                 verbose_name=_("customer"))
    agent = models.ForeignKey("accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("agent"))
    direction = models.CharField(_("direction"), max_length=3, choices=CallDirection.choices)
    number = models.CharField(_("number"), max_length=20)  # the customer's side, E.164
    # Twilio's last CallStatus (queued, ringing, in-progress, completed, ...); empty for a logged call.
    provider_status = models.CharField(_("provider status"), max_length=16, blank=True)
    provider_call_sid = models.CharField(_("call SID"), max_length=64, null=True, blank=True)
    started_at = models.DateTimeField(_("started"), default=now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    # The task opened to call a missed caller back: one per call, however often Twilio retries.
    callback_conversation = models.OneToOneField("conversations.Conversation", null=True, blank=True,
                                                 on_delete=models.SET_NULL, related_name="callback_for",
                                                 verbose_name=_("callback task"))
    created_at = models.DateTimeField(_("created"), default=now)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["inbox", "provider_call_sid"], condition=Q(provider_call_sid__isnull=False),
                                    name="call_unique_sid_per_inbox"),
        ]
        indexes = [
            models.Index(fields=["workspace", "customer", "-id"], name="call_customer_idx"),
        ]

    def __str__(self):
        return f"{self.direction} {self.number} {self.outcome or self.provider_status}"
