"""`layan outbox status|deliver|sweep`: what an operator sees and can drive by hand."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from layan.connectors.base import SendError
from layan.delivery.models import OutboxItem


def _run(*args) -> str:
    out = StringIO()
    call_command("outbox", *args, stdout=out)
    return out.getvalue()


def test_status_counts_items_and_lists_failures_with_their_reasons(reply, adapter):
    adapter(SendError("Nomor tidak terdaftar di WhatsApp", retryable=False))
    item = OutboxItem.objects.get(message=reply)
    assert "Queued, due now: 1" in _run("status")

    assert _run("deliver", str(item.pk)).strip() == f"#{item.pk}: failed"

    status = _run("status")
    assert "Queued, due now: 0" in status
    assert "Failed: 1" in status
    assert f"  #{item.pk} (email) — Nomor tidak terdaftar di WhatsApp" in status
    assert _run("status", str(item.pk)).splitlines() == [
        f"#{item.pk} message {reply.pk} on email: failed after 1 attempt(s)",
        "  1: failed — Nomor tidak terdaftar di WhatsApp"]


def test_unknown_ids_are_named_in_a_clear_error_after_the_known_ones_ran(reply, adapter):
    adapter()
    item = OutboxItem.objects.get(message=reply)
    out = StringIO()

    with pytest.raises(CommandError, match="No outbox item with the id 987654"):
        call_command("outbox", "deliver", str(item.pk), "987654", stdout=out)

    assert out.getvalue().strip() == f"#{item.pk}: sent"


def test_sweep_reports_how_many_items_it_queued_again(reply, adapter):
    scripted = adapter()

    assert _run("sweep").strip() == "Queued 1 due item(s) again."
    assert len(scripted.sent) == 1  # tasks run inline in tests
