"""WhatsApp Business Cloud API webhook payloads to messages and delivery statuses (pure: no
database). A payload is Meta's `{"object": "whatsapp_business_account", "entry": [{"changes":
[{"field": "messages", "value": {...}}]}]}`; one may carry several messages and statuses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from layan.connectors.base import InboundMessage

# Cloud API status names -> Layan's delivery statuses.
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str  # the wamid Layan's send got back
    status: str  # sent | delivered | read | failed
    error: str = ""


@dataclass(frozen=True)
class ParsedWebhook:
    messages: tuple[InboundMessage, ...]
    statuses: tuple[StatusUpdate, ...]
    phone_number_ids: tuple[str, ...]  # which business numbers the payload is for


def _when(timestamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _text(message: dict) -> str:
    """What an agent reads for each message type (media arrive as a caption and a placeholder)."""
    kind = message.get("type")
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return str(body.get("body") or "")
    if kind in ("image", "video", "document", "audio", "sticker"):
        label = {"image": "[gambar]", "video": "[video]", "document": "[dokumen]", "audio": "[pesan suara]",
                 "sticker": "[stiker]"}[kind]
        name = body.get("filename") or ""
        return " ".join(p for p in (label, name, body.get("caption") or "") if p)
    if kind == "location":
        place = " ".join(str(body.get(k) or "") for k in ("name", "address")).strip()
        return f"[lokasi] {body.get('latitude')}, {body.get('longitude')} {place}".strip()
    if kind == "contacts":
        people = [c.get("name", {}).get("formatted_name", "") for c in message.get("contacts") or []]
        return "[kontak] " + ", ".join(p for p in people if p)
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return str(reply.get("title") or "")
    if kind == "button":
        return str(body.get("text") or "")
    if kind == "reaction":
        return str(body.get("emoji") or "")
    return f"[{kind}]" if kind else ""


def parse_webhook(raw: bytes) -> ParsedWebhook:
    """Every message and status in a webhook delivery. Raises ValueError when it is not one."""
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise ValueError("not a WhatsApp Business Account webhook")
    messages, statuses, numbers = [], [], []
    for entry in data.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            number_id = (value.get("metadata") or {}).get("phone_number_id")
            if number_id:
                numbers.append(str(number_id))
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []}
            for message in value.get("messages") or []:
                sender = str(message.get("from") or "")
                context = message.get("context") or {}
                metadata = {"whatsapp": {"type": message.get("type")}}
                media = message.get(message.get("type")) if isinstance(message.get(message.get("type")), dict) else {}
                if media.get("id"):
                    metadata["whatsapp"]["media_id"] = media["id"]
                if message.get("type") == "reaction":
                    metadata["whatsapp"]["reaction_to"] = media.get("message_id")
                messages.append(InboundMessage(
                    sender_kind="whatsapp", sender_value=f"+{sender.lstrip('+')}", sender_name=names.get(sender, ""),
                    provider_message_id=str(message.get("id") or "") or None, text=_text(message),
                    sent_at=_when(message.get("timestamp")),
                    in_reply_to=(context["id"],) if context.get("id") else (), metadata=metadata))
            for status in value.get("statuses") or []:
                name = STATUSES.get(status.get("status"))
                if not name or not status.get("id"):
                    continue
                errors = status.get("errors") or []
                error = "; ".join(f"{e.get('code')} {e.get('title') or e.get('message') or ''}".strip()
                                  for e in errors if isinstance(e, dict))
                statuses.append(StatusUpdate(provider_message_id=str(status["id"]), status=name, error=error))
    return ParsedWebhook(messages=tuple(messages), statuses=tuple(statuses), phone_number_ids=tuple(numbers))
