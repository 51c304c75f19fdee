"""A stand-in for the company's reply receiver: it checks X-Layan-Signature with the shared
secret (401 when it does not match), drops a delivery whose Idempotency-Key it already took (and
still answers 200, as the docs ask a receiver to), and records the rest in ``deliveries``. Errors
are scripted through ``scripted`` (e.g. two 500s). Point an inbox's reply_webhook_url at ``.url``."""

from __future__ import annotations

from layan.connectors.api_channel.signature import HEADER, signature_is_valid
from layan.connectors.fake_provider import Answer, FakeProviderServer, RecordedRequest

PATH = "/layan/replies"


class FakeCompanyReceiver(FakeProviderServer):
    name = "company"

    def __init__(self, *, secret: str, **kwargs):
        super().__init__(**kwargs)
        self.secret = secret
        self.deliveries: list[RecordedRequest] = []
        self.reply_url = self.url + PATH

    def answer(self, request: RecordedRequest) -> Answer:
        if request.method != "POST" or request.path != PATH:
            return Answer(404, {"error": "not found"})
        if not signature_is_valid(body=request.body, header=request.headers.get(HEADER, ""), secret=self.secret):
            return Answer(401, "signature mismatch", content_type="text/plain")
        key = request.headers.get("Idempotency-Key", "")
        if key and any(d.headers.get("Idempotency-Key") == key for d in self.deliveries):
            return Answer(200, {"status": "duplicate"})
        self.deliveries.append(request)
        return Answer(200, {"status": "received"})
