"""A stored Messenger or Instagram delivery to conversation messages and delivery statuses:
messages are received (their files fetched from Meta's CDN first), receipts move our replies
forward, echoes of our own sends and events for another Page or account are left out."""

from __future__ import annotations

from dataclasses import replace

from layan.connectors.ingress import Outcome
from layan.connectors.meta.media import DownloadFailed, download
from layan.connectors.meta.messaging import ParsedMessage, Receipt, parse_messaging
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.selectors import inbox_config


def _with_files(parsed: ParsedMessage, platform: str):
    """The message with its files attached; a file that cannot be fetched leaves its address and
    the reason in the message's metadata, and the message is kept."""
    files, failed = [], []
    for number, link in enumerate(parsed.media, start=1):
        try:
            files.append(download(link, number=number))
        except DownloadFailed as exc:
            failed.append({"type": link.type, "url": link.url, "error": str(exc)[:300]})
    inbound = parsed.inbound
    metadata = dict(inbound.metadata)
    if failed:
        metadata[platform] = {**metadata.get(platform, {}), "download_failed": failed}
    return replace(inbound, attachments=tuple(files), metadata=metadata)


def _apply_receipt(event: InboundEvent, receipt: Receipt, platform: str) -> None:
    from layan.conversations.selectors import message_id_for_provider_id, replies_awaiting_receipt
    from layan.conversations.services import record_delivery_status

    ids = []
    for mid in receipt.mids:
        message_id = message_id_for_provider_id(inbox_id=event.inbox_id, provider_message_id=mid)
        if message_id is None:
            continue
        ids.append(message_id)
        if receipt.status == "read":  # reading one message means the earlier ones were read too
            ids += replies_awaiting_receipt(inbox_id=event.inbox_id, identity_kind=platform,
                                            identity_value=receipt.customer_id, up_to_message_id=message_id)
    if receipt.watermark is not None:
        ids += replies_awaiting_receipt(inbox_id=event.inbox_id, identity_kind=platform,
                                        identity_value=receipt.customer_id, sent_until=receipt.watermark)
    for message_id in dict.fromkeys(ids):
        record_delivery_status(message_id=message_id, status=receipt.status)


def process_meta_messaging_event(event: InboundEvent, raw: bytes, *, platform: str) -> Outcome:
    from layan.conversations.selectors import message_id_for_provider_id
    from layan.conversations.services import receive_inbound_message

    try:
        parsed = parse_messaging(raw, platform=platform)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return Outcome(InboundEventStatus.REJECTED, f"not a {platform} webhook: {exc}")
    config = inbox_config(inbox=event.inbox)
    own = config.account_id if config is not None else ""
    received, foreign, senders = 0, 0, []
    for item in parsed.messages:
        if own and item.account_id != own:
            foreign += 1
            continue
        pmid = item.inbound.provider_message_id
        known = pmid and message_id_for_provider_id(inbox_id=event.inbox_id, provider_message_id=pmid)
        # A redelivered message is not fetched again: the receive below finds it by its mid.
        inbound = item.inbound if known else _with_files(item, platform)
        receive_inbound_message(inbox=event.inbox, inbound=replace(inbound, source_event_id=event.pk))
        received += 1
        senders.append(item.inbound.sender_value)
    receipts = 0
    for receipt in parsed.receipts:
        if own and receipt.account_id != own:
            foreign += 1
            continue
        _apply_receipt(event, receipt, platform)
        receipts += 1
    if received or receipts:
        return Outcome(InboundEventStatus.PROCESSED, sender=senders[0] if senders else "")
    if foreign:
        return Outcome(InboundEventStatus.IGNORED, f"{foreign} event(s) for another account than {own}")
    if parsed.echoes:
        return Outcome(InboundEventStatus.IGNORED, "echo of our own message")
    return Outcome(InboundEventStatus.IGNORED, "no message or receipt in the delivery")
