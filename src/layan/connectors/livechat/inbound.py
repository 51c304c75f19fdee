"""From a stored widget message (an InboundEvent's JSON payload) to a conversation message.

The event id and the message's provider id are both the visitor's client-generated id (scoped
by the visitor), so a message resent after a reconnect is stored once.
"""

from __future__ import annotations

import base64
import binascii
import json

from django.utils.translation import gettext as _

from layan.connectors.base import InboundAttachment, InboundMessage
from layan.connectors.ingress import Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus


def parse(raw: bytes, *, event_id: str | None = None, source_event_id: int | None = None) -> InboundMessage:
    """The message a widget payload carries (pure: no database). Raises ValueError if unusable."""
    data = json.loads(raw.decode("utf-8"))
    attachments = []
    for item in data.get("attachments") or ():
        try:
            content = base64.b64decode(item.get("data") or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("attachment is not base64") from exc
        attachments.append(InboundAttachment(filename=str(item.get("filename") or "file")[-255:],
                                             content_type=str(item.get("content_type") or "application/octet-stream")[:127],
                                             content=content))
    prechat = data.get("prechat") or {}
    metadata = {"livechat": {k: v for k, v in (("prechat", prechat), ("page", data.get("page") or ""),
                                                ("verified", bool(data.get("verified")))) if v}}
    return InboundMessage(
        sender_kind="livechat", sender_value=data["visitor"], sender_name=str(prechat.get("name") or "")[:200],
        provider_message_id=event_id, text=str(data.get("text") or ""), attachments=tuple(attachments),
        source_event_id=source_event_id, metadata=metadata,
    )


def process_livechat_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.conversations.services import receive_inbound_message

    try:
        inbound = parse(raw, event_id=event.event_id, source_event_id=event.pk)
    except (ValueError, KeyError, TypeError, AttributeError):
        return Outcome(InboundEventStatus.REJECTED, _("The chat message could not be read."))
    if not (inbound.text.strip() or inbound.attachments):
        return Outcome(InboundEventStatus.REJECTED, _("The chat message is empty."), inbound.sender_value)
    receive_inbound_message(inbox=event.inbox, inbound=inbound)
    return Outcome(InboundEventStatus.PROCESSED, sender=inbound.sender_value)
