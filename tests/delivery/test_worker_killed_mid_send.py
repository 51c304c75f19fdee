"""A worker killed in the middle of a send (SIGKILL, no chance to clean up) neither loses nor
doubles the reply once the sweeper has run: real processes (`layan outbox deliver`, `layan outbox
sweep`) on an embedded install, a WhatsApp inbox pointed at the fake Graph API on 127.0.0.1 that
holds the send unanswered while the test kills the worker. See docs/flows/outbox.md."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from layan.connectors.whatsapp.fake_provider import FakeGraphApi
from layan_server import EMAIL, LAYAN, layan, prepared_data_dir

pytestmark = pytest.mark.slow

ACCESS_TOKEN = "EAAG-kill-test"  # noqa: S105 - a fake provider's token
LEASE_SECONDS = 5  # long enough for one `layan outbox status` to run inside it

SETUP = """
from layan.accounts.actors import Actor
from layan.accounts.models import Agent
from layan.connectors.base import InboundMessage
from layan.connectors.services import configure_inbox, create_inbox
from layan.conversations.services import receive_inbound_message, reply_to_conversation

agent = Agent.objects.get(user__email="{email}")
actor = Actor.for_agent(agent)
inbox = create_inbox(actor=actor, kind="whatsapp", name="WhatsApp 0811-2222-3333")
configure_inbox(actor=actor, inbox=inbox, values={{
    "phone_number_id": "106540352242922", "business_account_id": "102290129340398",
    "access_token_env": "LAYAN_KILL_TEST_WA_TOKEN", "graph_url": "{graph_url}", "api_version": "v21.0"}})
received = receive_inbound_message(inbox=inbox, inbound=InboundMessage(
    sender_kind="whatsapp", sender_value="+6281234567890", sender_name="Siti Rahma",
    provider_message_id="wamid.kill-test-1", text="Kak, pesanan INV-2041 sudah dikirim?"))
message, _ = reply_to_conversation(actor=actor, conversation=received.conversation,
                                   text="Sudah, Kak. Resi JNE 0123 456 789.")
print(message.outbox_item.pk)
"""


def test_a_worker_killed_mid_send_neither_loses_nor_doubles_the_reply(tmp_path_factory):
    with FakeGraphApi(access_token=ACCESS_TOKEN) as graph:
        data_dir, env, _token = prepared_data_dir(tmp_path_factory)
        env = {**env, "LAYAN_KILL_TEST_WA_TOKEN": ACCESS_TOKEN,
               "LAYAN_OUTBOX_SEND_LEASE_SECONDS": str(LEASE_SECONDS)}
        item_id = layan(env, "shell", "--no-imports", "-c", SETUP.format(email=EMAIL, graph_url=graph.url)).strip()

        # Given a worker that has sent the reply to WhatsApp and waits for the answer...
        hold = graph.hold_next()
        worker = subprocess.Popen([str(LAYAN), "outbox", "deliver", item_id], env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            assert hold.arrived.wait(60), worker.communicate(timeout=5)
            # ...when it is killed before it could record anything,
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            _wait_until(lambda: graph.requests[0].abandoned, "the fake saw the worker hang up")
        finally:
            hold.release()  # only matters if the test failed before the fake saw the hang-up
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == -signal.SIGKILL

        # the item stays "sending" (a live lease is left alone: tests/delivery/test_outbox.py).
        killed_at = time.monotonic()
        assert "Sending: 1 (lease expired: " in layan(env, "outbox", "status")

        # Then, once the lease has run out, the sweeper takes it back and any worker sends it once.
        time.sleep(max(0.0, killed_at + LEASE_SECONDS + 0.5 - time.monotonic()))
        assert "Sending: 1 (lease expired: 1)" in layan(env, "outbox", "status")
        assert "Queued 1 due item(s) again." in layan(env, "outbox", "sweep")
        assert layan(env, "outbox", "deliver", item_id).strip() == f"#{item_id}: sent"

    first, second = graph.requests
    assert first.abandoned
    assert not second.abandoned
    assert first.json() == second.json() == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
        "context": {"message_id": "wamid.kill-test-1"},  # it answers the customer's message
        "type": "text", "text": {"preview_url": False, "body": "Sudah, Kak. Resi JNE 0123 456 789."}}
    detail = layan(env, "outbox", "status", item_id).splitlines()
    assert detail[0].startswith(f"#{item_id} message ")
    assert detail[0].endswith(": sent after 2 attempt(s)")
    assert detail[1:] == ["  1: retry — worker stopped during the send", "  2: sent"]
    assert "Sent: 1" in layan(env, "outbox", "status")
    # The message itself shows sent, with WhatsApp's id for it.
    shown = layan(env, "shell", "--no-imports", "-c", "from layan.conversations.models import Message; "
                                                      "m = Message.objects.get(direction='out'); "
                                                      "print(m.delivery_status, m.provider_message_id)").split()
    assert shown[0] == "sent"
    assert shown[1].startswith("wamid.")


def _wait_until(condition, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)
