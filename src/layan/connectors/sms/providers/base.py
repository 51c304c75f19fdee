"""What an SMS provider does for Layan, so a second one (a local Indonesian gateway) is one more
module beside twilio.py: check that a webhook request came from it, read the request (pure), say
which delivery it is (for dedupe), answer it, and send a text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from layan.connectors.base import InboundMessage


@dataclass(frozen=True)
class SmsMedia:
    """A picture or file an MMS carried: the provider keeps it at ``url`` (fetched afterwards)."""

    url: str
    content_type: str


@dataclass(frozen=True)
class SmsStatusUpdate:
    provider_message_id: str  # the id the provider gave Layan's send
    status: str  # a Layan delivery status: queued | sent | delivered | read | failed
    error_code: str = ""
    error: str = ""  # the code and what it means, for the agent


@dataclass(frozen=True)
class ParsedSmsRequest:
    messages: tuple[InboundMessage, ...] = ()
    media: tuple[tuple[SmsMedia, ...], ...] = ()  # per message, in order
    statuses: tuple[SmsStatusUpdate, ...] = ()


class SmsProvider(Protocol):
    name: str
    # What the provider expects back from a webhook once Layan has stored it.
    acknowledgement: bytes
    acknowledgement_type: str

    def verify_request(self, *, url: str, body: bytes, headers: Mapping[str, str]) -> bool:
        """True only when the request provably came from the provider for this account."""
        ...

    def delivery_id(self, body: bytes) -> str | None:
        """A stable id for this delivery: the provider's retry of it gets the same one."""
        ...

    def parse_request(self, body: bytes) -> ParsedSmsRequest:
        """The messages and status updates in a webhook body. Pure; ValueError when it is none."""
        ...

    def fetch_media(self, media: SmsMedia) -> tuple[bytes, str] | None:
        """The media's bytes and type, or None when they cannot be had (the URL stays kept)."""
        ...

    def send(self, *, to: str, text: str, status_callback_url: str) -> str:
        """Send ``text`` to the E.164 number ``to``; the provider's message id, or SendError."""
        ...
