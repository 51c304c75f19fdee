"""A loopback stand-in for Meta's Graph Send API, for Messenger and Instagram: `POST
/<version>/me/messages` and `/<version>/<account id>/messages` (JSON or multipart `filedata`)
answer a message id as Meta does, `/<version>/me/message_attachments` an attachment id, and
`/cdn/<name>` serves files like Meta's CDN does for the addresses in inbound webhooks. A wrong
access token gets Meta's OAuth error; `scripted` answers (two 500s, a rate limit) come first."""

from __future__ import annotations

import json
import re
from email import policy
from email.parser import BytesParser

from layan.connectors.fake_provider import Answer, FakeProviderServer, RecordedRequest

_MESSAGES = re.compile(r"^/v[\d.]+/(?P<account>[^/]+)/messages$")
_UPLOADS = re.compile(r"^/v[\d.]+/(?P<account>[^/]+)/message_attachments$")


def meta_error(status: int, code: int, message: str, *, subcode: int | None = None, transient: bool = False,
               kind: str = "OAuthException") -> Answer:
    """An answer shaped like the Graph API's error JSON."""
    error = {"message": message, "type": kind, "code": code, "is_transient": transient,
             "fbtrace_id": "AbCdEfGhIjKlMnOp"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status, {"error": error})


def multipart_fields(request: RecordedRequest) -> dict[str, tuple[str, str, bytes]]:
    """A multipart body's fields: name -> (filename, content type, content)."""
    head = f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + request.body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_filename() or "", part.get_content_type(), part.get_payload(decode=True) or b"")
    return fields


class FakeGraphSendApi(FakeProviderServer):
    name = "meta-graph"

    def __init__(self, *args, access_token: str = "", account_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.access_token = access_token  # '' accepts any token
        self.account_id = account_id  # the Page or Instagram account "me" is; '' accepts any id
        self.files: dict[str, tuple[str, bytes]] = {}  # CDN name -> (content type, content)
        self._sent = 0

    def cdn_url(self, name: str, content: bytes, content_type: str) -> str:
        """Put a file on the fake CDN; the address goes into a webhook's attachment payload.url."""
        self.files[name] = (content_type, content)
        return f"{self.url}/cdn/{name}"

    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if _MESSAGES.match(r.path)]

    def answer(self, request: RecordedRequest) -> Answer:
        if request.method == "GET" and request.path.startswith("/cdn/"):
            found = self.files.get(request.path.removeprefix("/cdn/"))
            if found is None:
                return Answer(404, b"URL signature expired", content_type="text/plain")
            return Answer(200, found[1], content_type=found[0])
        if request.method != "POST":
            return meta_error(400, 100, "Unsupported get request.", kind="GraphMethodException")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.access_token and token != self.access_token:
            return meta_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        sent, upload = _MESSAGES.match(request.path), _UPLOADS.match(request.path)
        match = sent or upload
        if match is None:
            return meta_error(400, 100, "Unknown path components", kind="OAuthException")
        if self.account_id and match["account"] not in ("me", self.account_id):
            return meta_error(400, 100, "Object with ID does not exist, cannot be loaded due to missing "
                                        "permissions, or does not support this operation", subcode=33,
                              kind="GraphMethodException")
        with self._lock:
            self._sent += 1
            number = self._sent
        if upload:
            return Answer(200, {"attachment_id": f"{1000 + number}"})
        recipient = self._recipient(request)
        if not recipient:
            return meta_error(400, 100, "The parameter recipient is required")
        answer = {"recipient_id": recipient, "message_id": f"m_layan{number}"}
        if "multipart/form-data" in request.headers.get("Content-Type", ""):
            answer["attachment_id"] = f"{2000 + number}"
        return Answer(200, answer)

    @staticmethod
    def _recipient(request: RecordedRequest) -> str:
        try:
            if "multipart/form-data" in request.headers.get("Content-Type", ""):
                recipient = json.loads(multipart_fields(request).get("recipient", ("", "", b"{}"))[2])
            else:
                recipient = (request.json() or {}).get("recipient") or {}
        except (ValueError, AttributeError):
            return ""
        return str(recipient.get("id") or "") if isinstance(recipient, dict) else ""
