"""WhatsApp Business Cloud API webhook payloads to messages and delivery statuses (pure: no
database). A payload is Meta's `{"object": "whatsapp_business_account", "entry": [{"changes":
[{"field": "messages", "value": {...}}]}]}`; one may carry several messages and statuses.

Every message type becomes text an agent can read, with its facts under ``metadata["whatsapp"]``;
media arrive as an id (``media_id``) that processing downloads (connectors/whatsapp/media.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from layan.connectors.base import InboundMessage

# Cloud API status names -> Layan's delivery statuses.
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}
MEDIA_TYPES = ("image", "video", "document", "audio", "sticker")
# The labels stored in the message text, in the workspace's language (Indonesian): they are part of
# what the customer sent, like an email's "[lampiran]", not interface text.
LABELS = {"image": "[gambar]", "video": "[video]", "document": "[dokumen]", "audio": "[pesan suara]",
          "sticker": "[stiker]", "location": "[lokasi]", "contacts": "[kontak]", "reaction": "[reaksi]",
          "reaction_removed": "[reaksi dihapus]"}


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


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _str(value) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _when(timestamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _join(*parts) -> str:
    return " ".join(p for p in (_str(x).strip() for x in parts) if p)


def _contact(card: dict) -> dict:
    name = _dict(card.get("name"))
    return {"name": _str(name.get("formatted_name")) or _join(name.get("first_name"), name.get("last_name")),
            "phones": [_str(_dict(p).get("phone")) for p in _list(card.get("phones")) if _dict(p).get("phone")],
            "emails": [_str(_dict(e).get("email")) for e in _list(card.get("emails")) if _dict(e).get("email")]}


def _content(message: dict) -> tuple[str, dict]:
    """(text an agent reads, facts kept in metadata) for one message of any type."""
    kind = _str(message.get("type"))
    body = _dict(message.get(kind))
    facts: dict = {"type": kind}
    if kind == "text":
        return _str(body.get("body")), facts
    if kind in MEDIA_TYPES:
        for key in ("id", "mime_type", "sha256", "caption", "filename"):
            if body.get(key) not in (None, ""):
                facts["media_id" if key == "id" else key] = _str(body.get(key))
        if kind == "audio" and body.get("voice") is not None:
            facts["voice"] = bool(body.get("voice"))
        if kind == "sticker" and body.get("animated") is not None:
            facts["animated"] = bool(body.get("animated"))
        return _join(LABELS[kind], body.get("filename"), body.get("caption")), facts
    if kind == "location":
        facts["location"] = {k: body[k] for k in ("latitude", "longitude", "name", "address", "url")
                             if isinstance(body.get(k), str | int | float) and not isinstance(body.get(k), bool)}
        return _join(LABELS["location"], f"{_str(body.get('latitude'))}, {_str(body.get('longitude'))}",
                     body.get("name"), body.get("address"), body.get("url")), facts
    if kind == "contacts":
        cards = [_contact(_dict(c)) for c in _list(message.get("contacts"))]
        facts["contacts"] = cards
        people = [_join(c["name"], f"({', '.join(c['phones'])})" if c["phones"] else "") for c in cards]
        return _join(LABELS["contacts"], ", ".join(p for p in people if p)), facts
    if kind == "interactive":
        reply_type = _str(body.get("type")) or ("button_reply" if "button_reply" in body else "list_reply")
        reply = _dict(body.get(reply_type))
        facts["interactive"] = {"type": reply_type, "id": _str(reply.get("id")), "title": _str(reply.get("title"))}
        if reply.get("description"):
            facts["interactive"]["description"] = _str(reply.get("description"))
        return _join(reply.get("title"), f"— {_str(reply.get('description'))}" if reply.get("description") else ""
                     ), facts
    if kind == "button":  # a template's quick-reply button
        facts["button"] = {"text": _str(body.get("text")), "payload": _str(body.get("payload"))}
        return _str(body.get("text")), facts
    if kind == "reaction":
        emoji = _str(body.get("emoji"))
        facts["reaction_to"] = _str(body.get("message_id"))
        facts["emoji"] = emoji
        return (_join(LABELS["reaction"], emoji) if emoji else LABELS["reaction_removed"]), facts
    errors = [_dict(e) for e in _list(message.get("errors"))]
    if errors:
        facts["errors"] = [{"code": _str(e.get("code")), "title": _str(e.get("title"))} for e in errors]
    return (f"[{kind}]" if kind else ""), facts


def _message(message: dict, names: dict[str, str]) -> InboundMessage:
    sender = _str(message.get("from")).lstrip("+")
    context = _dict(message.get("context"))
    text, facts = _content(message)
    if context.get("forwarded") or context.get("frequently_forwarded"):
        facts["forwarded"] = True
    return InboundMessage(
        sender_kind="whatsapp", sender_value=f"+{sender}", sender_name=names.get(sender, ""),
        provider_message_id=_str(message.get("id")) or None, text=text, sent_at=_when(message.get("timestamp")),
        in_reply_to=(_str(context["id"]),) if context.get("id") else (), metadata={"whatsapp": facts})


def _status(status: dict) -> StatusUpdate | None:
    name = STATUSES.get(_str(status.get("status")))
    if not name or not status.get("id"):
        return None
    error = "; ".join(
        _join(e.get("code"), e.get("title") or e.get("message")) for e in map(_dict, _list(status.get("errors"))))
    return StatusUpdate(provider_message_id=_str(status["id"]), status=name, error=error)


def parse_webhook(raw: bytes) -> ParsedWebhook:
    """Every message and status in a webhook delivery. Raises ValueError when it is not one."""
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise ValueError("not a WhatsApp Business Account webhook")
    messages, statuses, numbers = [], [], []
    for entry in map(_dict, _list(data.get("entry"))):
        for change in map(_dict, _list(entry.get("changes"))):
            value = _dict(change.get("value"))
            number_id = _str(_dict(value.get("metadata")).get("phone_number_id"))
            if number_id:
                numbers.append(number_id)
            names = {_str(c.get("wa_id")): _str(_dict(c.get("profile")).get("name"))
                     for c in map(_dict, _list(value.get("contacts")))}
            messages += [_message(m, names) for m in map(_dict, _list(value.get("messages")))
                         if _str(m.get("from")).lstrip("+")]
            statuses += [s for s in map(_status, map(_dict, _list(value.get("statuses")))) if s is not None]
    return ParsedWebhook(messages=tuple(messages), statuses=tuple(statuses), phone_number_ids=tuple(numbers))
