"""The few Graph API calls the WhatsApp connector makes (send, media upload and download, template
list), over urllib with the inbox's access token. Errors carry Meta's own reason and whether a
later try may succeed (timeouts, connection errors, 429, 5xx)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

TIMEOUT_SECONDS = 30


class GraphError(Exception):
    def __init__(self, reason: str, *, retryable: bool, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status


@dataclass(frozen=True)
class FilePart:
    field: str
    filename: str
    content_type: str
    content: bytes


def multipart_body(fields: dict[str, str], files: list[FilePart]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type (with the boundary)."""
    boundary = f"layan-{uuid.uuid4().hex}"
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for part in files:
        filename = part.filename.replace('"', "'").replace("\r", " ").replace("\n", " ")
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{part.field}"; filename="{filename}"'
                      f"\r\nContent-Type: {part.content_type}\r\n\r\n".encode())
        chunks.append(part.content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def call(url: str, *, token: str, method: str = "GET", json_body: dict | None = None,
         fields: dict[str, str] | None = None, files: list[FilePart] | None = None,
         timeout: float = TIMEOUT_SECONDS) -> dict:
    """One Graph API call answering JSON. Raises GraphError."""
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif files is not None or fields is not None:
        data, headers["Content-Type"] = multipart_body(fields or {}, files or [])
    raw = _open(urllib.request.Request(url, data=data, method=method, headers=headers),  # noqa: S310
                timeout=timeout, limit=None)
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise GraphError(f"not JSON: {exc}", retryable=True) from exc
    if not isinstance(answer, dict):
        raise GraphError("not a JSON object", retryable=True)
    return answer


def download(url: str, *, token: str, limit: int, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The bytes at a media URL Meta gave (it needs the same bearer token). Raises GraphError,
    also when the file is larger than ``limit``."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    return _open(request, timeout=timeout, limit=limit)


def _open(request: urllib.request.Request, *, timeout: float, limit: int | None) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https unless the operator's URL
            if limit is None:
                return response.read()
            content = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise GraphError(error_reason(exc), retryable=exc.code == 429 or exc.code >= 500, status=exc.code) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise GraphError(str(getattr(exc, "reason", None) or exc), retryable=True) from exc
    if len(content) > limit:
        raise GraphError(f"larger than {limit} bytes", retryable=False)
    return content


def error_reason(exc: urllib.error.HTTPError) -> str:
    """Meta's words for a refusal: its error code, message and details."""
    try:
        error = json.loads(exc.read() or b"{}").get("error") or {}
    except (ValueError, OSError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    parts = [str(error.get(k)) for k in ("code", "message") if error.get(k)]
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    return " ".join(parts + ([str(details)] if details else [])) or f"HTTP {exc.code}"
