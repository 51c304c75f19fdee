"""In a real browser: the inbox's SLA countdown ticks between refreshes and turns into "breached"
when the due time passes (the browser's clock moved forward by Playwright)."""

from __future__ import annotations

import re

import pytest

from layan.accounts.actors import Actor
from layan.accounts.services import create_agent, create_workspace
from layan.connectors.base import InboundMessage
from layan.connectors.services import create_inbox
from layan.conversations.services import receive_inbound_message
from layan.servicelevels.models import ServiceLevelClock, ServiceLevelPolicy

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-sekali-2026"


@pytest.fixture
def waiting(server_side):
    """A workspace whose 24/7 policy gives 90 minutes for a first response; a customer just wrote."""

    def setup():
        workspace = create_workspace(name="Toko Maju")
        agent = create_agent(workspace=workspace, email="budi@tokomaju.id", role="admin",
                             display_name="Budi Santoso", password=PASSWORD)
        inbox = create_inbox(actor=Actor.for_agent(agent), kind="email", name="Email CS")
        ServiceLevelPolicy.objects.create(workspace=workspace, name="Semua", hours="always",
                                          first_response_minutes=90)
        result = receive_inbound_message(inbox=inbox, inbound=InboundMessage(
            sender_kind="email", sender_value="siti@contoh.id", provider_message_id="<sla-1@contoh.id>",
            text="Paket belum sampai", subject="Paket belum sampai"))
        return agent, ServiceLevelClock.objects.get(conversation=result.conversation)

    return server_side(setup)


def test_the_countdown_ticks_and_turns_breached_when_the_due_time_passes(page, waiting):
    agent, clock = waiting
    page.clock.install()
    page.goto("/login/")
    page.fill("#id_username", agent.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))

    countdown = page.locator("time[data-countdown]")
    assert countdown.count() == 1
    assert re.fullmatch(r"1:(29|30)", countdown.inner_text())  # rewritten by the script: hours:minutes

    page.clock.run_for(31 * 60 * 1000)
    assert re.fullmatch(r"0:(58|59)", countdown.inner_text())

    page.clock.run_for(60 * 60 * 1000)
    label = countdown.get_attribute("data-breached-label")  # "Breached" in the page's language
    assert label
    assert countdown.inner_text() == label
    assert "sla-breached" in countdown.locator("xpath=..").get_attribute("class")
