"""Messenger and Instagram messaging webhooks to messages and receipts (pure: no database, no
network). Both platforms post `{"object": "page"|"instagram", "entry": [{"id", "time",
"messaging": [...]}]}`, one item per event: a message (text, attachments, quick reply, reply to
a message or an Instagram story, a deleted message), a reaction, a postback (a tapped button), a
delivery or read receipt. Our own sends come back as echoes and are left out.

Labels Layan writes into a message ("[image]", "[reacted ❤]") go through gettext: they are read
by agents in the workspace's language."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from layan.connectors.base import InboundMessage

# Which webhook `object` each platform posts, and the customer identity its sender ids are.
OBJECTS = {"messenger": "page", "instagram": "instagram"}
DOWNLOADABLE = ("image", "video", "audio", "file")


@dataclass(frozen=True)
class MediaLink:
    type: str  # image | video | audio | file
    url: str  # a CDN address that expires: fetched once, when the message is processed


@dataclass(frozen=True)
class ParsedMessage:
    account_id: str  # the Page or Instagram account the delivery is for (entry.id)
    inbound: InboundMessage
    media: tuple[MediaLink, ...] = ()


@dataclass(frozen=True)
class Receipt:
    account_id: str
    customer_id: str  # the PSID / IGSID who received or read our messages
    status: str  # delivered | read
    mids: tuple[str, ...] = ()  # these messages exactly
    watermark: datetime | None = None  # and every message sent up to this time


@dataclass(frozen=True)
class ParsedMessaging:
    messages: tuple[ParsedMessage, ...]
    receipts: tuple[Receipt, ...]
    echoes: int  # our own messages coming back: ignored
    account_ids: tuple[str, ...]


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _str(value) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int | float) else ""


def _when(milliseconds) -> datetime | None:
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _media_label(kind: str) -> str:
    labels = {"image": _("[image]"), "video": _("[video]"), "audio": _("[audio]"), "file": _("[file]")}
    return labels.get(kind) or _("[%(type)s]") % {"type": kind or _("attachment")}


def _message(platform: str, account_id: str, item: dict, message: dict) -> ParsedMessage | None:
    sender = _str(_dict(item.get("sender")).get("id"))
    mid = _str(message.get("mid"))
    if not sender:
        return None
    sent_at = _when(item.get("timestamp"))
    facts: dict = {"mid": mid} if mid else {}
    if message.get("is_deleted"):
        # The mid is the deleted message's own: a new entry notes it, threaded to the original.
        facts["deleted"] = True
        return ParsedMessage(account_id, InboundMessage(
            sender_kind=platform, sender_value=sender, provider_message_id=f"{mid}#deleted" if mid else None,
            text=_("[deleted a message]"), sent_at=sent_at, in_reply_to=(mid,) if mid else (), automatic=True,
            metadata={platform: facts}))
    lines = []
    reply_to = _dict(message.get("reply_to"))
    story = _dict(reply_to.get("story"))
    if story:
        facts["story"] = {"id": _str(story.get("id")), "url": _str(story.get("url"))}
        lines.append(_("[replied to your story] %(url)s") % {"url": _str(story.get("url"))})
    text = _str(message.get("text"))
    if text:
        lines.append(text)
    media, links = [], []
    for attachment in _list(message.get("attachments")):
        attachment = _dict(attachment)
        kind = _str(attachment.get("type"))
        url = _str(_dict(attachment.get("payload")).get("url"))
        links.append({"type": kind, "url": url})
        if kind == "story_mention":
            # Meta's rule for mentions: keep the link, never a copy of the story.
            lines.append(_("[mentioned you in their story] %(url)s") % {"url": url})
        elif kind in DOWNLOADABLE and url.startswith(("https://", "http://")):
            media.append(MediaLink(kind, url))
            if not text:
                lines.append(_media_label(kind))
        else:  # a shared post, a reel, a template: shown as its link
            lines.append(" ".join(p for p in (_media_label(kind), url) if p))
    if links:
        facts["attachments"] = links
    quick_reply = _dict(message.get("quick_reply"))
    if quick_reply.get("payload"):
        facts["quick_reply"] = _str(quick_reply.get("payload"))
    parent = _str(reply_to.get("mid"))
    if parent:
        facts["reply_to"] = parent
    return ParsedMessage(account_id, InboundMessage(
        sender_kind=platform, sender_value=sender, provider_message_id=mid or None, text="\n".join(lines),
        sent_at=sent_at, in_reply_to=(parent,) if parent else (), metadata={platform: facts}), tuple(media))


def _reaction(platform: str, account_id: str, item: dict, reaction: dict) -> ParsedMessage | None:
    sender = _str(_dict(item.get("sender")).get("id"))
    target = _str(reaction.get("mid"))
    if not sender:
        return None
    action = _str(reaction.get("action")) or "react"
    emoji = _str(reaction.get("emoji")) or _str(reaction.get("reaction"))
    if action == "unreact":
        text = _("[removed a reaction]")
    else:
        text = _("[reacted %(emoji)s]") % {"emoji": emoji} if emoji else _("[reacted]")
    # A reaction has no id of its own: the message, the person, the act and its time name it.
    key = f"reaction:{target}:{sender}:{action}:{_str(item.get('timestamp'))}"
    return ParsedMessage(account_id, InboundMessage(
        sender_kind=platform, sender_value=sender, provider_message_id=key[:255], text=text,
        sent_at=_when(item.get("timestamp")), in_reply_to=(target,) if target else (), automatic=True,
        metadata={platform: {"reaction": {"mid": target, "action": action, "emoji": emoji,
                                          "reaction": _str(reaction.get("reaction"))}}}))


def _postback(platform: str, account_id: str, item: dict, postback: dict) -> ParsedMessage | None:
    sender = _str(_dict(item.get("sender")).get("id"))
    if not sender:
        return None
    title = _str(postback.get("title")) or _str(postback.get("payload"))
    mid = _str(postback.get("mid")) or f"postback:{sender}:{_str(item.get('timestamp'))}"
    return ParsedMessage(account_id, InboundMessage(
        sender_kind=platform, sender_value=sender, provider_message_id=mid[:255],
        text=_("[tapped] %(title)s") % {"title": title}, sent_at=_when(item.get("timestamp")),
        metadata={platform: {"mid": mid, "postback": _str(postback.get("payload"))}}))


def _receipt(account_id: str, item: dict, status: str, body: dict) -> Receipt | None:
    customer = _str(_dict(item.get("sender")).get("id"))
    mids = [_str(m) for m in _list(body.get("mids"))] + [_str(body.get("mid"))]
    mids = tuple(m for m in mids if m)
    watermark = _when(body.get("watermark")) if body.get("watermark") is not None else None
    if not customer or not (mids or watermark):
        return None
    return Receipt(account_id=account_id, customer_id=customer, status=status, mids=mids, watermark=watermark)


def parse_messaging(raw: bytes, *, platform: str) -> ParsedMessaging:
    """Every message and receipt in a delivery. Raises ValueError when it is not one of ``platform``'s."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError as exc:  # nesting no provider sends
        raise ValueError("JSON nested too deeply") from exc
    if not isinstance(data, dict) or data.get("object") != OBJECTS[platform]:
        raise ValueError(f"not a {platform} messaging webhook")
    messages, receipts, accounts, echoes = [], [], [], 0
    for entry in _list(data.get("entry")):
        entry = _dict(entry)
        account_id = _str(entry.get("id"))
        if account_id:
            accounts.append(account_id)
        for item in _list(entry.get("messaging")):
            item = _dict(item)
            parsed = None
            if isinstance(item.get("message"), dict):
                if item["message"].get("is_echo"):
                    echoes += 1
                    continue
                parsed = _message(platform, account_id, item, item["message"])
            elif isinstance(item.get("reaction"), dict):
                parsed = _reaction(platform, account_id, item, item["reaction"])
            elif isinstance(item.get("postback"), dict):
                parsed = _postback(platform, account_id, item, item["postback"])
            elif isinstance(item.get("delivery"), dict):
                receipt = _receipt(account_id, item, "delivered", item["delivery"])
                receipts += [receipt] if receipt else []
            elif isinstance(item.get("read"), dict):
                receipt = _receipt(account_id, item, "read", item["read"])
                receipts += [receipt] if receipt else []
            if parsed is not None:
                messages.append(parsed)
    return ParsedMessaging(messages=tuple(messages), receipts=tuple(receipts), echoes=echoes,
                           account_ids=tuple(accounts))


def delivery_event_id(body: bytes, *, platform: str) -> str:
    """The id a delivery is stored under, so Meta's retries are stored once: the message's mid when
    the delivery carries one message (the usual case), else a hash of the body (a batch, receipts).
    Never raises: it runs on any signed body, parsed or not."""
    try:
        data = json.loads(body.decode("utf-8"))
        items = [_dict(i) for e in _list(_dict(data).get("entry")) for i in _list(_dict(e).get("messaging"))]
    except (ValueError, UnicodeDecodeError, RecursionError):
        items = []
    if len(items) == 1:
        message = _dict(items[0].get("message") or items[0].get("postback"))
        mid = _str(message.get("mid"))
        if message.get("is_deleted"):  # the deleted message's own mid: its deletion is another event
            mid += "#deleted"
        if mid and len(mid) <= 200:
            return f"{platform}:mid:{mid}"
    return f"{platform}:sha256:{hashlib.sha256(body).hexdigest()}"
