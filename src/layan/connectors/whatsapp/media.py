"""Media of WhatsApp messages. Inbound: a webhook names a media id; `GET /<version>/<media id>` gives
a short-lived URL, and that URL (with the same bearer token) gives the bytes. Outbound: each file is
uploaded to `POST /<version>/<phone number id>/media` and sent by the id Meta answers.

A download that fails never loses the message: it is stored without the file, with the media id
and the failure in its metadata (see docs/channels/whatsapp.md)."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.conf import settings

from layan.connectors.base import InboundAttachment, OutboundAttachment
from layan.connectors.whatsapp import graph
from layan.connectors.whatsapp.models import WhatsAppConfig

# Meta's own ceiling for audio and video, and what Layan keeps of any inbound file (a document
# may be larger at Meta; it is then linked by id only). Never above Layan's attachment limit.
MAX_MEDIA_BYTES = 16 * 1024 * 1024
DOWNLOAD_TIMEOUT_SECONDS = 20
MEDIA_TYPES_WITH_FILES = ("image", "video", "document", "audio", "sticker")


def media_limit() -> int:
    return min(MAX_MEDIA_BYTES, settings.LAYAN_MAX_ATTACHMENT_BYTES)


@dataclass(frozen=True)
class Download:
    attachment: InboundAttachment | None
    error: str = ""  # why there is no attachment


def _filename(kind: str, media_id: str, mime_type: str, given: str) -> str:
    if given:
        return given[:255]
    extension = mimetypes.guess_extension((mime_type or "").split(";")[0].strip()) or ""
    return f"whatsapp-{kind}-{media_id}{extension}"[:255]


def download_media(*, config: WhatsAppConfig | None, kind: str, media_id: str, mime_type: str = "",
                   filename: str = "") -> Download:
    """The file behind ``media_id`` as an attachment, or why it could not be had."""
    token = config.secret("access_token_env") if config is not None else ""
    if config is None or not token:
        return Download(None, "no access token configured")
    limit = media_limit()
    try:
        info = graph.call(f"{config.api_base()}/{media_id}", token=token, timeout=DOWNLOAD_TIMEOUT_SECONDS)
        url = str(info.get("url") or "")
        if not url:
            return Download(None, "Meta gave no URL for the media")
        try:
            size = int(info.get("file_size") or 0)
        except (TypeError, ValueError):
            size = 0
        if size > limit:
            return Download(None, f"larger than {limit // 2**20} MB ({size} bytes)")
        content = graph.download(url, token=token, limit=limit, timeout=DOWNLOAD_TIMEOUT_SECONDS)
    except graph.GraphError as exc:
        return Download(None, exc.reason[:500])
    content_type = str(info.get("mime_type") or mime_type or "application/octet-stream")
    return Download(InboundAttachment(filename=_filename(kind, media_id, content_type, filename),
                                      content_type=content_type, content=content))


# Cloud API message types by the attachment's MIME type; anything else goes as a document.
def message_type_for(content_type: str) -> str:
    main = (content_type or "").split("/")[0].lower()
    return {"image": "image", "video": "video", "audio": "audio"}.get(main, "document")


def upload_media(*, config: WhatsAppConfig, token: str, attachment: OutboundAttachment, content: bytes) -> str:
    """Upload one file; returns Meta's media id. Raises graph.GraphError."""
    answer = graph.call(
        f"{config.api_base()}/{config.phone_number_id}/media", token=token, method="POST",
        fields={"messaging_product": "whatsapp", "type": attachment.content_type},
        files=[graph.FilePart("file", attachment.filename, attachment.content_type, content)])
    media_id = str(answer.get("id") or "")
    if not media_id:
        raise graph.GraphError("Meta answered the upload without a media id", retryable=True)
    return media_id
