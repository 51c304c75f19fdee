"""A fake Telegram Bot API on 127.0.0.1 that answers as the Bot API documents: getMe, setWebhook,
getWebhookInfo, getFile and the file download, sendMessage, sendPhoto and sendDocument, with
Telegram's error shape for a wrong token, an unknown file or a missing text. Tests point an
inbox's `api_base_url` at `.url` and assert the exact requests; scripted answers (`error()`) come
first. `python -m layan.connectors.telegram.fake_provider` runs one for the demo."""

from __future__ import annotations

import argparse
import itertools
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP

from layan.connectors.fake_provider import Answer, FakeProviderServer, RecordedRequest

FAKE_TOKEN = "123456789:AAE-rahasia-bot-uji"  # noqa: S105 - the fake's own, opens nothing real
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


def request_fields(request: RecordedRequest) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """A Bot API call's parameters however they came (query string, JSON, form, multipart), as
    strings (JSON values as Telegram reads them), and its uploaded files."""
    fields = {k: v[-1] for k, v in request.query.items()}
    files: dict[str, UploadedFile] = {}
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json") and request.body:
        for key, value in (request.json() or {}).items():
            fields[key] = value if isinstance(value, str) else json.dumps(value)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        fields.update({k: v[-1] for k, v in request.form().items()})
    elif content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            content = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                files[name] = UploadedFile(part.get_filename(), part.get_content_type(), content)
            else:
                fields[name] = content.decode()
    return fields, files


class TelegramBotApiFake(FakeProviderServer):
    name = "telegram"

    def __init__(self, token: str = FAKE_TOKEN, bot_username: str = "tokomaju_cs_bot",
                 host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.token = token
        self.bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 1
        self.bot_username = bot_username
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.webhook: dict[str, str] = {}
        self._message_ids = itertools.count(5001)

    # --- what tests set up and read -------------------------------------------------------
    def add_file(self, file_id: str, content: bytes, file_path: str) -> None:
        """A file getFile can find and the download serves."""
        self.files[file_id] = (file_path, content)

    @staticmethod
    def error(error_code: int, description: str, retry_after: int | None = None) -> Answer:
        """Telegram's error answer, for ``scripted``."""
        body = {"ok": False, "error_code": error_code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return Answer(error_code, body)

    def calls(self, method: str) -> list[tuple[dict[str, str], dict[str, UploadedFile]]]:
        """The parameters and files of every call of ``method``, in order."""
        return [request_fields(r) for r in self.requests if r.path.endswith(f"/{method}")]

    def deliver_update(self, webhook_url: str, update: dict, *, secret_token: str | None = None) -> int:
        """POST an update to a webhook as Telegram does (for the demo); the HTTP status."""
        headers = {"Content-Type": "application/json"}
        secret = secret_token if secret_token is not None else self.webhook.get("secret_token", "")
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(webhook_url, data=json.dumps(update).encode(), headers=headers,  # noqa: S310
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the demo's own URL
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    # --- the Bot API ------------------------------------------------------------------------
    def answer(self, request: RecordedRequest) -> Answer:
        file_prefix, bot_prefix = f"/file/bot{self.token}/", f"/bot{self.token}/"
        if request.path.startswith(file_prefix):
            wanted = request.path[len(file_prefix):]
            for file_path, content in self.files.values():
                if file_path == wanted:
                    return Answer(200, content, content_type="application/octet-stream")
            return self.error(404, "Not Found")
        if not request.path.startswith(bot_prefix):
            # A wrong or revoked token: Telegram does not say more.
            return self.error(401 if request.path.startswith(("/bot", "/file/bot")) else 404,
                              "Unauthorized" if request.path.startswith(("/bot", "/file/bot")) else "Not Found")
        method = request.path[len(bot_prefix):]
        fields, files = request_fields(request)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return self.error(404, "Not Found")
        return handler(fields, files)

    def _ok(self, result) -> Answer:
        return Answer(200, {"ok": True, "result": result})

    def _bot(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Toko Maju CS", "username": self.bot_username}

    def _getMe(self, fields, files) -> Answer:  # noqa: N802 - the Bot API's method name
        return self._ok({**self._bot(), "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False})

    def _setWebhook(self, fields, files) -> Answer:  # noqa: N802
        if "url" not in fields:
            return self.error(400, "Bad Request: parameter \"url\" is required")
        secret = fields.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(secret):
            return self.error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = dict(fields)
        return Answer(200, {"ok": True, "result": True,
                            "description": "Webhook was set" if fields["url"] else "Webhook was deleted"})

    def _getWebhookInfo(self, fields, files) -> Answer:  # noqa: N802
        return self._ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                         "pending_update_count": 0})

    def _getFile(self, fields, files) -> Answer:  # noqa: N802
        found = self.files.get(fields.get("file_id", ""))
        if found is None:
            return self.error(400, "Bad Request: invalid file_id")
        file_path, content = found
        return self._ok({"file_id": fields["file_id"], "file_unique_id": f"AQAD{len(content)}",
                         "file_size": len(content), "file_path": file_path})

    def _message(self, fields) -> dict:
        chat = fields.get("chat_id", "")
        result = {"message_id": next(self._message_ids), "from": self._bot(),
                  "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else chat, "type": "private"},
                  "date": int(time.time())}
        if "reply_parameters" in fields:
            result["reply_to_message"] = {"message_id": json.loads(fields["reply_parameters"]).get("message_id")}
        return result

    def _sendMessage(self, fields, files) -> Answer:  # noqa: N802
        if not fields.get("chat_id"):
            return self.error(400, "Bad Request: chat_id is empty")
        if not fields.get("text", "").strip():
            return self.error(400, "Bad Request: message text is empty")
        return self._ok({**self._message(fields), "text": fields["text"]})

    def _sendPhoto(self, fields, files) -> Answer:  # noqa: N802
        return self._send_file(fields, files, "photo")

    def _sendDocument(self, fields, files) -> Answer:  # noqa: N802
        return self._send_file(fields, files, "document")

    def _send_file(self, fields, files, kind: str) -> Answer:
        if not fields.get("chat_id"):
            return self.error(400, "Bad Request: chat_id is empty")
        upload = files.get(kind)
        if upload is None:
            return self.error(400, f"Bad Request: there is no {kind} in the request")
        result = self._message(fields)
        file_id = f"{kind}-{result['message_id']}"
        self.add_file(file_id, upload.content, f"{kind}s/file_{result['message_id']}")
        described = {"file_id": file_id, "file_unique_id": f"u{result['message_id']}", "file_size": len(upload.content)}
        result[kind] = [described] if kind == "photo" else {**described, "file_name": upload.filename,
                                                            "mime_type": upload.content_type}
        if fields.get("caption"):
            result["caption"] = fields["caption"]
        return self._ok(result)


def main() -> None:  # pragma: no cover - the demo's entry point
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=FAKE_TOKEN)
    args = parser.parse_args()
    fake = TelegramBotApiFake(token=args.token, port=args.port).start()
    print(fake.url, flush=True)  # noqa: T201 - the demo reads the URL from here
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
