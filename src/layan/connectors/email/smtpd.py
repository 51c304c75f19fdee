"""The inbound SMTP listener: accepts mail only for our email inboxes' addresses (no relay) and
answers 250 only once each mail is committed as an inbound event (see docs/flows/inbound.md)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from layan.connectors import ingress
from layan.connectors.models import Inbox, InboxKind

logger = logging.getLogger(__name__)

TRY_AGAIN = "451 4.3.0 try again later"


def max_message_bytes() -> int:
    """LAYAN_MAX_EMAIL_BYTES: the same limit as the webhook's."""
    return int(settings.LAYAN_MAX_EMAIL_BYTES)


def _candidates(address: str) -> tuple[str, str]:
    """The address lower-cased, and without its +tag (support+order-5@x is support@x)."""
    address = address.strip().lower()
    local, _at, domain = address.rpartition("@")
    return address, f"{local.split('+', 1)[0]}@{domain}"


def inbox_for_address(address: str) -> Inbox | None:
    """The active email inbox that receives mail for this address, or None. One query: the JSON text
    narrows the candidates, the exact comparison is made here."""
    if "@" not in address:
        return None
    full, base = _candidates(address)
    inboxes = Inbox.objects.filter(kind=InboxKind.EMAIL, is_active=True).filter(
        settings__addresses__icontains=base).order_by("pk")
    matches = {}
    for inbox in inboxes:
        configured = inbox.settings.get("addresses") or []
        owned = {str(value).strip().lower() for value in configured if isinstance(value, str)}
        if full in owned:
            return inbox  # an address containing "+" configured as such wins over its base
        if base in owned:
            matches.setdefault(base, inbox)
    return matches.get(base)


def _with_own_connection(function: Callable) -> Callable:
    """Run ``function`` in a worker thread with a database connection that is closed afterwards, as
    a request would: the listener's threads live long and must not hold stale connections."""

    def run(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(run, thread_sensitive=False)


def store_for_inboxes(inboxes: list[Inbox], raw: bytes) -> None:
    # The mail's hash as the event id: a sender retrying after our 451 (or after a lost 250) does not
    # store it twice in an inbox that already has it.
    event_id = f"smtp:{hashlib.sha256(raw).hexdigest()}"
    for inbox in inboxes:
        ingress.store_raw_email(inbox=inbox, raw=raw, source="smtp", event_id=event_id)


class InboxMailHandler:
    """aiosmtpd handler: RCPT picks the inbox per address; DATA stores the mail once per inbox."""

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,  # noqa: N802 (aiosmtpd hook name)
                          rcpt_options: list[str]) -> str:
        try:
            inbox = await _with_own_connection(inbox_for_address)(address)
        except Exception:
            logger.exception("looking up the inbox for %s failed", address)
            return TRY_AGAIN
        if inbox is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        _inboxes(envelope).setdefault(inbox.pk, inbox)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd hook name)
        inboxes = list(_inboxes(envelope).values())
        if not inboxes:
            return "554 5.5.1 no valid recipients"
        raw = envelope.original_content
        if isinstance(raw, str):  # only with decode_data=True, which the listener does not use
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            await _with_own_connection(store_for_inboxes)(inboxes, raw or b"")
        except Exception:
            logger.exception("storing mail from %s failed; the sender will retry", envelope.mail_from)
            return TRY_AGAIN
        return "250 OK"


def _inboxes(envelope: Envelope) -> dict[int, Inbox]:
    # aiosmtpd makes a new Envelope per transaction (MAIL FROM, RSET), so this resets with it.
    if not hasattr(envelope, "layan_inboxes"):
        envelope.layan_inboxes = {}
    return envelope.layan_inboxes


def smtp_controller(*, host: str, port: int) -> Controller:
    """The listener, not yet started: ``.start()`` serves in a background thread, ``.stop()`` ends it."""
    return Controller(InboxMailHandler(), hostname=host, port=port, data_size_limit=max_message_bytes(),
                      enable_SMTPUTF8=True, ident="Layan")


def serve_smtp(*, host: str, port: int, stop: threading.Event, on_ready: Callable[[], None] | None = None) -> None:
    """Listen until ``stop`` is set."""
    controller = smtp_controller(host=host, port=port)
    controller.start()
    try:
        if on_ready is not None:
            on_ready()
        stop.wait()
    finally:
        controller.stop()
