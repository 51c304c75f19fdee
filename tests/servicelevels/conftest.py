"""Service-level fixtures. Calendars and policies: an office calendar (Mon–Fri 08:00–17:00 WIB,
Indonesian holidays), a policy factory, and `settle()`: run a change with its after-commit
subscribers, as in production. On call: a rotation on the world's workspace (Budi by day, Sari by
night, 12-hour shifts handed over at 08:00 and 20:00 WIB), `english_agents` for tests reading
English, and an SMS inbox on a fake Twilio."""

from __future__ import annotations

from datetime import date, datetime, time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from layan.accounts.actors import Actor
from layan.connectors.services import configure_inbox, create_inbox
from layan.connectors.sms.fake_provider import FakeTwilio
from layan.servicelevels.models import BusinessCalendar, BusinessHours, ServiceLevelPolicy
from layan.servicelevels.oncall import create_rotation

JAKARTA = ZoneInfo("Asia/Jakarta")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


@pytest.fixture
def office_calendar(world) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(workspace=world.workspace, name="Kantor Jakarta",
                                               timezone="Asia/Jakarta", holiday_country="ID", is_default=True)
    BusinessHours.objects.bulk_create([BusinessHours(calendar=calendar, weekday=day, opens_at=time(8),
                                                     closes_at=time(17)) for day in range(5)])
    return calendar


@pytest.fixture
def policy(world, office_calendar):
    """`policy(**fields)`: an active policy of the world's workspace (business hours by default)."""

    def make(**fields) -> ServiceLevelPolicy:
        teams = fields.pop("teams", ())
        fields.setdefault("name", f"Policy {ServiceLevelPolicy.objects.count() + 1}")
        made = ServiceLevelPolicy.objects.create(workspace=world.workspace, **fields)
        made.teams.set(teams)
        return made

    return make


@pytest.fixture
def settle(django_capture_on_commit_callbacks):
    """`settle(fn, *args, **kwargs)`: call fn and run what its commit triggers (the subscribers,
    the Huey tasks inline), and what those trigger in turn."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


# --- on call ---------------------------------------------------------------------------------------

ACCOUNT_SID = "AC00000000000000000000000000000000"
AUTH_TOKEN = "rahasia-twilio-12345"
TOKEN_ENV = "LAYAN_TEST_ONCALL_TWILIO_TOKEN"
INBOX_NUMBER = "+6281100001111"
SARI_PHONE = "+6281299990002"
BUDI_PHONE = "+6281299990001"


@pytest.fixture
def english_agents(settings, world):
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
