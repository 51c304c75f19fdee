"""A stored WhatsApp webhook delivery to conversation messages and delivery statuses."""

from __future__ import annotations

from dataclasses import replace

from layan.connectors.ingress import Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.whatsapp.parsing import parse_webhook


def process_whatsapp_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.conversations.selectors import message_id_for_provider_id
    from layan.conversations.services import receive_inbound_message, record_delivery_status

    try:
        parsed = parse_webhook(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return Outcome(InboundEventStatus.REJECTED, f"not a WhatsApp webhook: {exc}")
    for inbound in parsed.messages:
        receive_inbound_message(inbox=event.inbox, inbound=replace(inbound, source_event_id=event.pk))
    for update in parsed.statuses:
        message_id = message_id_for_provider_id(inbox_id=event.inbox_id, provider_message_id=update.provider_message_id)
        if message_id is not None:
            record_delivery_status(message_id=message_id, status=update.status, error=update.error)
    sender = parsed.messages[0].sender_value if parsed.messages else ""
    return Outcome(InboundEventStatus.PROCESSED, sender=sender)
