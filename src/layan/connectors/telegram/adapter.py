"""Sends replies through the Telegram Bot API: text with sendMessage, images with sendPhoto and
other files with sendDocument (multipart/form-data, the text as the first file's caption), each
answering the customer's latest message. The message id Telegram answers is the reply's provider
id, so a customer's reply to it threads back. 429 and 5xx are tried again; other errors fail with
Telegram's description."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from layan.connectors.base import (
    OutboundAttachment,
    OutboundMessage,
    RateLimit,
    SendError,
    SendResult,
)
from layan.connectors.log.adapter import LogAdapter
from layan.connectors.selectors import inbox_by_id, inbox_config
from layan.connectors.telegram.api import BotApi, BotApiError, BotApiUnreachable, UploadFile
from layan.connectors.telegram.parsing import provider_id, split_provider_id
from layan.connectors.telegram.selectors import last_customer_message_id

TEXT_LIMIT = 4096  # characters in one sendMessage
CAPTION_LIMIT = 1024  # characters in a photo's or document's caption
PHOTO_LIMIT = 10 * 1024 * 1024  # sendPhoto takes photos up to 10 MB; larger images go as documents
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}


class TelegramAdapter:
    kind = "telegram"
    # Telegram's bot FAQ: about 30 messages per second in total per bot.
    rate_limit = RateLimit(sends=30)

    def send(self, message: OutboundMessage) -> SendResult:
        inbox = inbox_by_id(inbox_id=message.inbox_id)
        config = inbox_config(inbox=inbox)
        if config is None:
            # Not connected to a bot yet (the demo's inbox, a new one): recorded, as every channel
            # was before its connector existed. Connecting it is saving its Telegram settings.
            return LogAdapter().send(message)
        token = config.secret("bot_token_env")
        if not token:
            raise SendError(_("The Telegram inbox needs a bot token (bot_token_env)."), retryable=False)
        recipients = message.recipients.get("to") or []
        if not recipients:
            raise SendError(_("The customer has no Telegram chat."), retryable=False)
        chat_id = recipients[0]
        if not message.text.strip() and not message.attachments:
            raise SendError(_("The reply has no text or file to send to Telegram."), retryable=False)
        api = BotApi(base_url=config.api_base_url, token=token)
        reply_to = _reply_target(message, inbox_key=inbox.public_id, chat_id=chat_id)
        try:
            first = self._send_all(api, message, chat_id=chat_id, reply_to=reply_to)
        except BotApiError as exc:
            raise SendError(_("Telegram refused the message: %(reason)s") % {"reason": exc.reason},
                            retryable=exc.retryable, retry_after=exc.retry_after) from exc
        except BotApiUnreachable as exc:
            raise SendError(_("Telegram could not be reached: %(error)s") % {"error": exc}, retryable=True) from exc
        if not isinstance(first, dict) or not isinstance(first.get("message_id"), int):
            raise SendError(_("Telegram answered without a message id."), retryable=True)
        return SendResult(provider_message_id=provider_id(inbox.public_id, chat_id, first["message_id"]))

    def _send_all(self, api: BotApi, message: OutboundMessage, *, chat_id: str, reply_to: int | None):
        """Every request of one reply, in order; the first message Telegram made."""
        text = message.text.strip()
        caption = text if message.attachments and len(text) <= CAPTION_LIMIT else ""
        results = []
        if text and not caption:
            for chunk in _chunks(text, TEXT_LIMIT):
                params = {"chat_id": _chat(chat_id), "text": chunk}
                if reply_to is not None and not results:
                    params["reply_parameters"] = _reply_parameters(reply_to)
                results.append(api.call("sendMessage", params))
        for attachment in message.attachments:
            method, field = ("sendPhoto", "photo") if _is_photo(attachment) else ("sendDocument", "document")
            params = {"chat_id": str(chat_id)}
            if caption and not results:
                params["caption"] = caption
            if reply_to is not None and not results:
                params["reply_parameters"] = _reply_parameters(reply_to)
            with default_storage.open(attachment.path, "rb") as handle:
                upload = UploadFile(field=field, filename=attachment.filename, content_type=attachment.content_type,
                                    content=handle.read())
            results.append(api.call(method, params, files=(upload,)))
        return results[0] if results else None


def _reply_target(message: OutboundMessage, *, inbox_key: str, chat_id: str) -> int | None:
    """The Telegram message id of the customer's latest message in this chat, if there is one."""
    latest = last_customer_message_id(conversation_id=message.conversation_id, before_message_id=message.message_id)
    parts = split_provider_id(latest or "")
    if parts is None or parts[0] != inbox_key or parts[1] != str(chat_id):
        return None
    return parts[2]


def _reply_parameters(message_id: int) -> dict:
    # A reply still goes when the customer deleted the message it answers.
    return {"message_id": message_id, "allow_sending_without_reply": True}


def _chat(chat_id: str):
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _is_photo(attachment: OutboundAttachment) -> bool:
    return attachment.content_type.lower() in PHOTO_TYPES and attachment.size <= PHOTO_LIMIT


def _chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]
