"""A stored Telegram update to a conversation message: parse it, fetch its file (getFile, then
the file download) and receive it. A file that cannot be fetched never costs the message: it is
kept with the file id in its metadata, so the file can still be asked for later."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.conf import settings

from layan.connectors.base import InboundAttachment, InboundMessage
from layan.connectors.ingress import Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.selectors import inbox_config
from layan.connectors.telegram.api import BotApi, BotApiError, BotApiUnreachable
from layan.connectors.telegram.parsing import TelegramFile, parse_update

logger = logging.getLogger(__name__)

# The Bot API hands bots files of at most 20 MB; a shorter wait than a send's keeps the
# processing transaction short.
DOWNLOAD_TIMEOUT_SECONDS = 20


def process_telegram_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.conversations.services import receive_inbound_message

    try:
        parsed = parse_update(raw, inbox_key=event.inbox.public_id)
    except (ValueError, UnicodeDecodeError) as exc:
        return Outcome(InboundEventStatus.REJECTED, f"not a Telegram update: {exc}")
    if parsed.message is None:
        return Outcome(InboundEventStatus.IGNORED, parsed.ignored_reason)
    inbound = replace(parsed.message, source_event_id=event.pk)
    if parsed.file is not None:
        inbound = _with_file(event, inbound, parsed.file)
    receive_inbound_message(inbox=event.inbox, inbound=inbound)
    return Outcome(InboundEventStatus.PROCESSED, sender=inbound.sender_value)


def _with_file(event: InboundEvent, inbound: InboundMessage, file: TelegramFile) -> InboundMessage:
    """The message with its file attached, or with why it is not (the file id stays either way)."""
    facts = dict(inbound.metadata.get("telegram") or {})
    limit = settings.LAYAN_MAX_ATTACHMENT_BYTES
    try:
        if file.file_size is not None and file.file_size > limit:
            raise ValueError(f"the file is {file.file_size} bytes, more than the {limit} allowed")
        content = download_file(event.inbox, file.file_id, limit=limit)
    except (BotApiError, BotApiUnreachable, ValueError) as exc:
        logger.warning("telegram file %s of inbound event %s not fetched: %s", file.file_id, event.pk, exc)
        facts["download_error"] = str(exc)[:500]
        return replace(inbound, metadata={**inbound.metadata, "telegram": facts})
    attachment = InboundAttachment(filename=file.filename, content_type=file.content_type, content=content)
    return replace(inbound, attachments=(*inbound.attachments, attachment))


def download_file(inbox, file_id: str, *, limit: int) -> bytes:
    """getFile for the path, then the file itself (ValueError when the inbox cannot ask)."""
    config = inbox_config(inbox=inbox)
    token = config.secret("bot_token_env") if config is not None else ""
    if not token:
        raise ValueError("the inbox has no bot token (bot_token_env) to fetch files with")
    api = BotApi(base_url=config.api_base_url, token=token, timeout=DOWNLOAD_TIMEOUT_SECONDS)
    found = api.call("getFile", {"file_id": file_id})
    file_path = found.get("file_path") if isinstance(found, dict) else None
    if not file_path:
        raise ValueError("Telegram gave no file_path for the file")
    return api.download(str(file_path), limit=limit)
