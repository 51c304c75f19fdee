"""Sends replies to the company's own system: a signed JSON POST to the inbox's reply webhook URL
with `Idempotency-Key` = the Layan message id, so a retried delivery can be dropped on their side.
2xx is sent; 429, 5xx, timeouts and connection errors are tried again; any other answer fails with
the receiver's own words. An API inbox without a reply URL (the REST API's own inbox) records the
reply instead, as before this channel existed. See docs/channels/api.md."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.utils.translation import gettext as _

from layan.connectors.api_channel.selectors import api_channel_config, thread_of_conversation
from layan.connectors.api_channel.signature import HEADER, signature_header
from layan.connectors.base import OutboundMessage, SendError, SendResult
from layan.connectors.log.adapter import LogAdapter
from layan.connectors.selectors import inbox_by_id

MAX_REASON_CHARS = 500


def reply_payload(message: OutboundMessage, *, thread_id: str | None) -> dict:
    return {
        "event": "message.created",
        "message_id": str(message.message_id),
        "conversation": {"id": str(message.conversation_id), "number": message.conversation_number,
                         "subject": message.subject, "thread_id": thread_id},
        "recipient": {"id": (message.recipients.get("to") or [""])[0]},
        "author": {"name": message.author_name},
        "text": message.text,
        "html": message.html,
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size}
                        for a in message.attachments],
        "in_reply_to": message.thread_ids[-1] if message.thread_ids else None,
        "automatic": message.automatic,
    }


class ApiChannelAdapter:
    kind = "api"
    rate_limit = None

    def send(self, message: OutboundMessage) -> SendResult:
        inbox = inbox_by_id(inbox_id=message.inbox_id)
        config = api_channel_config(inbox=inbox)
        if config is None or not config.reply_webhook_url:
            return LogAdapter().send(message)
        secret = config.secret("signing_secret_env")
        if not secret:
            raise SendError(_("The API inbox %(inbox)s has no signing secret: set the environment variable "
                              "named in signing_secret_env.") % {"inbox": inbox.name}, retryable=False)
        if not message.recipients.get("to"):
            raise SendError(_("The customer has no id in the company's system to send the reply to."),
                            retryable=False)
        body = json.dumps(reply_payload(message, thread_id=thread_of_conversation(
            conversation_id=message.conversation_id)), ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's http(s) URL (checked on save)
            config.reply_webhook_url, data=body, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Layan",
                     HEADER: signature_header(body=body, secret=secret),
                     "Idempotency-Key": str(message.message_id)})
        try:
            with urllib.request.urlopen(request, timeout=config.timeout) as response:  # noqa: S310
                response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            reason = _reason(exc)
            raise SendError(_("The company's system refused the reply (HTTP %(status)s): %(reason)s")
                            % {"status": exc.code, "reason": reason},
                            retryable=exc.code == 429 or exc.code >= 500) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SendError(_("The company's system could not be reached: %(error)s") % {"error": exc},
                            retryable=True) from exc
        # Our own id, not one from their answer: a receiver answering the same id twice must not
        # collide with the (inbox, provider id) uniqueness of messages.
        return SendResult(provider_message_id=f"layan-{message.message_id}")


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(4096).decode("utf-8", "replace").strip()
    except (OSError, AttributeError):
        text = ""
    return text[:MAX_REASON_CHARS] or exc.reason or f"HTTP {exc.code}"

