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


class OutboxItem(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbox_item")
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    # While SENDING, the lease: past it, the sweeper presumes the worker died.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox items")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self):
        return f"outbox {self.pk} ({self.status})"


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Will retry")
    FAILED = "failed", _("Failed")


class DeliveryAttempt(models.Model):
    item = models.ForeignKey(OutboxItem, on_delete=models.CASCADE, related_name="attempts_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self):
        return f"attempt {self.number} of {self.item_id}"
