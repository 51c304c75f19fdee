"""An on-call rotation on the world's workspace: Budi by day, Sari by night (12-hour shifts handed
over at 08:00 and 20:00 WIB), both reading English, and an SMS inbox on a fake Twilio."""

from __future__ import annotations

from datetime import date, time
from urllib.parse import urlencode

import pytest
from django.test import Client

from layan.accounts.actors import Actor
from layan.connectors.services import configure_inbox, create_inbox
from layan.connectors.sms.fake_provider import FakeTwilio
from layan.servicelevels.oncall import create_rotation

ACCOUNT_SID = "AC00000000000000000000000000000000"
AUTH_TOKEN = "rahasia-twilio-12345"
TOKEN_ENV = "LAYAN_TEST_ONCALL_TWILIO_TOKEN"
INBOX_NUMBER = "+6281100001111"
SARI_PHONE = "+6281299990002"
BUDI_PHONE = "+6281299990001"


@pytest.fixture(autouse=True)
def _english(settings, world):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    for agent in (world.agent, world.other_agent, world.supervisor):
        agent.language = "en"
        agent.save(update_fields=["language"])
    yield
    translation.activate("en")


@pytest.fixture
def rotation(world):
    return create_rotation(actor=Actor.for_agent(world.supervisor), name="Darurat 24/7", starts_on=date(2026, 12, 7),
                           shift_hours=12, handover_time=time(8, 0), escalate_after_minutes=15,
                           members=[(world.agent, BUDI_PHONE), (world.other_agent, SARI_PHONE)])


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


def post_sms(inbox, *, sid: str, text: str, sender: str = "+6281234567890"):
    """Twilio's webhook for an incoming SMS, signed as Twilio signs it, then what the queue does."""
    from layan.connectors.ingress import process_inbound_event
    from layan.connectors.models import InboundEvent, InboundEventStatus
    from layan.connectors.twilio.signature import twilio_signature

    params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
              "To": INBOX_NUMBER, "Body": text, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
              "ApiVersion": "2010-04-01", "FromCountry": "ID"}
    url = f"http://testserver/hooks/sms/{inbox.public_id}/"
    response = Client().post(url, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                             headers={"X-Twilio-Signature": twilio_signature(url=url, params=params.items(),
                                                                             auth_token=AUTH_TOKEN)})
    assert response.status_code == 200, response.content
    for pk in InboundEvent.objects.filter(inbox=inbox, status=InboundEventStatus.PENDING).values_list("pk", flat=True):
        process_inbound_event(event_id=pk)
    return response
