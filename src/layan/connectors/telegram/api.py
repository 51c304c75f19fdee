"""A small client for the Telegram Bot API (`{base}/bot<token>/<method>`, answers
`{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description", "parameters"}`), and
the file download (`{base}/file/bot<token>/<file_path>`). Shared by the adapter, the media
download and `layan telegram connect`. Plain urllib: nothing to install."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class UploadFile:
    field: str  # the method's parameter: photo, document
    filename: str
    content_type: str
    content: bytes


class BotApiError(Exception):
    """Telegram answered ``ok: false`` (or an HTTP error): its own words in ``description``."""

    def __init__(self, *, status: int, error_code: int | None, description: str, retry_after: int | None = None):
        self.status = status
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        super().__init__(self.reason)

    @property
    def retryable(self) -> bool:
        code = self.error_code or self.status
        return code == 429 or code >= 500

    @property
    def reason(self) -> str:
        text = f"{self.error_code or self.status} {self.description}".strip()
        if self.retry_after is not None and f"retry after {self.retry_after}" not in self.description:
            text += f" (retry after {self.retry_after} s)"
        return text


class BotApiUnreachable(Exception):
    """No answer: a timeout, a refused connection, a reset, an answer that is not JSON."""


class BotApi:
    def __init__(self, *, base_url: str, token: str, timeout: float = TIMEOUT_SECONDS):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, params: dict | None = None, files: tuple[UploadFile, ...] = ()):
        """POST one method; its ``result`` on success. JSON body, or multipart/form-data with files."""
        url = f"{self.base_url}/bot{self.token}/{method}"
        if files:
            body, content_type = multipart_body(params or {}, files)
        else:
            body, content_type = json.dumps(params or {}).encode(), "application/json"
        request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 - the operator's URL
                                         headers={"Content-Type": content_type})
        answer = self._open_json(request)
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            raise _api_error(200, answer)
        return answer.get("result")

    def download(self, file_path: str, *, limit: int) -> bytes:
        """The file getFile named, at most ``limit`` bytes (ValueError when larger)."""
        url = f"{self.base_url}/file/bot{self.token}/{urllib.parse.quote(file_path.lstrip('/'))}"
        request = urllib.request.Request(url, method="GET")  # noqa: S310 - the operator's URL
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                content = response.read(limit + 1)
        except urllib.error.HTTPError as exc:
            raise _api_error(exc.code, _json_or_none(exc)) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise BotApiUnreachable(str(exc)) from exc
        if len(content) > limit:
            raise ValueError(f"the file is larger than {limit} bytes")
        return content

    def _open_json(self, request: urllib.request.Request):
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise _api_error(exc.code, _json_or_none(exc)) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise BotApiUnreachable(str(exc)) from exc
        try:
            return json.loads(raw or b"null")
        except ValueError as exc:
            raise BotApiUnreachable(f"the answer is not JSON: {exc}") from exc


def _json_or_none(exc: urllib.error.HTTPError):
    try:
        return json.loads(exc.read() or b"null")
    except (ValueError, OSError):
        return None


def _api_error(status: int, answer) -> BotApiError:
    answer = answer if isinstance(answer, dict) else {}
    parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
    code = answer.get("error_code")
    retry_after = parameters.get("retry_after")
    return BotApiError(status=status, error_code=code if isinstance(code, int) else None,
                       description=str(answer.get("description") or f"HTTP {status}"),
                       retry_after=retry_after if isinstance(retry_after, int) else None)


def multipart_body(fields: dict, files: tuple[UploadFile, ...]) -> tuple[bytes, str]:
    """A multipart/form-data body (RFC 7578) of plain fields and files, with its Content-Type."""
    boundary = f"layan-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(value)
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + text.encode() + b"\r\n")
    for upload in files:
        filename = upload.filename.replace('"', "'").replace("\r", " ").replace("\n", " ")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{upload.field}"; '
                     f'filename="{filename}"\r\nContent-Type: {upload.content_type}\r\n\r\n'.encode()
                     + upload.content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
