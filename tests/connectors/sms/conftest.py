"""An SMS inbox on the world's workspace connected to a fake Twilio on 127.0.0.1, and Twilio's
webhook requests as Twilio makes them: form-encoded, signed over the full URL it calls."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client

from layan.connectors.ingress import process_inbound_event
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.services import configure_inbox, create_inbox
from layan.connectors.sms.fake_provider import FakeTwilio

PAYLOADS = Path(__file__).parent / "payloads"
ACCOUNT_SID = "AC00000000000000000000000000000000"
AUTH_TOKEN = "rahasia-twilio-12345"
TOKEN_ENV = "LAYAN_TEST_TWILIO_TOKEN"
INBOX_NUMBER = "+6281100001111"


def payload(name: str, **replace) -> dict[str, str]:
    """A documented Twilio request (tests/connectors/sms/payloads/<name>.json) as its form fields."""
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    return json.loads(text)


@pytest.fixture
def twilio():
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def sms_inbox(world, twilio, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, AUTH_TOKEN)
    inbox = create_inbox(actor=world.actor, kind="sms", name="SMS 0811-0000-1111")
    configure_inbox(actor=world.actor, inbox=inbox, values={
        "account_sid": ACCOUNT_SID, "auth_token_env": TOKEN_ENV, "from_number": INBOX_NUMBER,
        "api_base_url": twilio.url})
    return inbox


def hook_url(inbox) -> str:
    return f"http://testserver/hooks/sms/{inbox.public_id}/"


def post(inbox, params: dict[str, str], *, signature: str | None = None, token: str = AUTH_TOKEN):
    """The webhook request as Twilio makes it (signed with ``token`` unless a signature is given)."""
    from layan.connectors.twilio.signature import twilio_signature

    url = hook_url(inbox)
    if signature is None:
        signature = twilio_signature(url=url, params=params.items(), auth_token=token)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return Client().post(url, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                         headers=headers)


def process_pending(inbox) -> list[str]:
    """What the queue does after commit: process every stored, pending event of the inbox."""
    pending = InboundEvent.objects.filter(inbox=inbox, status=InboundEventStatus.PENDING).order_by("id")
    return [process_inbound_event(event_id=pk) for pk in pending.values_list("pk", flat=True)]


def deliver(inbox, params: dict[str, str]):
    response = post(inbox, params)
    assert response.status_code == 200, response.content
    process_pending(inbox)
    return response


@pytest.fixture(autouse=True)
def _english_settings(settings):
    """Provider reasons and labels are written in the active language when a worker records them;
    these tests assert the exact English words, whatever the Indonesian catalogue says."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    yield
    translation.activate("en")
