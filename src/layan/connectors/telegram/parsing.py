"""Telegram Bot API webhook updates to messages (pure: no database, no network). An update is
`{"update_id": N, "<kind>": {...}}` with exactly one kind; Layan reads `message` and
`edited_message` from private chats and says why it leaves every other update alone.

Provider ids are ``<inbox key>:<chat id>:<message id>``: Telegram numbers messages per chat, and
two bots of one workspace share their customers' chat ids, so the inbox key keeps them apart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from layan.connectors.base import InboundMessage

HANDLED_KINDS = ("message", "edited_message")
# The labels agents read for what is not text, in the words the WhatsApp connector uses.
LABELS = {"photo": "[gambar]", "document": "[dokumen]", "voice": "[pesan suara]", "audio": "[audio]",
          "video": "[video]", "video_note": "[video]", "animation": "[animasi]", "sticker": "[stiker]",
          "location": "[lokasi]", "venue": "[lokasi]", "contact": "[kontak]", "poll": "[polling]",
          "dice": "[dadu]"}
EDITED_LABEL = "[diedit]"
MEDIA_KINDS = ("photo", "document", "voice", "audio", "video", "video_note", "animation", "sticker")
# What a downloaded file is called and typed as when Telegram gives no name or type.
DEFAULT_FILES = {"photo": ("foto.jpg", "image/jpeg"), "voice": ("pesan-suara.ogg", "audio/ogg"),
                 "audio": ("audio.mp3", "audio/mpeg"), "video": ("video.mp4", "video/mp4"),
                 "video_note": ("video.mp4", "video/mp4"), "animation": ("animasi.mp4", "video/mp4"),
                 "document": ("dokumen", "application/octet-stream")}


@dataclass(frozen=True)
class TelegramFile:
    """A file the message carries, to fetch with getFile."""

    file_id: str
    file_unique_id: str
    filename: str
    content_type: str
    file_size: int | None = None


@dataclass(frozen=True)
class ParsedUpdate:
    update_id: int
    kind: str  # message, edited_message, callback_query, ...
    message: InboundMessage | None = None  # None: ignored, for ``ignored_reason``
    file: TelegramFile | None = None
    ignored_reason: str = ""


def provider_id(inbox_key: str, chat_id, message_id) -> str:
    return f"{inbox_key}:{chat_id}:{message_id}"


def split_provider_id(value: str) -> tuple[str, str, int] | None:
    """(inbox key, chat id, message id) of an id ``provider_id`` made; None for any other id."""
    parts = (value or "").split(":")
    if len(parts) == 5 and parts[3] == "edit":  # an edit's own id: the message it edited
        parts = parts[:3]
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


def _when(timestamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _str(value) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def sender_name(user: dict) -> str:
    full = " ".join(p for p in (_str(user.get("first_name")).strip(), _str(user.get("last_name")).strip()) if p)
    return full or _str(user.get("username")).strip()


def _content_kind(message: dict) -> str | None:
    if isinstance(message.get("text"), str):
        return "text"
    # venue comes with a location as well: the venue says more.
    for kind in ("venue", *MEDIA_KINDS, "location", "contact", "poll", "dice"):
        if isinstance(message.get(kind), dict | list) and message.get(kind):
            return kind
    return None


def _duration(seconds) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}" if isinstance(seconds, int) and seconds >= 0 else ""


def readable_text(message: dict, kind: str) -> str:
    """What an agent reads for each kind of message; a caption follows the label."""
    if kind == "text":
        return _str(message.get("text"))
    body = message.get(kind)
    caption = _str(message.get("caption"))
    label = LABELS[kind]
    if kind == "photo":
        details = []
    elif kind == "document":
        details = [_str(_dict(body).get("file_name"))]
    elif kind in ("voice", "video_note"):
        details = [_duration(_dict(body).get("duration"))]
    elif kind == "audio":
        audio = _dict(body)
        title = " - ".join(p for p in (_str(audio.get("performer")), _str(audio.get("title"))) if p)
        details = [title or _str(audio.get("file_name")), _duration(audio.get("duration"))]
    elif kind in ("video", "animation"):
        details = [_str(_dict(body).get("file_name"))]
    elif kind == "sticker":
        details = [_str(_dict(body).get("emoji"))]
    elif kind == "location":
        details = [f"{_dict(body).get('latitude')}, {_dict(body).get('longitude')}"]
    elif kind == "venue":
        venue = _dict(body)
        where = _dict(venue.get("location"))
        details = [f"{where.get('latitude')}, {where.get('longitude')}", _str(venue.get("title")),
                   _str(venue.get("address"))]
    elif kind == "contact":
        contact = _dict(body)
        details = [sender_name(contact), _str(contact.get("phone_number"))]
    elif kind == "poll":
        poll = _dict(body)
        options = [_str(o.get("text")) for o in _list(poll.get("options")) if isinstance(o, dict)]
        details = [_str(poll.get("question")), ("(" + " / ".join(options) + ")") if options else ""]
    else:  # dice
        dice = _dict(body)
        details = [_str(dice.get("emoji")), _str(dice.get("value"))]
    return " ".join(p for p in (label, *details, caption) if p.strip())


def _file(message: dict, kind: str) -> TelegramFile | None:
    body = message.get(kind)
    if kind == "photo":
        # The same picture in several sizes: the largest is the one worth keeping.
        sizes = [s for s in body if isinstance(s, dict) and s.get("file_id")] if isinstance(body, list) else []
        if not sizes:
            return None
        body = max(sizes, key=lambda s: (_int(s.get("width")) * _int(s.get("height")), _int(s.get("file_size"))))
    body = _dict(body)
    if not _str(body.get("file_id")):
        return None
    if kind == "sticker":
        name, content_type = ("stiker.webm", "video/webm") if body.get("is_video") else (
            ("stiker.tgs", "application/x-tgsticker") if body.get("is_animated") else ("stiker.webp", "image/webp"))
    else:
        name, content_type = DEFAULT_FILES[kind]
        name = _str(body.get("file_name")).strip() or name
        content_type = _str(body.get("mime_type")).strip() or content_type
    size = body.get("file_size")
    return TelegramFile(file_id=_str(body["file_id"]), file_unique_id=_str(body.get("file_unique_id")),
                        filename=name[:255], content_type=content_type[:127],
                        file_size=size if isinstance(size, int) else None)


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def parse_update(raw: bytes, *, inbox_key: str) -> ParsedUpdate:
    """The message in one webhook update, or why there is none. Raises ValueError when ``raw`` is
    not a Telegram update at all."""
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int) or isinstance(
            data.get("update_id"), bool):
        raise ValueError("no update_id")
    update_id = data["update_id"]
    kinds = [k for k in data if k != "update_id"]
    kind = kinds[0] if kinds else ""
    if kind not in HANDLED_KINDS:
        return ParsedUpdate(update_id, kind, ignored_reason=f"Telegram update of type {kind or 'unknown'} "
                                                            "is not a customer's message")
    message = data[kind]
    if not isinstance(message, dict):
        raise ValueError(f"{kind} is not an object")
    chat = _dict(message.get("chat"))
    chat_id, message_id = chat.get("id"), message.get("message_id")
    if not isinstance(chat_id, int) or not isinstance(message_id, int):
        raise ValueError("a message without chat.id or message_id")
    if chat.get("type") != "private":
        return ParsedUpdate(update_id, kind, ignored_reason=f"a message in a {chat.get('type') or 'unknown'} "
                                                            "chat: Layan answers private chats only")
    user = _dict(message.get("from"))
    if user.get("is_bot") is True:
        return ParsedUpdate(update_id, kind, ignored_reason="a message from a bot")
    content = _content_kind(message)
    if content is None:
        return ParsedUpdate(update_id, kind, ignored_reason="a service message with nothing to read "
                                                            f"({', '.join(sorted(k for k in message if k not in ('message_id', 'from', 'chat', 'date')))})")
    own_id = provider_id(inbox_key, chat_id, message_id)
    facts = {"type": content, "chat_id": chat_id, "message_id": message_id}
    if user.get("username"):
        facts["username"] = _str(user["username"])
    text = readable_text(message, content)
    file = _file(message, content) if content in MEDIA_KINDS else None
    if file is not None:
        facts["file_id"] = file.file_id
    replied = _dict(message.get("reply_to_message"))
    in_reply_to = ()
    if isinstance(replied.get("message_id"), int):
        in_reply_to = (provider_id(inbox_key, chat_id, replied["message_id"]),)
        facts["reply_to_message_id"] = replied["message_id"]
    if kind == "edited_message":
        # Stored as a message of its own, so the customer's first words stay as they were; it
        # threads to the original. Each edit is its own update, so its update id names it.
        facts.update(edited=True, original_provider_message_id=own_id,
                     edit_date=message.get("edit_date") if isinstance(message.get("edit_date"), int) else None)
        own_id = f"{own_id}:edit:{update_id}"
        in_reply_to = (provider_id(inbox_key, chat_id, message_id), *in_reply_to)
        text = f"{EDITED_LABEL} {text}"
        file = None  # the media stay on the original message; an edit changes the caption only
    inbound = InboundMessage(
        sender_kind="telegram", sender_value=str(chat_id), sender_name=sender_name(user)[:200],
        provider_message_id=own_id, text=text, sent_at=_when(message.get("date")),
        in_reply_to=in_reply_to, metadata={"telegram": facts})
    return ParsedUpdate(update_id, kind, message=inbound, file=file)
