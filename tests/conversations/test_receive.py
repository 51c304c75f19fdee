"""receive_inbound_message(): every inbound message is stored exactly once and threaded.

See docs/flows/inbound.md.
"""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from layan.accounts.models import AuditEntry, Workspace
from layan.connectors.base import InboundAttachment
from layan.connectors.services import create_inbox
from layan.conversations.models import (
    Attachment,
    Conversation,
    Direction,
    Message,
    Participant,
    Status,
)
from layan.conversations.services import receive_inbound_message
from layan.customers.models import Customer, Identity
from layan.errors import ErrorCode, InvalidInput


def _counts() -> tuple[int, int, int, int, int]:
    return (Message.objects.count(), Conversation.objects.count(), Customer.objects.count(),
            Identity.objects.count(), AuditEntry.objects.count())


# --- exactly once ---------------------------------------------------------------------------

def test_same_provider_message_twice_stores_one_message(world, inbound):
    message = inbound("siti@contoh.id", provider_message_id="<abc-1@mail.contoh.id>")

    first = receive_inbound_message(inbox=world.email_inbox, inbound=message)
    second = receive_inbound_message(inbox=world.email_inbox, inbound=message)

    assert Message.objects.filter(provider_message_id="<abc-1@mail.contoh.id>").count() == 1
    assert Conversation.objects.filter(workspace=world.workspace).count() == 1
    assert first.duplicate is False
    assert first.created_conversation is True
    assert second.duplicate is True
    assert second.created_conversation is False
    assert second.message.pk == first.message.pk
    assert second.conversation.pk == first.conversation.pk


def test_a_redelivered_message_writes_nothing_and_publishes_nothing(world, inbound,
                                                                    django_capture_on_commit_callbacks):
    message = inbound("siti@contoh.id", provider_message_id="wamid.HBgMNjI4MTIzNDU2Nzg5MBUCABEYEjk")
    receive_inbound_message(inbox=world.email_inbox, inbound=message)
    conversation = Conversation.objects.get()
    before = _counts()

    with django_capture_on_commit_callbacks() as callbacks:
        result = receive_inbound_message(inbox=world.email_inbox, inbound=message)

    assert result.duplicate is True
    assert _counts() == before
    assert callbacks == []
    conversation.refresh_from_db()
    assert conversation.message_count == 1


def test_the_same_provider_id_in_two_inboxes_is_two_messages(world, inbound):
    """Provider ids are unique per provider account (inbox), not across the workspace."""
    second_email = create_inbox(actor=world.actor, kind="email", name="Email penjualan")

    a = receive_inbound_message(inbox=world.email_inbox, inbound=inbound(provider_message_id="<same@x>"))
    b = receive_inbound_message(inbox=second_email, inbound=inbound(provider_message_id="<same@x>"))

    assert a.duplicate is False
    assert b.duplicate is False
    assert a.message.pk != b.message.pk
    assert Message.objects.filter(provider_message_id="<same@x>").count() == 2


def test_messages_without_a_provider_id_are_each_stored(world, inbound):
    receive_inbound_message(inbox=world.email_inbox, inbound=inbound(provider_message_id=None, text="Halo"))
    receive_inbound_message(inbox=world.email_inbox, inbound=inbound(provider_message_id=None, text="Halo"))

    assert Message.objects.filter(direction=Direction.INBOUND).count() == 2
    assert Conversation.objects.get().message_count == 2


needs_concurrent_writers = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite serialises writers on one database lock; the race needs PostgreSQL")


@needs_concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("known_sender", [False, True], ids=["new sender", "sender with an open conversation"])
def test_two_concurrent_deliveries_of_the_same_message_store_it_once(world, inbound, known_sender):
    inbox = world.email_inbox
    if known_sender:
        conversation = receive_inbound_message(inbox=inbox, inbound=inbound("siti@contoh.id")).conversation
        blocker = Conversation.objects.filter(pk=conversation.pk)
    else:
        blocker = Workspace.objects.filter(pk=world.workspace.pk)  # numbering a new conversation locks it
    message = inbound("siti@contoh.id", provider_message_id="<race@mail.contoh.id>")
    before = Message.objects.count()

    # Hold the row both deliveries must lock, so that both get past the fast duplicate check and
    # the unique constraint has to decide; let go once both are waiting.
    with ThreadPoolExecutor(max_workers=2) as pool:
        with transaction.atomic():
            blocker.select_for_update().get()
            futures = [pool.submit(_in_own_connection, receive_inbound_message, inbox=inbox, inbound=message)
                       for _ in range(2)]
            _wait_until_backends_wait_for_locks(2)
        results = [future.result(timeout=60) for future in futures]

    stored = Message.objects.get(provider_message_id="<race@mail.contoh.id>")
    assert Message.objects.count() == before + 1
    assert sorted(r.duplicate for r in results) == [False, True]
    assert {r.message.pk for r in results} == {stored.pk}
    assert Customer.objects.filter(workspace=world.workspace).count() == 1
    assert Conversation.objects.get(pk=stored.conversation_id).message_count == (2 if known_sender else 1)
    assert Conversation.objects.filter(workspace=world.workspace).count() == 1


def _in_own_connection(fn, **kwargs):
    try:
        return fn(**kwargs)
    finally:
        connections.close_all()  # this thread's connections only


def _wait_until_backends_wait_for_locks(count: int) -> None:
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction it is cached
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"{count} backends never waited for a lock")


@needs_concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_messages_from_one_new_sender_make_one_customer_and_one_conversation(world, inbound):
    inbox = world.whatsapp_inbox

    _run_concurrently(
        lambda: receive_inbound_message(inbox=inbox, inbound=inbound("0812-1111-2222", kind="whatsapp")),
        lambda: receive_inbound_message(inbox=inbox, inbound=inbound("+62 812 1111 2222", kind="whatsapp")),
    )

    identity = Identity.objects.get(kind="whatsapp", value="+6281211112222")
    assert Customer.objects.filter(workspace=world.workspace).count() == 1
    conversation = Conversation.objects.get(customer=identity.customer)
    assert conversation.message_count == 2
    assert Message.objects.filter(conversation=conversation).count() == 2


def _run_concurrently(*calls):
    """Start the calls together in their own threads (own database connections); their results."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=60) for future in futures]


# --- what a first message creates -----------------------------------------------------------

def test_a_first_message_creates_the_customer_the_identity_and_a_new_conversation(world, inbound):
    result = receive_inbound_message(inbox=world.email_inbox, inbound=inbound(
        "  Siti.Rahma@Contoh.ID ", sender_name="Siti Rahma", text="Paket belum sampai\nSudah 5 hari."))

    conversation = result.conversation
    conversation.refresh_from_db()
    identity = Identity.objects.get(workspace=world.workspace)
    assert (identity.kind, identity.value) == ("email", "siti.rahma@contoh.id")
    assert identity.customer.name == "Siti Rahma"
    assert conversation.customer_id == identity.customer_id
    assert conversation.status == Status.NEW
    assert conversation.number == 1
    assert conversation.channel == "email"
    assert conversation.inbox_id == world.email_inbox.pk
    assert conversation.subject == "Paket belum sampai"  # no subject given: the first line
    assert conversation.message_count == 1
    assert conversation.last_customer_message_at is not None
    assert conversation.first_response_at is None
    message = result.message
    assert (message.direction, message.author_kind, message.author_customer_id) == (
        "in", "customer", identity.customer_id)
    assert AuditEntry.objects.filter(action="conversation.created", object_id=str(conversation.pk),
                                     actor_kind="customer").count() == 1


def test_conversation_numbers_count_up_per_workspace(world, other_world, inbound):
    numbers = [receive_inbound_message(inbox=world.email_inbox, inbound=inbound(f"p{i}@contoh.id")).conversation.number
               for i in range(3)]
    other = receive_inbound_message(inbox=other_world.email_inbox, inbound=inbound("p0@contoh.id")).conversation

    assert numbers == [1, 2, 3]
    assert other.number == 1


def test_a_new_conversation_goes_to_the_inbox_default_team(world, inbound):
    inbox = create_inbox(actor=world.actor, kind="whatsapp", name="WhatsApp CS", default_team=world.team)

    result = receive_inbound_message(inbox=inbox, inbound=inbound("081234567890", kind="whatsapp"))

    assert result.conversation.team_id == world.team.pk


def test_a_known_customer_keeps_their_name_and_a_nameless_one_takes_the_senders(world, inbound):
    receive_inbound_message(inbox=world.email_inbox, inbound=inbound("a@contoh.id", sender_name="Andi"))
    receive_inbound_message(inbox=world.email_inbox, inbound=inbound("a@contoh.id", sender_name="Andi Wijaya"))
    anonymous = receive_inbound_message(inbox=world.email_inbox, inbound=inbound("b@contoh.id")).conversation.customer
    receive_inbound_message(inbox=world.email_inbox, inbound=inbound("b@contoh.id", sender_name="Budi Santoso"))

    assert Customer.objects.get(identities__value="a@contoh.id").name == "Andi"
    anonymous.refresh_from_db()
    assert anonymous.name == "Budi Santoso"


def test_the_same_number_written_three_ways_is_one_customer_in_one_conversation(world, inbound):
    inbox = world.whatsapp_inbox
    results = [receive_inbound_message(inbox=inbox, inbound=inbound(raw, kind="whatsapp"))
               for raw in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890")]

    assert len({r.conversation.pk for r in results}) == 1
    assert Customer.objects.filter(workspace=world.workspace).count() == 1
    assert Identity.objects.get().value == "+6281234567890"
    assert Conversation.objects.get().message_count == 3


def test_to_and_cc_become_participants_except_the_inboxs_own_addresses(world, inbound):
    inbox = create_inbox(actor=world.actor, kind="email", name="CS", settings={"addresses": ["CS@Toko.id"]})

    result = receive_inbound_message(inbox=inbox, inbound=inbound(
        "siti@contoh.id", to=(("cs@toko.id", "Toko"), ("Rudi@Contoh.id", "Rudi")), cc=(("dewi@contoh.id", "Dewi"),)))

    participants = {(p.role, p.address, p.name) for p in Participant.objects.filter(conversation=result.conversation)}
    assert participants == {("to", "rudi@contoh.id", "Rudi"), ("cc", "dewi@contoh.id", "Dewi")}
    assert result.message.recipients == {"to": ["cs@toko.id", "Rudi@Contoh.id"], "cc": ["dewi@contoh.id"]}


def test_customer_html_is_stored_sanitised(world, inbound):
    result = receive_inbound_message(inbox=world.email_inbox, inbound=inbound(
        html='<p onclick="steal()">Halo<script>alert(1)</script> <a href="javascript:alert(1)">klik</a></p>'))

    html = Message.objects.get(pk=result.message.pk).html
    assert "script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "Halo" in html


def test_attachments_are_stored_with_their_size_and_sha256(world, inbound):
    content = b"%PDF-1.4 bukti transfer"
    result = receive_inbound_message(inbox=world.email_inbox, inbound=inbound(attachments=(
        InboundAttachment(filename="bukti.pdf", content_type="application/pdf", content=content),)))

    attachment = Attachment.objects.get(message=result.message)
    assert (attachment.filename, attachment.content_type, attachment.size) == ("bukti.pdf", "application/pdf",
                                                                               len(content))
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    with attachment.file.open("rb") as handle:
        assert handle.read() == content


def test_a_nul_character_in_the_text_is_dropped_not_a_failure(world, inbound):
    result = receive_inbound_message(inbox=world.email_inbox, inbound=inbound(text="Halo\x00 kak"))

    assert Message.objects.get(pk=result.message.pk).text == "Halo kak"


def test_nul_characters_anywhere_in_an_inbound_message_are_dropped(world, inbound):
    result = receive_inbound_message(inbox=world.email_inbox, inbound=inbound(
        "siti@contoh.id", sender_name="Siti\x00 Rahayu", subject="Paket\x00 belum sampai",
        provider_message_id="<abc\x00@contoh.id>", in_reply_to=("<x\x00@contoh.id>",),
        cc=(("budi@contoh.id", "Budi\x00"),),
        attachments=(InboundAttachment(filename="bukti\x00.pdf", content_type="application/pdf", content=b"%PDF"),)))

    message = Message.objects.get(pk=result.message.pk)
    assert message.provider_message_id == "<abc@contoh.id>"
    assert result.conversation.subject == "Paket belum sampai"
    assert result.conversation.customer.name == "Siti Rahayu"
    assert Attachment.objects.get(message=message).filename == "bukti.pdf"


# --- refused before anything is written -----------------------------------------------------

@pytest.mark.parametrize(("fields", "code"), [
    ({"text": "x" * 100_001}, ErrorCode.INVALID_INPUT),
    ({"attachments": (InboundAttachment(filename="", content_type="text/plain", content=b"x"),)},
     ErrorCode.INVALID_INPUT),
], ids=["text too long", "attachment without a file name"])
def test_an_unacceptable_message_is_refused_and_nothing_is_written(world, inbound, fields, code):
    before = _counts()

    with pytest.raises(InvalidInput) as refused:
        receive_inbound_message(inbox=world.email_inbox, inbound=inbound(**fields))

    assert refused.value.code == code
    assert refused.value.message
    assert _counts() == before


def test_an_attachment_over_the_limit_is_refused_and_nothing_is_written(world, inbound, settings):
    settings.LAYAN_MAX_ATTACHMENT_BYTES = 1024
    before = _counts()

    with pytest.raises(InvalidInput) as refused:
        receive_inbound_message(inbox=world.email_inbox, inbound=inbound(attachments=(
            InboundAttachment(filename="foto.jpg", content_type="image/jpeg", content=b"x" * 1025),)))

    assert refused.value.code == ErrorCode.ATTACHMENT_TOO_LARGE
    assert "foto.jpg" in refused.value.message
    assert _counts() == before


def test_an_invalid_sender_is_refused_and_nothing_is_written(world, inbound):
    before = _counts()

    with pytest.raises(InvalidInput) as refused:
        receive_inbound_message(inbox=world.whatsapp_inbox, inbound=inbound("bukan nomor", kind="whatsapp"))

    assert refused.value.code == ErrorCode.INVALID_IDENTITY
    assert _counts() == before


def test_the_customer_is_the_recorded_actor_of_what_receiving_changes(world, inbound):
    result = receive_inbound_message(inbox=world.email_inbox, inbound=inbound())

    entry = AuditEntry.objects.get(action="conversation.created", object_id=str(result.conversation.pk))
    assert (entry.actor_kind, entry.actor_agent_id, entry.via_token_id) == ("customer", None, None)
    assert entry.after["customer"] == result.conversation.customer_id
