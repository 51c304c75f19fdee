"""Meta's payloads (payloads/*.json) posted through the real webhook URL, signed as Meta signs them."""

from __future__ import annotations

from pathlib import Path

from django.test import Client

from layan.connectors.ingress import process_inbound_event
from layan.connectors.meta.webhooks import sign

PAYLOADS = Path(__file__).parent / "payloads"
APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN = "rahasia-aplikasi-meta", "token-verifikasi", "EAAG-akses"
PHONE_NUMBER_ID, WABA_ID = "106540352242922", "102290129340398"


def payload(name: str, **replace) -> bytes:
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


def post(inbox, body: bytes, signature: str | None = None):
    return Client().post(f"/hooks/whatsapp/{inbox.public_id}/", data=body, content_type="application/json",
                         headers={"X-Hub-Signature-256": sign(body, APP_SECRET) if signature is None else signature})


def deliver(inbox, body: bytes):
    """The webhook as Meta calls it, then the processing the queue does after commit."""
    response = post(inbox, body)
    assert response.status_code == 200, response.content
    process_inbound_event(event_id=response.json()["event_id"])
    return response
