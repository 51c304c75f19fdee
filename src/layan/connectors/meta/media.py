"""Fetching the files customers send on Messenger and Instagram: the webhook carries a CDN address
(it expires after a while), so the file is copied into the message's attachments when the event
is processed."""

from __future__ import annotations

import mimetypes
import posixpath
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

from django.conf import settings

from layan.connectors.base import InboundAttachment
from layan.connectors.meta.messaging import MediaLink

# Short: processing holds the event's row lock while it downloads.
TIMEOUT_SECONDS = 15


class DownloadFailed(Exception):
    pass


def _filename(link: MediaLink, content_type: str, number: int) -> str:
    name = posixpath.basename(unquote(urlsplit(link.url).path)).strip()
    if name and "." in name and len(name) <= 120:
        return name
    extension = mimetypes.guess_extension(content_type or "") or ""
    return f"{link.type}-{number}{extension}"


def download(link: MediaLink, *, number: int = 1) -> InboundAttachment:
    """The file behind ``link``; raises DownloadFailed with why (never anything else)."""
    if urlsplit(link.url).scheme not in ("https", "http"):
        raise DownloadFailed("not an http(s) address")
    limit = settings.LAYAN_MAX_ATTACHMENT_BYTES
    request = urllib.request.Request(link.url, headers={"User-Agent": "Layan"})  # noqa: S310 - scheme checked
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            content = response.read(limit + 1)
            content_type = (response.headers.get_content_type() or "").lower()
    except urllib.error.HTTPError as exc:
        raise DownloadFailed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DownloadFailed(str(exc) or type(exc).__name__) from exc
    if len(content) > limit:
        raise DownloadFailed(f"larger than {limit} bytes")
    if content_type in ("", "application/octet-stream"):
        content_type = mimetypes.guess_type(urlsplit(link.url).path)[0] or "application/octet-stream"
    return InboundAttachment(filename=_filename(link, content_type, number), content_type=content_type,
                             content=content)
