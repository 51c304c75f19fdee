"""The outbox tests' fixtures: a scripted adapter standing in for a channel, and a reply to send."""

from __future__ import annotations

import threading

import pytest

from layan.connectors import registry
from layan.connectors.base import OutboundMessage, SendResult
from layan.conversations.services import reply_to_conversation


class ScriptedAdapter:
    """Sends as scripted: each call takes the next outcome (an exception to raise, or a callable to
    run first); once the script is used up, every send succeeds."""

    kind = "scripted"
    rate_limit = None

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.sent: list[OutboundMessage] = []
        self.lock = threading.Lock()

    def send(self, message: OutboundMessage) -> SendResult:
        with self.lock:
            self.sent.append(message)
            number = len(self.sent)
            outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, BaseException):
            raise outcome
        if callable(outcome):
            outcome()
        return SendResult(provider_message_id=f"prov-{message.message_id}-{number}")


@pytest.fixture
def adapter(monkeypatch):
    """`adapter(*outcomes, kind="email", rate_limit=None)` installs a ScriptedAdapter; the registry is
    restored after."""
    def install(*outcomes, kind: str = "email", rate_limit=None) -> ScriptedAdapter:
        scripted = ScriptedAdapter(*outcomes)
        scripted.rate_limit = rate_limit
        monkeypatch.setitem(registry.ADAPTERS, kind, scripted)
        return scripted
    return install


@pytest.fixture
def conversation(world, receive):
    return receive(world.email_inbox, "siti@contoh.id", cc=(("dewi@contoh.id", "Dewi"),)).conversation


@pytest.fixture
def reply(world, conversation):
    """A reply whose transaction committed but whose delivery task has not run yet."""
    message, _duplicate = reply_to_conversation(actor=world.actor, conversation=conversation,
                                                text="Paket sudah dikirim ulang.", bcc=["arsip@toko.id"])
    return message


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests assert the outbox's exact English words, whatever the Indonesian catalogue says."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
