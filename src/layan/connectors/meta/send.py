"""Replies through Meta's Send API, shared by Messenger and Instagram: `POST /<version>/<path>/messages`
with the inbox's access token, `recipient.id` the customer's PSID or IGSID, text as JSON and files
as multipart `filedata` (our files are not on a public URL for Meta to fetch).

Meta's window decides how a reply may go: within 24 hours of the customer's last message a
normal RESPONSE; up to 7 days only a person's reply, tagged HUMAN_AGENT; after that nothing.
429, 5xx and Meta's transient error codes are tried again; any other refusal fails with Meta's
own words."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone
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

TIMEOUT_SECONDS = 30
FREE_REPLY_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
# Graph API error codes Meta documents as temporary: unknown/service errors, rate limits, and the
# Send API's "temporary send message failure".
TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 613, 1200}


def reply_tagging(*, last_customer_message_at: datetime | None, automatic: bool,
                  now: datetime | None = None) -> dict:
    """The `messaging_type` (and `tag`) a reply is sent with, or SendError when Meta allows none."""
    now = now or timezone.now()
    if last_customer_message_at is None:
        raise SendError(_("The customer has not written to this inbox yet; Meta allows no reply."),
                        retryable=False)
    age = now - last_customer_message_at
    if age <= FREE_REPLY_WINDOW:
        return {"messaging_type": "RESPONSE"}
    if age <= HUMAN_AGENT_WINDOW and not automatic:
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    if age <= HUMAN_AGENT_WINDOW:
        raise SendError(_("More than 24 hours since the customer's last message: only a person may reply now."),
                        retryable=False)
    raise SendError(_("More than 7 days since the customer's last message: Meta allows no reply."),
                    retryable=False)


def split_text(text: str, fits) -> list[str]:
    """``text`` in pieces that each satisfy ``fits`` (Meta's length limit), cut between words."""
    pieces, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            pieces.append(current)
        while not fits(word):  # one word longer than the limit: cut it
            cut = len(word)
            while cut > 1 and not fits(word[:cut]):
                cut = cut * 3 // 4
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current.strip():
        pieces.append(current)
    return pieces


def attachment_type(content_type: str) -> str:
    major = (content_type or "").split("/")[0]
    return major if major in ("image", "video", "audio") else "file"


class MetaMessagingAdapter:
    """Subclasses name the platform and where its messages endpoint is."""

    kind = ""
    platform_name = ""
    # Instagram's messaging API allows 100 calls/s per professional account for text; Messenger
    # publishes no per-second figure, so a Page gets the same ceiling.
    rate_limit = RateLimit(sends=100)

    def messages_path(self, config) -> str:  # pragma: no cover - subclasses answer
        raise NotImplementedError

    def text_fits(self, text: str) -> bool:  # pragma: no cover - subclasses answer
        raise NotImplementedError

    def send(self, message: OutboundMessage) -> SendResult:
        config = inbox_config(inbox=inbox_by_id(inbox_id=message.inbox_id))
        if config is None:
            # Not connected to Meta yet (the demo's inbox, a new one): recorded, as every channel
            # was before its connector existed.
            return LogAdapter().send(message)
        token = config.secret("page_access_token_env")
        path = self.messages_path(config)
        if not token or not path:
            raise SendError(_("The %(platform)s inbox needs its account ID and an access token "
                              "(page_access_token_env).") % {"platform": self.platform_name}, retryable=False)
        recipients = message.recipients.get("to") or []
        if not recipients:
            raise SendError(_("The customer has no %(platform)s ID to reply to.") % {"platform": self.platform_name},
                            retryable=False)
        tagging = reply_tagging(last_customer_message_at=message.last_customer_message_at,
                                automatic=message.automatic)
        url = f"{str(config.graph_url or '').rstrip('/')}/{config.api_version}/{path}/messages"
        recipient = {"id": recipients[0]}
        ids = [self._post_json(url, token, {"recipient": recipient, **tagging, "message": {"text": piece}})
               for piece in split_text(message.text or "", self.text_fits)]
        ids += [self._post_file(url, token, recipient, tagging, attachment) for attachment in message.attachments]
        if not ids:
            raise SendError(_("The reply has neither text nor a file to send."), retryable=False)
        return SendResult(provider_message_id=ids[0])

    def _post_json(self, url: str, token: str, body: dict) -> str:
        return self._post(url, token, json.dumps(body).encode(), "application/json")

    def _post_file(self, url: str, token: str, recipient: dict, tagging: dict,
                   attachment: OutboundAttachment) -> str:
        with default_storage.open(attachment.path, "rb") as handle:
            content = handle.read()
        boundary = f"layan-{uuid.uuid4().hex}"
        fields = {"recipient": json.dumps(recipient), **tagging,
                  "message": json.dumps({"attachment": {"type": attachment_type(attachment.content_type),
                                                        "payload": {"is_reusable": False}}})}
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in fields.items()]
        filename = attachment.filename.replace('"', "'").replace("\r", " ").replace("\n", " ")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="filedata"; filename="{filename}"\r\n'
                     f"Content-Type: {attachment.content_type or 'application/octet-stream'}\r\n\r\n".encode()
                     + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self._post(url, token, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def _post(self, url: str, token: str, data: bytes, content_type: str) -> str:
        request = urllib.request.Request(  # noqa: S310 - https by default; the operator's URL otherwise
            url, data=data, method="POST", headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
        platform = self.platform_name
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            reason, transient = _meta_error(exc)
            raise SendError(_("%(platform)s refused the message: %(reason)s") % {"platform": platform, "reason": reason},
                            retryable=transient or exc.code == 429 or exc.code >= 500) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SendError(_("%(platform)s could not be reached: %(error)s") % {"platform": platform, "error": exc},
                            retryable=True) from exc
        message_id = answer.get("message_id") if isinstance(answer, dict) else None
        if not message_id:
            raise SendError(_("%(platform)s answered without a message id.") % {"platform": platform}, retryable=True)
        return str(message_id)


def _meta_error(exc: urllib.error.HTTPError) -> tuple[str, bool]:
    """Meta's reason ("<code>/<subcode> <message>") and whether it says to try again."""
    try:
        error = json.loads(exc.read() or b"{}").get("error") or {}
    except (ValueError, OSError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    code = error.get("code")
    label = "/".join(str(v) for v in (code, error.get("error_subcode")) if v)
    reason = " ".join(p for p in (label, str(error.get("message") or "")) if p) or f"HTTP {exc.code}"
    transient = bool(error.get("is_transient")) or code in TRANSIENT_CODES
    return reason, transient
