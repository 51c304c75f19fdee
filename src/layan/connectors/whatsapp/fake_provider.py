"""A fake Graph API for the WhatsApp Cloud API on 127.0.0.1, answering as Meta documents it:

- `POST /<version>/<phone number id>/messages` -> `{"messaging_product", "contacts", "messages": [{"id": wamid}]}`
- `POST /<version>/<phone number id>/media` (multipart: messaging_product, type, file) -> `{"id"}`
- `GET /<version>/<media id>` -> `{"messaging_product", "url", "mime_type", "sha256", "file_size", "id"}`,
  the url pointing back at this server
- `GET` of that url with the bearer token -> the file's bytes (401 without it)
- `GET /<version>/<waba id>/message_templates` -> `{"data": [...], "paging": {...}}`

Tests assert the requests it recorded; the demo points an inbox's graph_url at its ``.url``."""

from __future__ import annotations

import base64
import hashlib
import re
from email.parser import BytesParser
from email.policy import HTTP

from layan.connectors.fake_provider import Answer, FakeProviderServer, RecordedRequest

DEFAULT_TEMPLATES = [
    {"name": "status_pesanan", "language": "id", "status": "APPROVED", "category": "UTILITY", "id": "1180001",
     "components": [{"type": "BODY", "text": "Halo {{1}}, pesanan {{2}} sudah kami kirim hari ini.",
                     "example": {"body_text": [["Siti", "INV-2041"]]}},
                    {"type": "FOOTER", "text": "Toko Nusantara"}]},
    {"name": "lanjut_percakapan", "language": "id", "status": "APPROVED", "category": "UTILITY", "id": "1180002",
     "components": [{"type": "BODY", "text": "Halo Kak, kami ingin melanjutkan percakapan tentang pertanyaan "
                                             "Anda. Balas pesan ini kapan saja."},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Lanjutkan"}]}]},
    {"name": "promo_akhir_tahun", "language": "id", "status": "PENDING", "category": "MARKETING", "id": "1180003",
     "components": [{"type": "BODY", "text": "Diskon {{1}} untuk semua produk sampai akhir tahun!"}]},
]


class FakeGraphApi(FakeProviderServer):
    name = "whatsapp-graph"

    def __init__(self, *args, access_token: str = "", templates: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.access_token = access_token  # '' accepts any bearer token
        self.templates = list(DEFAULT_TEMPLATES if templates is None else templates)
        self.media: dict[str, tuple[str, bytes]] = {}  # media id -> (MIME type, bytes)
        self.sent = 0

    # --- what tests set up and read ---------------------------------------------------------
    def add_media(self, media_id: str, content: bytes, mime_type: str) -> None:
        """A file a customer sent: the webhook names ``media_id``, this serves it."""
        self.media[media_id] = (mime_type, content)

    def messages_sent(self) -> list[dict]:
        return [r.json() for r in self.requests if r.method == "POST" and r.path.endswith("/messages")]

    @staticmethod
    def multipart(request: RecordedRequest) -> list[dict]:
        """The parts of a multipart upload: {"name", "filename", "content_type", "content"}."""
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n".encode() + request.body)
        return [{"name": part.get_param("name", header="content-disposition"), "filename": part.get_filename(),
                 "content_type": part.get_content_type() if part.get_filename() else None,
                 "content": part.get_payload(decode=True)} for part in message.iter_parts()]

    # --- the API ----------------------------------------------------------------------------
    def _authorised(self, request: RecordedRequest) -> bool:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and (not self.access_token or given == f"Bearer {self.access_token}")

    def answer(self, request: RecordedRequest) -> Answer:
        if not self._authorised(request):
            return Answer(401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                          "code": 190}})
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and parts[:1] == ["media-download"] and len(parts) == 2:
            return self._file(parts[1])
        if len(parts) == 3 and request.method == "POST" and parts[2] == "messages":
            return self._message(request)
        if len(parts) == 3 and request.method == "POST" and parts[2] == "media":
            return self._upload(request)
        if len(parts) == 3 and request.method == "GET" and parts[2] == "message_templates":
            return self._templates(request)
        if len(parts) == 2 and request.method == "GET" and parts[1] in self.media:
            return self._media_info(parts[1])
        return Answer(400, {"error": {"message": "Unsupported request", "type": "GraphMethodException",
                                      "code": 100}})

    def _message(self, request: RecordedRequest) -> Answer:
        body = request.json() or {}
        self.sent += 1
        to = str(body.get("to") or "")
        return Answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                            "messages": [{"id": f"wamid.layan{self.sent}"}]})

    def _upload(self, request: RecordedRequest) -> Answer:
        files = [p for p in self.multipart(request) if p["filename"]]
        if not files:
            return Answer(400, {"error": {"message": "(#100) The parameter file is required.", "code": 100}})
        media_id = str(9_000_000_000 + len(self.media) + 1)
        self.media[media_id] = (files[0]["content_type"], files[0]["content"])
        return Answer(200, {"id": media_id})

    def _media_info(self, media_id: str) -> Answer:
        mime_type, content = self.media[media_id]
        return Answer(200, {"messaging_product": "whatsapp", "url": f"{self.url}/media-download/{media_id}",
                            "mime_type": mime_type,
                            "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
                            "file_size": len(content), "id": media_id})

    def _file(self, media_id: str) -> Answer:
        if media_id not in self.media:
            return Answer(404, b"", content_type="text/plain")
        mime_type, content = self.media[media_id]
        return Answer(200, content, content_type=mime_type)

    def _templates(self, request: RecordedRequest) -> Answer:
        limit = int((request.query.get("limit") or ["100"])[0])
        after = int((request.query.get("after") or ["0"])[0])
        page = self.templates[after:after + limit]
        answer = {"data": page, "paging": {"cursors": {"before": str(after), "after": str(after + len(page))}}}
        if after + limit < len(self.templates):
            base = re.sub(r"\?.*$", "", request.path)
            answer["paging"]["next"] = f"{self.url}{base}?limit={limit}&after={after + limit}"
        return Answer(200, answer)
