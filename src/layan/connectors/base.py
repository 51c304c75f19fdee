"""What every channel adapter provides, and the values that cross the adapter boundary."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class InboundMessage:
    """A message as a channel delivered it, before it touches the database."""

    sender_kind: str  # an IdentityKind value
    sender_value: str
    provider_message_id: str | None
    text: str = ""
    html: str = ""
    sender_name: str = ""
    subject: str = ""
    sent_at: datetime | None = None
    to: tuple[tuple[str, str], ...] = ()  # (address, name)
    cc: tuple[tuple[str, str], ...] = ()
    attachments: tuple[InboundAttachment, ...] = ()
    # Hints for threading: ids of messages this one answers, or a conversation number.
    in_reply_to: tuple[str, ...] = ()
    conversation_number: int | None = None
    # True when the number came signed (an email reply address): anyone holding it may join,
    # where a bare number in a subject is only trusted from the conversation's own people.
    conversation_number_signed: bool = False
    # An auto-reply (out of office, autoresponder): stored, but it never reopens a conversation.
    automatic: bool = False
    quoted_text: str = ""  # the quoted history and signature the channel sent with the new text
    source_event_id: int | None = None  # the InboundEvent this message was made from
    metadata: dict = field(default_factory=dict)  # channel facts kept on the message

    def without_nul(self) -> InboundMessage:
        """This message with NUL characters removed from its texts: a badly encoded email has one
        now and then, it means nothing, and PostgreSQL cannot store it."""
        changes = {f.name: _strip_nul(getattr(self, f.name)) for f in fields(self)
                   if isinstance(getattr(self, f.name), str | tuple) and f.name != "attachments"}
        changes["attachments"] = tuple(
            replace(a, filename=_strip_nul(a.filename), content_type=_strip_nul(a.content_type),
                    content_id=_strip_nul(a.content_id)) for a in self.attachments)
        return replace(self, **changes)


def _strip_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, tuple):
        return tuple(_strip_nul(v) for v in value)
    return value


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    path: str
    size: int


@dataclass(frozen=True)
class OutboundMessage:
    """What an adapter is asked to send, built from the outbox item and its message."""

    inbox_id: int
    conversation_id: int
    message_id: int
    recipients: dict[str, list[str]]
    text: str
    html: str
    subject: str
    author_name: str
    attachments: tuple[OutboundAttachment, ...] = ()
    conversation_number: int = 0
    # The provider ids of the conversation's earlier messages, oldest first: what this one answers
    # (an email's References; a chat provider's reply context).
    thread_ids: tuple[str, ...] = ()
    # Sent by Layan on its own (an acknowledgement), not written by a person.
    automatic: bool = False
    # When the customer last wrote: chat providers' reply windows (Messenger's tag) depend on it.
    last_customer_message_at: datetime | None = None
    # The message's channel facts (e.g. metadata["whatsapp"]["template"] for a template send).
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str


class SendError(Exception):
    """Raised by adapters. ``retryable`` decides between a later retry and a terminal failure;
    ``retry_after`` (seconds) is the provider's own "not before", when it says one."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateLimit:
    """At most ``sends`` outbox items per ``per_seconds`` for one inbox (one sender number, page or
    bot): the provider's published throughput, so bursts wait in the outbox instead of being refused."""

    sends: int
    per_seconds: float = 1.0


class ChannelAdapter(Protocol):
    kind: str
    rate_limit: RateLimit | None

    def send(self, message: OutboundMessage) -> SendResult: ...
