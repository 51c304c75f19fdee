"""A message a company's system posts to its API-channel inbox, checked and turned into an
InboundMessage (pure: no database). The documented shape is in docs/channels/api.md:

    {"message_id", "sender": {"id", "name", "email"?, "phone"?}, "text", "html"?, "subject"?,
     "sent_at"?, "thread_id"?, "attachments": [{"filename", "content_type", "url" | "content_base64"}]}
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from layan.connectors.base import InboundAttachment, InboundMessage
from layan.customers.normalise import normalise_email, normalise_phone
from layan.errors import InvalidInput

MAX_ID_CHARS = 200
MAX_ATTACHMENTS = 20


class ApiPayloadError(ValueError):
    """What is wrong, and the field at fault (for the 400 answer)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AttachmentLink:
    filename: str
    content_type: str
    url: str


@dataclass(frozen=True)
class ApiMessage:
    message: InboundMessage  # sender_kind "external": the company's own id for the customer
    email: str = ""
    phone: str = ""
    thread_id: str = ""
    links: tuple[AttachmentLink, ...] = ()  # attachments given by URL: listed, never fetched


def _string(data: dict, key: str, field: str, *, required: bool = False, limit: int = 100_000) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ApiPayloadError(field, _("%(field)s is required.") % {"field": field})
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ApiPayloadError(field, _("%(field)s must be a string.") % {"field": field})
    value = str(value)
    if len(value) > limit:
        raise ApiPayloadError(field, _("%(field)s is longer than %(n)s characters.") % {"field": field, "n": limit})
    return value


def _sent_at(value) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ApiPayloadError("sent_at", _("sent_at must be an ISO 8601 time or unix seconds.")) from exc
    if parsed.tzinfo is None:
        raise ApiPayloadError("sent_at", _("sent_at needs a time zone (such as +07:00 or Z)."))
    return parsed


def _attachments(items) -> tuple[list[InboundAttachment], list[AttachmentLink]]:
    if items is None:
        return [], []
    if not isinstance(items, list):
        raise ApiPayloadError("attachments", _("attachments must be a list."))
    if len(items) > MAX_ATTACHMENTS:
        raise ApiPayloadError("attachments", _("A message has at most %(n)s attachments.") % {"n": MAX_ATTACHMENTS})
    files, links = [], []
    for index, item in enumerate(items):
        field = f"attachments[{index}]"
        if not isinstance(item, dict):
            raise ApiPayloadError(field, _("%(field)s must be an object.") % {"field": field})
        filename = _string(item, "filename", f"{field}.filename", required=True, limit=255)
        content_type = _string(item, "content_type", f"{field}.content_type", limit=255) or "application/octet-stream"
        url = _string(item, "url", f"{field}.url", limit=2000)
        encoded = item.get("content_base64")
        if bool(url) == bool(encoded):
            raise ApiPayloadError(field, _("%(field)s needs either url or content_base64.") % {"field": field})
        if url:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ApiPayloadError(f"{field}.url", _("%(field)s must be an http or https URL.") % {"field": f"{field}.url"})
            links.append(AttachmentLink(filename=filename, content_type=content_type, url=url))
            continue
        if not isinstance(encoded, str):
            raise ApiPayloadError(f"{field}.content_base64", _("%(field)s must be a string.") % {"field": f"{field}.content_base64"})
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiPayloadError(f"{field}.content_base64", _("%(field)s is not valid base64.") % {"field": f"{field}.content_base64"}) from exc
        files.append(InboundAttachment(filename=filename, content_type=content_type, content=content))
    return files, links


def parse_api_message(raw: bytes) -> ApiMessage:
    """The message, or ApiPayloadError (a ValueError) naming the field at fault."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError as exc:  # absurdly nested JSON
        raise ApiPayloadError("body", _("The JSON is nested too deeply.")) from exc
    except ValueError as exc:
        raise ApiPayloadError("body", _("The body is not JSON.")) from exc
    if not isinstance(data, dict):
        raise ApiPayloadError("body", _("The body must be a JSON object."))
    message_id = _string(data, "message_id", "message_id", required=True, limit=MAX_ID_CHARS)
    sender = data.get("sender")
    if not isinstance(sender, dict):
        raise ApiPayloadError("sender", _("sender must be an object with an id."))
    sender_id = _string(sender, "id", "sender.id", required=True, limit=320).strip()
    if not sender_id or any(ord(c) < 32 or ord(c) == 127 for c in sender_id):
        raise ApiPayloadError("sender.id", _("sender.id must be printable text."))
    name = " ".join(_string(sender, "name", "sender.name", limit=200).split())
    email = _string(sender, "email", "sender.email", limit=320)
    phone = _string(sender, "phone", "sender.phone", limit=40)
    try:
        email = normalise_email(email) if email else ""
    except InvalidInput as exc:
        raise ApiPayloadError("sender.email", _("sender.email is not a valid email address.")) from exc
    try:
        phone = normalise_phone(phone) if phone else ""
    except InvalidInput as exc:
        raise ApiPayloadError("sender.phone", _("sender.phone is not a valid phone number.")) from exc
    text = _string(data, "text", "text")
    html = _string(data, "html", "html")
    subject = " ".join(_string(data, "subject", "subject", limit=300).split())
    thread_id = _string(data, "thread_id", "thread_id", limit=MAX_ID_CHARS)
    files, links = _attachments(data.get("attachments"))
    if not (text.strip() or html.strip() or files or links):
        raise ApiPayloadError("text", _("A message needs text, html or an attachment."))
    if links:  # the agent sees where the files are; Layan does not download them (no SSRF)
        listed = "\n".join(f"[lampiran] {link.filename}: {link.url}" for link in links)
        text = f"{text}\n\n{listed}" if text.strip() else listed
    metadata: dict = {"api": {}}
    if thread_id:
        metadata["api"]["thread_id"] = thread_id
    if links:
        metadata["api"]["attachment_links"] = [
            {"filename": link.filename, "content_type": link.content_type, "url": link.url} for link in links]
    inbound = InboundMessage(
        sender_kind="external", sender_value=sender_id, sender_name=name, provider_message_id=message_id,
        text=text, html=html, subject=subject, sent_at=_sent_at(data.get("sent_at")),
        attachments=tuple(files), metadata=metadata if metadata["api"] else {})
    return ApiMessage(message=inbound, email=email, phone=phone, thread_id=thread_id, links=tuple(links))
