"""The outbox: one item per outbound message, and every attempt to send it."""

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Workspace
from layan.conversations.models import Message


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


DEFAULT_MAX_ATTEMPTS = 8


class OutboxItem(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbox_item", verbose_name=_("message"))
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED, verbose_name=_("status"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    # Past this many attempts a retryable error fails the item; "Retry now" on a failed item
    # grants a fresh allowance.
    max_attempts = models.PositiveIntegerField(default=DEFAULT_MAX_ATTEMPTS, verbose_name=_("maximum attempts"))
    next_attempt_at = models.DateTimeField(default=now, verbose_name=_("next attempt at"))
    # While SENDING, the lease: past it, the sweeper presumes the worker died.
    lease_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("lease expires at"))
    provider_message_id = models.CharField(max_length=255, blank=True, verbose_name=_("provider message ID"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox items")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self):
        return f"outbox {self.pk} ({self.status})"

    @property
    def retrying(self) -> bool:
        """Queued again after a failed attempt: the agent sees when the next try is."""
        return self.status == OutboxStatus.QUEUED and self.attempts > 0


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Will retry")
    FAILED = "failed", _("Failed")


class DeliveryAttempt(models.Model):
    item = models.ForeignKey(OutboxItem, on_delete=models.CASCADE, related_name="attempts_log", verbose_name=_("item"))
    number = models.PositiveIntegerField(verbose_name=_("number"))
    started_at = models.DateTimeField(default=now, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices, blank=True, verbose_name=_("outcome"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self):
        return f"attempt {self.number} of {self.item_id}"
