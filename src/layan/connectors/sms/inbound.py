"""A stored SMS webhook delivery to a conversation message (with MMS media fetched) or to a
reply's delivery status."""

from __future__ import annotations

import mimetypes
from dataclasses import replace

from layan.connectors.base import InboundAttachment
from layan.connectors.ingress import MAX_PROCESS_ATTEMPTS, Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.selectors import inbox_config
from layan.connectors.sms.providers import provider_for


def _attachments(provider, config, media) -> tuple[InboundAttachment, ...]:
    if not config.fetch_media:
        return ()
    found = []
    for index, item in enumerate(media, start=1):
        fetched = provider.fetch_media(item)
        if fetched is None:
            continue  # the URL stays in the message's metadata
        content, content_type = fetched
        extension = mimetypes.guess_extension(content_type or "") or ".bin"
        found.append(InboundAttachment(filename=f"mms-{index}{extension}", content_type=content_type,
                                       content=content))
    return tuple(found)


def process_sms_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.conversations.selectors import message_id_for_provider_id
    from layan.conversations.services import receive_inbound_message, record_delivery_status

    config = inbox_config(inbox=event.inbox)
    if config is None:
        return Outcome(InboundEventStatus.REJECTED, "the SMS inbox has no settings")
    provider = provider_for(config)
    try:
        parsed = provider.parse_request(raw)
    except ValueError as exc:
        return Outcome(InboundEventStatus.REJECTED, f"not an SMS webhook: {exc}")
    for inbound, media in zip(parsed.messages, parsed.media, strict=True):
        inbound = replace(inbound, source_event_id=event.pk,
                          attachments=_attachments(provider, config, media))
        receive_inbound_message(inbox=event.inbox, inbound=inbound)
    updated = 0
    for update in parsed.statuses:
        message_id = message_id_for_provider_id(inbox_id=event.inbox_id,
                                                provider_message_id=update.provider_message_id)
        if message_id is not None:
            record_delivery_status(message_id=message_id, status=update.status, error=update.error)
            updated += 1
    if parsed.statuses and not updated and event.attempts + 1 < MAX_PROCESS_ATTEMPTS:
        # A callback can outrun the send recording the SID it is about: the sweeper tries again.
        return Outcome(InboundEventStatus.PENDING, "waiting for the reply this status is about")
    if not parsed.messages and not updated:
        return Outcome(InboundEventStatus.IGNORED, "no message and no status of a known reply")
    sender = parsed.messages[0].sender_value if parsed.messages else ""
    return Outcome(InboundEventStatus.PROCESSED, sender=sender)
