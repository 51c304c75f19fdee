"""What every channel adapter provides, and the values that cross the adapter boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    extra: dict = field(default_factory=dict)


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


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str


class SendError(Exception):
    """Raised by adapters. ``retryable`` decides between a later retry and a terminal failure."""

    def __init__(self, reason: str, *, retryable: bool):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class ChannelAdapter(Protocol):
    kind: str

    def send(self, message: OutboundMessage) -> SendResult: ...
