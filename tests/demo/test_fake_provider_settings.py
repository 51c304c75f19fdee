"""`layan demo --fake-providers` without a server: which settings the demo inboxes get, the secrets
`layan serve --fake-providers` fills in, and the demo customers an API-channel reply can reach."""

from __future__ import annotations

import os

import pytest

from layan.accounts.models import AuditEntry
from layan.connectors.models import Inbox, InboxKind
from layan.connectors.selectors import inbox_config
from layan.conversations.models import Conversation
from layan.conversations.selectors import default_recipients
from layan.demo.fake_providers import (
    DEMO_FAKES,
    DEMO_SECRETS,
    point_demo_inboxes_at_fakes,
    set_demo_secrets,
)
from layan.demo.seed import seed_demo
from layan.errors import InvalidInput


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return seed_demo(customers=5, conversations=120)


def config_of(workspace, kind):
    return inbox_config(inbox=Inbox.objects.get(workspace=workspace, kind=kind))


def test_fake_providers_point_each_demo_inbox_at_its_own_loopback_port(demo):
    pointed = point_demo_inboxes_at_fakes(workspace=demo.workspace, base_port=9100)

    assert [(p.inbox.kind, p.url) for p in pointed] == [
        ("whatsapp", "http://127.0.0.1:9100"), ("sms", "http://127.0.0.1:9101"), ("telegram", "http://127.0.0.1:9102"),
        ("messenger", "http://127.0.0.1:9103"), ("instagram", "http://127.0.0.1:9104"),
        ("voice", "http://127.0.0.1:9105"), ("api", "http://127.0.0.1:9106"),
    ]
    ws = demo.workspace
    assert config_of(ws, InboxKind.WHATSAPP).graph_url == "http://127.0.0.1:9100"
    assert config_of(ws, InboxKind.SMS).api_base_url == "http://127.0.0.1:9101"
    assert config_of(ws, InboxKind.TELEGRAM).api_base_url == "http://127.0.0.1:9102"
    assert config_of(ws, InboxKind.MESSENGER).graph_url == "http://127.0.0.1:9103"
    assert config_of(ws, InboxKind.INSTAGRAM).graph_url == "http://127.0.0.1:9104"
    assert config_of(ws, InboxKind.API).reply_webhook_url == "http://127.0.0.1:9106/layan/replies"
    assert config_of(ws, InboxKind.VOICE).phone_number == "+622150001230"
    assert AuditEntry.objects.filter(workspace=ws, action="inbox.configured").count() == 7


def test_every_secret_a_demo_inbox_names_is_one_serve_fills_in(demo):
    point_demo_inboxes_at_fakes(workspace=demo.workspace)

    named = set()
    for fake in DEMO_FAKES:
        config = config_of(demo.workspace, fake.kind)
        named |= {getattr(config, field) for field in config.secret_env_fields if getattr(config, field)}

    assert named == set(DEMO_SECRETS)


def test_pointing_again_changes_nothing_but_the_ports(demo):
    point_demo_inboxes_at_fakes(workspace=demo.workspace)
    point_demo_inboxes_at_fakes(workspace=demo.workspace, base_port=9200)

    assert config_of(demo.workspace, InboxKind.WHATSAPP).graph_url == "http://127.0.0.1:9200"
    assert config_of(demo.workspace, InboxKind.WHATSAPP).phone_number_id == "100000000000701"


def test_a_base_port_whose_last_fake_port_does_not_exist_is_refused_before_anything_is_written(demo):
    with pytest.raises(InvalidInput) as refused:
        point_demo_inboxes_at_fakes(workspace=demo.workspace, base_port=65530)

    assert refused.value.message == ("The fake providers need ports 65530 to 65536; choose a base port between 1 "
                                     "and 65529.")
    assert config_of(demo.workspace, InboxKind.WHATSAPP) is None
    assert not AuditEntry.objects.filter(workspace=demo.workspace, action="inbox.configured").exists()


def test_serve_gives_unset_demo_secrets_their_demo_value_and_keeps_an_operators_own(monkeypatch):
    for name in DEMO_SECRETS:  # set then delete, so the test ends with them unset again
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("LAYAN_DEMO_TELEGRAM_BOT_TOKEN", "42:own-token")

    filled = set_demo_secrets()

    assert set(filled) == set(DEMO_SECRETS) - {"LAYAN_DEMO_TELEGRAM_BOT_TOKEN"}
    assert os.environ["LAYAN_DEMO_TELEGRAM_BOT_TOKEN"] == "42:own-token"
    assert os.environ["LAYAN_DEMO_WHATSAPP_ACCESS_TOKEN"] == DEMO_SECRETS["LAYAN_DEMO_WHATSAPP_ACCESS_TOKEN"]


def test_a_reply_on_a_demo_api_conversation_goes_to_the_customers_id_in_the_company_system(demo):
    conversations = list(Conversation.objects.filter(workspace=demo.workspace, channel=InboxKind.API))
    assert conversations, "the demo of this size has API-channel conversations"

    for conversation in conversations:
        [recipient] = default_recipients(conversation=conversation)
        assert recipient.startswith("pelanggan-")
