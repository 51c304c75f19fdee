"""Conversations (tickets), their messages, participants, attachments, followers, links, time."""

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Agent, Tag, Team, Workspace
from layan.connectors.models import InboundEvent, Inbox
from layan.customers.models import Customer


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending on customer")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# The only moves a status may make. Closed is final: a customer writing again starts a new
# conversation linked to the closed one.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class ConversationType(models.TextChoices):
    QUESTION = "question", _("Question")
    INCIDENT = "incident", _("Incident")
    COMPLAINT = "complaint", _("Complaint")
    ORDER = "order", _("Order")
    REQUEST = "request", _("Request")
    TASK = "task", _("Task")


class Conversation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("workspace"))
    number = models.PositiveBigIntegerField(_("number"))
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    type = models.CharField(_("type"), max_length=16, choices=ConversationType.choices,
                            default=ConversationType.QUESTION)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("customer"))
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("inbox"))
    channel = models.CharField(_("channel"), max_length=16)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations", verbose_name=_("team"))
    assignee = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_conversations", verbose_name=_("assignee"))
    tags = models.ManyToManyField(Tag, blank=True, through="ConversationTag", related_name="conversations", verbose_name=_("tags"))
    followers = models.ManyToManyField(Agent, blank=True, through="Follower", related_name="followed_conversations", verbose_name=_("followers"))
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_from", verbose_name=_("merged into"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))
    last_message_at = models.DateTimeField(default=now, verbose_name=_("last message at"))
    last_customer_message_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last customer message at"))
    first_response_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first response at"))
    solved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("solved at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    message_count = models.PositiveIntegerField(default=0, verbose_name=_("message count"))

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="conversation_unique_number"),
        ]
        # One index per inbox filter; each ends in id so keyset pagination by id stays an index walk.
        indexes = [
            models.Index(fields=["workspace", "-id"], name="conv_recent_idx"),
            models.Index(fields=["workspace", "status", "-id"], name="conv_status_idx"),
            models.Index(fields=["workspace", "assignee", "status", "-id"], name="conv_assignee_idx"),
            models.Index(fields=["workspace", "team", "status", "-id"], name="conv_team_idx"),
            models.Index(fields=["workspace", "inbox", "-id"], name="conv_inbox_idx"),
            models.Index(fields=["workspace", "channel", "-id"], name="conv_channel_idx"),
            models.Index(fields=["workspace", "priority", "-id"], name="conv_priority_idx"),
            models.Index(fields=["workspace", "customer", "-id"], name="conv_customer_idx"),
            models.Index(fields=["workspace", "-last_message_at", "-id"], name="conv_activity_idx"),
            # Arrivals per hour for the staffing forecast (routing/forecast.py): a range on created_at.
            models.Index(fields=["workspace", "created_at"], name="conv_created_idx"),
            models.Index(fields=["customer", "inbox", "status"], name="conv_threading_idx"),
        ]

    def __str__(self):
        return f"#{self.number} {self.subject}"


class ConversationTag(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, verbose_name=_("conversation"))
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, verbose_name=_("tag"))

    class Meta:
        verbose_name = _("conversation tag")
        verbose_name_plural = _("conversation tags")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "tag"], name="conversation_tag_unique"),
        ]
        indexes = [models.Index(fields=["tag", "conversation"], name="conv_tag_lookup_idx")]

    def __str__(self):
        return f"{self.conversation_id}:{self.tag_id}"


class ReadMarker(models.Model):
    """When an agent last opened a conversation: newer customer messages make it unread for them."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("conversation"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent"))
    read_at = models.DateTimeField(_("read at"), default=now)

    class Meta:
        verbose_name = _("read marker")
        verbose_name_plural = _("read markers")
        constraints = [
            models.UniqueConstraint(fields=["agent", "conversation"], name="read_marker_unique"),
        ]

    def __str__(self):
        return f"{self.agent_id} read {self.conversation_id} at {self.read_at:%Y-%m-%d %H:%M}"


class Follower(models.Model):
    """An agent who collaborates on a conversation besides the assignee and is kept informed."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, verbose_name=_("conversation"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, verbose_name=_("agent"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "agent"], name="follower_unique"),
        ]

    def __str__(self):
        return f"{self.agent_id} follows {self.conversation_id}"


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class DeliveryStatus(models.TextChoices):
    """Forward-only: queued -> sent -> delivered -> read; failed is terminal."""

    NONE = "", _("Not applicable")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


DELIVERY_RANK = {
    DeliveryStatus.NONE: 0, DeliveryStatus.QUEUED: 1, DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3, DeliveryStatus.READ: 4, DeliveryStatus.FAILED: 5,
}


class Message(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("conversation"))
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="messages", verbose_name=_("inbox"))
    direction = models.CharField(max_length=3, choices=Direction.choices, verbose_name=_("direction"))
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices, verbose_name=_("author kind"))
    author_agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("author agent"))
    author_customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="messages", verbose_name=_("author customer"))
    is_note = models.BooleanField(_("internal note"), default=False)
    text = models.TextField(blank=True, verbose_name=_("text"))
    html = models.TextField(blank=True, verbose_name=_("html"))  # always sanitised before it is stored
    # {"to": [...], "cc": [...], "bcc": [...]}: who this message went to. BCC stays private.
    recipients = models.JSONField(default=dict, blank=True, verbose_name=_("recipients"))
    provider_message_id = models.CharField(max_length=255, null=True, blank=True, verbose_name=_("provider message ID"))
    # Given by API clients in the Idempotency-Key header so that a retried request writes once.
    idempotency_key = models.CharField(max_length=128, null=True, blank=True, verbose_name=_("idempotency key"))
    delivery_status = models.CharField(max_length=16, choices=DeliveryStatus.choices, blank=True,
                                       default=DeliveryStatus.NONE, verbose_name=_("delivery status"))
    delivery_error = models.TextField(blank=True, verbose_name=_("delivery error"))
    mentions = models.ManyToManyField(Agent, blank=True, related_name="mentioned_in", verbose_name=_("mentions"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))  # as the sender's channel claims
    # What the channel sent besides the new text: an email's quoted history and signature. Agents
    # read ``text``; this stays one click away, and the raw original in ``source_event``.
    quoted_text = models.TextField(blank=True, verbose_name=_("quoted text"))
    # Channel facts worth keeping (auto-reply reason, parse warnings, attachments left out).
    metadata = models.JSONField(default=dict, blank=True, verbose_name=_("metadata"))
    source_event = models.ForeignKey(InboundEvent, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("original"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["inbox", "provider_message_id"],
                                    condition=Q(provider_message_id__isnull=False),
                                    name="message_unique_provider_id"),
            models.UniqueConstraint(fields=["workspace", "idempotency_key"],
                                    condition=Q(idempotency_key__isnull=False),
                                    name="message_unique_idempotency_key"),
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_thread_idx"),
            # Threading and bounces find a message by the id its channel gave it (email Message-ID).
            models.Index(fields=["workspace", "provider_message_id"], name="message_provider_id_idx"),
        ]

    def __str__(self):
        return f"{self.direction} {self.pk} in {self.conversation_id}"


class ParticipantRole(models.TextChoices):
    TO = "to", _("To")
    CC = "cc", _("CC")
    BCC = "bcc", _("BCC")


class Participant(models.Model):
    """A person on the conversation besides the customer (e.g. CC'd on email).

    To and CC participants stay on replies until removed; BCC participants are private to agents.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants", verbose_name=_("conversation"))
    role = models.CharField(max_length=3, choices=ParticipantRole.choices, verbose_name=_("role"))
    address = models.CharField(max_length=320, verbose_name=_("address"))
    name = models.CharField(max_length=200, blank=True, verbose_name=_("name"))
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("customer"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "address"], name="participant_unique_address"),
        ]

    def __str__(self):
        return f"{self.role}:{self.address}"


def attachment_path(instance, filename):
    stamp = now()
    return f"attachments/{instance.workspace_id}/{stamp:%Y/%m}/{instance.storage_key}"


class Attachment(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message"))
    file = models.FileField(upload_to=attachment_path, max_length=300, verbose_name=_("file"))
    storage_key = models.CharField(max_length=64, verbose_name=_("storage key"))
    filename = models.CharField(max_length=255, verbose_name=_("filename"))
    content_type = models.CharField(max_length=127, verbose_name=_("content type"))
    size = models.PositiveBigIntegerField(verbose_name=_("size"))
    sha256 = models.CharField(max_length=64, verbose_name=_("sha256"))
    content_id = models.CharField(max_length=255, blank=True, verbose_name=_("content id"))  # for inline images (cid:)
    inline = models.BooleanField(default=False, verbose_name=_("inline"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename


class LinkKind(models.TextChoices):
    CHILD = "child", _("Child of")
    RELATED = "related", _("Related to")
    DUPLICATE = "duplicate", _("Duplicate of")
    FOLLOW_UP = "follow_up", _("Follow-up of")


class ConversationLink(models.Model):
    """``source`` is <kind> ``target``: e.g. source is a child of target."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    source = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="links_out", verbose_name=_("source"))
    target = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="links_in", verbose_name=_("target"))
    kind = models.CharField(max_length=16, choices=LinkKind.choices, verbose_name=_("kind"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("conversation link")
        verbose_name_plural = _("conversation links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="conversation_link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="conversation_link_not_self"),
        ]

    def __str__(self):
        return f"{self.source_id} {self.kind} {self.target_id}"


class TimeEntry(models.Model):
    """Time an agent spent on a conversation."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="time_entries", verbose_name=_("conversation"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="time_entries", verbose_name=_("agent"))
    seconds = models.PositiveIntegerField(verbose_name=_("seconds"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")

    def __str__(self):
        return f"{self.agent_id} {self.seconds}s on {self.conversation_id}"
