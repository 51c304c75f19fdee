"""An SMS inbox's settings through the one writer, configure_inbox: a sender is required, the
number is kept in E.164, the token only by the name of its environment variable."""

from __future__ import annotations

import pytest

from layan.accounts.models import AuditEntry
from layan.connectors.selectors import inbox_config
from layan.connectors.services import configure_inbox, create_inbox
from layan.connectors.sms.models import SmsConfig
from layan.errors import InvalidInput


@pytest.fixture
def inbox(world):
    return create_inbox(actor=world.actor, kind="sms", name="SMS CS")


def test_a_local_number_is_kept_in_e164_and_twilio_is_the_default_provider(world, inbox):
    configure_inbox(actor=world.actor, inbox=inbox, values={
        "account_sid": "AC123", "auth_token_env": "TWILIO_TOKEN_CS", "from_number": "0811-0000-1111"})

    config = inbox_config(inbox=inbox)
    assert (config.provider, config.from_number, config.api_base_url) == (
        "twilio", "+6281100001111", "https://api.twilio.com")
    assert config.secret_env_fields == ("auth_token_env",)
    entry = AuditEntry.objects.get(action="inbox.configured")
    assert entry.after["auth_token_env"] == "TWILIO_TOKEN_CS"


def test_settings_without_a_sender_are_refused_and_not_saved(world, inbox):
    from django.utils import translation

    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        configure_inbox(actor=world.actor, inbox=inbox, values={"account_sid": "AC123"})

    assert (refused.value.field, refused.value.message) == (
        "from_number", "Give a sender number or a messaging service SID.")
    assert not SmsConfig.objects.exists()


def test_a_sender_that_is_no_phone_number_is_refused(world, inbox):
    with pytest.raises(InvalidInput) as refused:
        configure_inbox(actor=world.actor, inbox=inbox, values={"from_number": "bukan nomor"})

    assert refused.value.field == "from_number"
    assert not SmsConfig.objects.exists()


def test_a_messaging_service_alone_is_enough(world, inbox):
    configure_inbox(actor=world.actor, inbox=inbox, values={"messaging_service_sid": "MG123"})

    assert inbox_config(inbox=inbox).messaging_service_sid == "MG123"
