"""Helpers that post Twilio's status callbacks through the real webhook URL, signed as Twilio
signs them (payloads/ holds them in the shapes Twilio documents)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from django.test import Client

from layan.connectors.ingress import process_inbound_event
from layan.connectors.twilio.signature import twilio_signature

PAYLOADS = Path(__file__).parent / "payloads"
AUTH_TOKEN = "rahasia-token-twilio"  # noqa: S105 - a test value
ACCOUNT_SID = "AC3f1c2b9e8d7a6b5c4d3e2f1a0b9c8d7e"
BUSINESS_NUMBER = "+622150001234"


def callbacks(name: str) -> list[dict[str, str]]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def hook_url(inbox) -> str:
    return f"/hooks/voice/{inbox.public_id}/"


def post_callback(inbox, params: dict[str, str], *, signature: str | None = None, token: str = AUTH_TOKEN):
    """One callback as Twilio posts it: form-encoded, signed over the full URL and the params."""
    url = hook_url(inbox)
    if signature is None:
        signature = twilio_signature(url=f"http://testserver{url}", params=list(params.items()), auth_token=token)
    return Client().post(url, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                         headers={"X-Twilio-Signature": signature})


def deliver(inbox, params: dict[str, str]):
    """The callback, then the processing the queue does after commit (inline in tests already;
    run again here so a test never depends on it)."""
    response = post_callback(inbox, params)
    assert response.status_code == 200, response.content
    from layan.connectors.models import InboundEvent

    for event_id in InboundEvent.objects.filter(inbox=inbox).values_list("pk", flat=True):
        process_inbound_event(event_id=event_id)
    return response


def deliver_all(inbox, name_or_list):
    items = callbacks(name_or_list) if isinstance(name_or_list, str) else name_or_list
    return [deliver(inbox, params) for params in items]
