"""Sends replies through the WhatsApp Business Cloud API (`POST /<version>/<phone number id>/messages`
with the inbox's access token); the wamid it answers is the message's provider id, so status
callbacks and customers' replies find it. 429 and 5xx are tried again; other errors fail with
Meta's reason."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from django.utils.translation import gettext as _

from layan.connectors.base import OutboundMessage, SendError, SendResult
from layan.connectors.log.adapter import LogAdapter
from layan.connectors.selectors import inbox_by_id

GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v21.0"
TIMEOUT_SECONDS = 30


class WhatsAppAdapter:
    kind = "whatsapp"

    def send(self, message: OutboundMessage) -> SendResult:
        settings = inbox_by_id(inbox_id=message.inbox_id).settings or {}
        if "phone_number_id" not in settings:
            # Not connected to Meta yet (the demo's inbox, a new one): recorded, as every channel
            # was before its connector existed. Connecting it is setting phone_number_id.
            return LogAdapter().send(message)
        number_id = str(settings.get("phone_number_id") or "")
        token = os.environ.get(str(settings.get("access_token_env") or ""), "")
        if not number_id or not token:
            raise SendError(_("The WhatsApp inbox needs phone_number_id and an access token (access_token_env)."),
                            retryable=False)
        recipients = message.recipients.get("to") or []
        if not recipients:
            raise SendError(_("The customer has no WhatsApp number."), retryable=False)
        body = {"messaging_product": "whatsapp", "recipient_type": "individual",
                "to": recipients[0].lstrip("+"), "type": "text",
                "text": {"body": message.text, "preview_url": False}}
        if message.thread_ids:  # show it as an answer to the customer's latest message
            body["context"] = {"message_id": message.thread_ids[-1]}
        url = (f"{str(settings.get('graph_url') or GRAPH_URL).rstrip('/')}/"
               f"{settings.get('api_version') or API_VERSION}/{number_id}/messages")
        request = urllib.request.Request(  # noqa: S310 - https by default; the operator's URL otherwise
            url, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SendError(_("WhatsApp refused the message: %(reason)s") % {"reason": _reason(exc)},
                            retryable=exc.code == 429 or exc.code >= 500) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SendError(_("WhatsApp could not be reached: %(error)s") % {"error": exc}, retryable=True) from exc
        try:
            return SendResult(provider_message_id=str(answer["messages"][0]["id"]))
        except (KeyError, IndexError, TypeError) as exc:
            raise SendError(_("WhatsApp answered without a message id."), retryable=True) from exc


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read() or b"{}").get("error") or {}
    except (ValueError, OSError, AttributeError):
        error = {}
    parts = [str(error.get(k)) for k in ("code", "message") if error.get(k)]
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    return " ".join(parts + ([details] if details else [])) or f"HTTP {exc.code}"
