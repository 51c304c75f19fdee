"""Automation data: canned replies (saved answers agents insert into the reply composer), rules
(when an event happens, if conditions hold, do actions), macros, and the records of what they did."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Agent, Team, Workspace

SHORTCUT_PATTERN = r"^[a-z0-9][a-z0-9_-]*\Z"
SHORTCUT_MAX_LENGTH = 50
TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 10_000

validate_shortcut = RegexValidator(
    SHORTCUT_PATTERN,
    _("A shortcut may only contain lower-case letters, digits, hyphens and underscores, "
      "and starts with a letter or digit."),
)


class CannedReplyLanguage(models.TextChoices):
    ANY = "", _("Any language")
    INDONESIAN = "id", _("Indonesian")
    ENGLISH = "en", _("English")


class CannedReply(models.Model):
    """A saved answer, inserted by typing ``/`` and its shortcut. The text may hold variables such
    as {{customer.first_name}} or {{conversation.number}} (automation/variables.py), and the older
    {customer_name}, {agent_name} and {conversation_number}."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="canned_replies",
                                  verbose_name=_("workspace"))
    shortcut = models.CharField(_("shortcut"), max_length=SHORTCUT_MAX_LENGTH, validators=[validate_shortcut])
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    text = models.TextField(_("text"), max_length=TEXT_MAX_LENGTH)
    # A relevance filter, not a secret: when the team is deleted the answer becomes the workspace's
    # rather than vanishing with it.
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="canned_replies",
                             verbose_name=_("team"))
    language = models.CharField(_("language"), max_length=8, choices=CannedReplyLanguage.choices, blank=True,
                                default=CannedReplyLanguage.ANY)
    created_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    usage_count = models.PositiveIntegerField(_("usage count"), default=0)
    # The same answer in another language: rendering picks the one in the customer's language.
    variant_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="variants",
                                   verbose_name=_("translation of"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        constraints = [
            # Also the index of the composer's lookup by shortcut prefix.
            models.UniqueConstraint(fields=["workspace", "shortcut"], name="canned_reply_unique_shortcut"),
            models.CheckConstraint(condition=models.Q(language__in=["", "id", "en"]),
                                   name="canned_reply_known_language"),
            models.UniqueConstraint(fields=["variant_of", "language"], name="canned_reply_one_variant_per_language"),
        ]
        indexes = [
            models.Index(fields=["workspace", "team"], name="canned_reply_team_idx"),
            models.Index(fields=["workspace", "-usage_count", "shortcut"], name="canned_reply_usage_idx"),
        ]

    def __str__(self):
        return f"/{self.shortcut}"


# --- rules, macros, runs and webhooks ----------------------------------------------------------
# The shapes of ``conditions`` and ``actions`` are checked by automation/definitions.py before
# any row is written; see docs/flows/automation.md.

class RuleEvent(models.TextChoices):
    CONVERSATION_CREATED = "conversation_created", _("Conversation created")
    MESSAGE_RECEIVED = "message_received", _("Message received")
    STATUS_CHANGED = "status_changed", _("Status changed")
    SLA_WARNING = "sla_warning", _("Service level warning")
    SLA_BREACH = "sla_breach", _("Service level breached")
    TIME_BASED = "time_based", _("Time passed (checked every minute)")


class TimeAnchor(models.TextChoices):
    """What a time-based rule measures from."""

    STATUS_CHANGED = "status_changed", _("since the status last changed")
    CREATED = "created", _("since the conversation was created")
    LAST_CUSTOMER_MESSAGE = "last_customer_message", _("since the customer last wrote")
    UPDATED = "updated", _("since the conversation last changed")


class AutomationRule(models.Model):
    """When ``event`` happens to a conversation and ``conditions`` hold, do ``actions``."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="automation_rules",
                                  verbose_name=_("workspace"))
    name = models.CharField(_("name"), max_length=200)
    event = models.CharField(_("when"), max_length=32, choices=RuleEvent.choices)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("position"), default=0)
    stop_processing = models.BooleanField(_("stop processing later rules"), default=False)
    is_active = models.BooleanField(_("enabled"), default=True)
    # Time-based rules only: fire once the anchor is this old, once per anchor value.
    delay_minutes = models.PositiveIntegerField(_("after minutes"), null=True, blank=True)
    time_anchor = models.CharField(_("measured"), max_length=32, choices=TimeAnchor.choices, blank=True)
    run_count = models.PositiveIntegerField(_("runs"), default=0)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    created_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ("position", "pk")
        indexes = [models.Index(fields=["workspace", "event", "is_active", "position"], name="rule_event_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(~models.Q(event="time_based"))
                | models.Q(delay_minutes__gt=0, time_anchor__in=TimeAnchor.values),
                name="rule_time_based_has_delay"),
        ]

    def __str__(self):
        return self.name


class Macro(models.Model):
    """Several actions an agent applies to one conversation at one click."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="macros",
                                  verbose_name=_("workspace"))
    name = models.CharField(_("name"), max_length=200)
    actions = models.JSONField(_("actions"), default=list)
    is_active = models.BooleanField(_("enabled"), default=True)
    usage_count = models.PositiveIntegerField(_("usage count"), default=0)
    created_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ("name", "pk")
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="macro_unique_name")]

    def __str__(self):
        return self.name


class RuleRun(models.Model):
    """One evaluation of a rule that matched (or was stopped): what it did, or why it failed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="runs", verbose_name=_("rule"))
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("conversation"))
    event = models.CharField(_("event"), max_length=64)
    depth = models.PositiveSmallIntegerField(_("chain depth"), default=0)
    actions_done = models.JSONField(_("actions done"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(default=now, verbose_name=_("ran at"))

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        indexes = [
            models.Index(fields=["rule", "-created_at"], name="rule_run_recent_idx"),
            models.Index(fields=["conversation", "-created_at"], name="rule_run_conversation_idx"),
        ]

    def __str__(self):
        return f"{self.rule_id} @ {self.conversation_id}"


class TimedRuleApplication(models.Model):
    """A time-based rule applied to a conversation for one value of its anchor: the unique
    constraint makes the sweeper apply it once per qualifying period, however often it runs."""

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="+", verbose_name=_("rule"))
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("conversation"))
    anchor_at = models.DateTimeField(_("period start"))
    created_at = models.DateTimeField(default=now, verbose_name=_("applied"))

    class Meta:
        verbose_name = _("timed rule application")
        verbose_name_plural = _("timed rule applications")
        constraints = [models.UniqueConstraint(fields=["rule", "conversation", "anchor_at"],
                                               name="timed_rule_once_per_period")]

    def __str__(self):
        return f"{self.rule_id} @ {self.conversation_id} ({self.anchor_at:%Y-%m-%d %H:%M})"


class StatusSince(models.Model):
    """When each conversation entered its current status, kept from ConversationStatusChanged for
    time-based rules ("pending for 3 days"); a conversation without a row counts from its update."""

    conversation = models.OneToOneField("conversations.Conversation", on_delete=models.CASCADE, primary_key=True,
                                        related_name="+", verbose_name=_("conversation"))
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    status = models.CharField(_("status"), max_length=16)
    since = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("status since")
        verbose_name_plural = _("status since")
        indexes = [models.Index(fields=["workspace", "status", "since"], name="status_since_idx")]

    def __str__(self):
        return f"{self.conversation_id}: {self.status} since {self.since:%Y-%m-%d %H:%M}"


class WebhookStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One POST a rule or macro asked for: sent after commit, retried with backoff by the sweeper,
    ending sent or failed with the reason."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    rule = models.ForeignKey(AutomationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("rule"))
    macro = models.ForeignKey(Macro, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("macro"))
    conversation = models.ForeignKey("conversations.Conversation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("conversation"))
    url = models.URLField(_("URL"), max_length=2000)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("last response status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self):
        return f"{self.url} ({self.status})"
