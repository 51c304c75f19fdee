"""A phone inbox connected to Twilio, its settings saved through configure_inbox."""

import pytest
from voice_calls import ACCOUNT_SID, AUTH_TOKEN

from layan.connectors.services import configure_inbox, create_inbox


@pytest.fixture
def voice_inbox(world, monkeypatch):
    # The timeline lines are written in the workspace's language; English keeps the exact texts
    # below independent of the catalogue (test_call_texts checks the Indonesian ones).
    world.workspace.language = "en"
    world.workspace.save(update_fields=["language"])
    monkeypatch.setenv("LAYAN_TEST_TWILIO_TOKEN", AUTH_TOKEN)
    inbox = create_inbox(actor=world.actor, kind="voice", name="Telepon 021-5000-1234", default_team=world.team)
    configure_inbox(actor=world.actor, inbox=inbox, values={
        "account_sid": ACCOUNT_SID, "auth_token_env": "LAYAN_TEST_TWILIO_TOKEN", "phone_number": "021-5000-1234",
        "callback_team": world.other_team})
    return inbox
