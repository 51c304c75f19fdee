"""A stored WhatsApp webhook delivery to conversation messages (with their media downloaded) and
delivery statuses."""

from __future__ import annotations

from dataclasses import replace

from layan.connectors.base import InboundMessage
from layan.connectors.ingress import Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.whatsapp.media import MEDIA_TYPES_WITH_FILES, download_media
from layan.connectors.whatsapp.parsing import parse_webhook
from layan.connectors.whatsapp.selectors import whatsapp_config


def with_media(inbound: InboundMessage, config) -> InboundMessage:
    """The message with its media file attached, or with why not in ``metadata["whatsapp"]``."""
    facts = dict(inbound.metadata.get("whatsapp") or {})
    if facts.get("type") not in MEDIA_TYPES_WITH_FILES or not facts.get("media_id"):
        return inbound
    download = download_media(config=config, kind=facts["type"], media_id=facts["media_id"],
                              mime_type=facts.get("mime_type", ""), filename=facts.get("filename", ""))
    if download.attachment is None:
        facts["media_error"] = download.error
        return replace(inbound, metadata={**inbound.metadata, "whatsapp": facts})
    return replace(inbound, attachments=(*inbound.attachments, download.attachment))


def process_whatsapp_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.conversations.selectors import message_id_for_provider_id
    from layan.conversations.services import receive_inbound_message, record_delivery_status

    try:
        parsed = parse_webhook(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return Outcome(InboundEventStatus.REJECTED, f"not a WhatsApp webhook: {exc}")
    config = whatsapp_config(inbox_id=event.inbox_id) if parsed.messages else None
    for inbound in parsed.messages:
        known = inbound.provider_message_id and message_id_for_provider_id(
            inbox_id=event.inbox_id, provider_message_id=inbound.provider_message_id)
        if not known:  # a redelivered message is already stored: no second download
            inbound = with_media(inbound, config)
        receive_inbound_message(inbox=event.inbox, inbound=replace(inbound, source_event_id=event.pk))
    for update in parsed.statuses:
        message_id = message_id_for_provider_id(inbox_id=event.inbox_id, provider_message_id=update.provider_message_id)
        if message_id is not None:
            record_delivery_status(message_id=message_id, status=update.status, error=update.error)
    sender = parsed.messages[0].sender_value if parsed.messages else ""
    return Outcome(InboundEventStatus.PROCESSED, sender=sender)
