"""`layan inbound replay`: an operator processes stored events again after a fix."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import override

from layan.connectors import ingress
from layan.connectors.email import inbound as email_inbound
from layan.connectors.models import InboundEvent
from layan.conversations.models import Message

MAIL = b"From: Siti <siti@contoh.id>\r\nTo: support@tokomaju.test\r\nSubject: Tagihan\r\n\r\nTagihan dobel.\r\n"


def replay(*ids) -> str:
    out = StringIO()
    with override("en"):
        call_command("inbound", "replay", *map(str, ids), stdout=out)
    return out.getvalue()


def test_an_event_that_failed_is_processed_once_the_cause_is_fixed(world, monkeypatch):
    def broken(event, raw):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(email_inbound, "process_email_event", broken)
    event, _created = ingress.store_raw_email(inbox=world.email_inbox, raw=MAIL, source="test")
    for _attempt in range(ingress.MAX_PROCESS_ATTEMPTS):
        ingress.process_inbound_event(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == "failed"

    monkeypatch.undo()  # the fix is deployed
    assert replay(event.pk).strip() == f"{event.pk}: Processed"
    assert Message.objects.get(source_event=event).text == "Tagihan dobel."


def test_a_rejected_event_says_why_again_and_a_processed_one_is_left_alone(world):
    rejected, _ = ingress.store_raw_email(inbox=world.email_inbox, raw=b"Subject: tanpa pengirim\r\n\r\nx", source="test")
    ingress.process_inbound_event(event_id=rejected.pk)
    processed, _ = ingress.store_raw_email(inbox=world.email_inbox, raw=MAIL, source="test")
    ingress.process_inbound_event(event_id=processed.pk)

    output = replay(rejected.pk, processed.pk)

    assert output.splitlines() == [f"{rejected.pk}: Rejected — The mail has no usable sender address.",
                                   f"{processed.pk}: Processed"]
    assert Message.objects.filter(source_event=processed).count() == 1


def test_an_unknown_id_is_an_error_naming_it(world):
    with override("en"), pytest.raises(CommandError, match="No inbound event with the id 999999."):
        call_command("inbound", "replay", "999999", stdout=StringIO())
    assert not InboundEvent.objects.exists()
