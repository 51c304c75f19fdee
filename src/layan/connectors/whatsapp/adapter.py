"""Sends replies through the WhatsApp Business Cloud API (`POST /<version>/<phone number id>/messages`
with the inbox's access token): text, files (uploaded first to `/<phone number id>/media`, then
sent by media id) and approved templates. The wamid Meta answers is the message's provider id, so
status callbacks and customers' replies find it. 429, 5xx, timeouts and connection errors are
tried again; other errors fail with Meta's reason."""

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
from layan.connectors.whatsapp import graph
from layan.connectors.whatsapp.media import message_type_for, upload_media
from layan.connectors.whatsapp.models import WhatsAppConfig
from layan.connectors.whatsapp.selectors import whatsapp_config

CAPTIONED = ("image", "video", "document")  # audio and stickers take no caption


class WhatsAppAdapter:
    kind = "whatsapp"
    # Cloud API throughput: 80 messages/s per business phone number by default (error 130429 past it).
    rate_limit = RateLimit(sends=80)

    def send(self, message: OutboundMessage) -> SendResult:
        config = whatsapp_config(inbox_id=message.inbox_id)
        if config is None or not config.phone_number_id:
            # Not connected to Meta yet (the demo's inbox, a new one): recorded, as every channel
            # was before its connector existed. Connecting it is setting phone_number_id.
            return LogAdapter().send(message)
        token = config.secret("access_token_env")
        if not token:
            raise SendError(_("The WhatsApp inbox needs an access token (access_token_env)."), retryable=False)
        recipients = message.recipients.get("to") or []
        if not recipients:
            raise SendError(_("The customer has no WhatsApp number."), retryable=False)
        to = recipients[0].lstrip("+")
        template = ((message.metadata or {}).get("whatsapp") or {}).get("template")
        if template:
            bodies = [_template_body(template)]
        else:
            bodies = self._media_bodies(config, token, message) if message.attachments else []
            if message.text.strip() and not (bodies and bodies[0]["type"] in CAPTIONED):
                bodies.insert(0, {"type": "text", "text": {"body": message.text, "preview_url": False}})
            elif message.text.strip():
                bodies[0][bodies[0]["type"]]["caption"] = message.text
        if message.thread_ids and not template:  # shown as an answer to the customer's latest message
            bodies[0]["context"] = {"message_id": message.thread_ids[-1]}
        sent: list[str] = []
        for body in bodies:
            try:
                sent.append(self._post_message(config, token, to, body))
            except SendError as exc:
                if not sent:
                    raise
                # Part went out: a retry would send that part twice, so this stops here and says so.
                raise SendError(_("WhatsApp took %(sent)s of %(total)s parts, then: %(reason)s")
                                % {"sent": len(sent), "total": len(bodies), "reason": exc.reason},
                                retryable=False) from exc
        return SendResult(provider_message_id=sent[0])

    def _media_bodies(self, config: WhatsAppConfig, token: str, message: OutboundMessage) -> list[dict]:
        bodies = []
        for attachment in message.attachments:
            kind = message_type_for(attachment.content_type)
            try:
                media_id = upload_media(config=config, token=token, attachment=attachment,
                                        content=_read(attachment))
            except graph.GraphError as exc:
                raise SendError(_("WhatsApp refused the file %(name)s: %(reason)s")
                                % {"name": attachment.filename, "reason": exc.reason},
                                retryable=exc.retryable) from exc
            media = {"id": media_id}
            if kind == "document":
                media["filename"] = attachment.filename
            bodies.append({"type": kind, kind: media})
        return bodies

    def _post_message(self, config: WhatsAppConfig, token: str, to: str, body: dict) -> str:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **body}
        try:
            answer = graph.call(f"{config.api_base()}/{config.phone_number_id}/messages", token=token,
                                method="POST", json_body=payload)
        except graph.GraphError as exc:
            if exc.status is None:
                raise SendError(_("WhatsApp could not be reached: %(error)s") % {"error": exc.reason},
                                retryable=exc.retryable) from exc
            raise SendError(_("WhatsApp refused the message: %(reason)s") % {"reason": exc.reason},
                            retryable=exc.retryable) from exc
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise SendError(_("WhatsApp answered without a message id."), retryable=True) from exc


def _read(attachment: OutboundAttachment) -> bytes:
    with default_storage.open(attachment.path, "rb") as handle:
        return handle.read()


def _template_body(template: dict) -> dict:
    """`type: template` with the body parameters, as the Cloud API documents it."""
    sent = {"name": template["name"], "language": {"code": template["language"]}}
    parameters = template.get("parameters") or []
    if parameters:
        sent["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]
    return {"type": "template", "template": sent}
