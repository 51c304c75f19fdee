"""resolve_identity() finds one customer however an identity is written; merging folds two into one."""

from __future__ import annotations

import pytest

from layan import events
from layan.accounts.models import AuditEntry
from layan.conversations.models import Conversation, Message
from layan.conversations.services import receive_inbound_message
from layan.customers.models import Customer, Identity
from layan.customers.services import (
    IdentityInput,
    IdentityTaken,
    add_identity,
    create_customer,
    merge_customers,
    resolve_identity,
)
from layan.errors import Conflict, ErrorCode, InvalidInput


def _snapshot():
    return (Customer.objects.count(), Identity.objects.count(), AuditEntry.objects.count(),
            list(Conversation.objects.order_by("id").values_list("id", "customer_id")),
            list(Message.objects.order_by("id").values_list("id", "author_customer_id")))


# --- resolve_identity -----------------------------------------------------------------------------

def test_three_spellings_of_one_mobile_number_resolve_to_one_customer(world):
    identities = [resolve_identity(workspace=world.workspace, kind="whatsapp", value=raw)
                  for raw in ("0812-3456-7890", "+62 812 3456 7890", "6281234567890")]

    assert {i.pk for i in identities} == {identities[0].pk}
    assert identities[0].value == "+6281234567890"
    assert identities[0].display_value == "0812-3456-7890"  # as first given
    assert Customer.objects.filter(workspace=world.workspace).count() == 1


def test_emails_resolve_case_insensitively(world):
    first = resolve_identity(workspace=world.workspace, kind="email", value="Siti.Rahma@Contoh.ID")
    again = resolve_identity(workspace=world.workspace, kind="email", value="  siti.rahma@contoh.id ")

    assert again.pk == first.pk
    assert first.value == "siti.rahma@contoh.id"


def test_a_whatsapp_sender_who_once_called_joins_the_phone_customer(world):
    caller = resolve_identity(workspace=world.workspace, kind="phone", value="021-5790-1234", name="Bu Rina")

    whatsapp = resolve_identity(workspace=world.workspace, kind="whatsapp", value="+62 21 5790 1234")

    assert whatsapp.pk != caller.pk
    assert whatsapp.customer_id == caller.customer_id
    assert Customer.objects.count() == 1


def test_a_new_identity_creates_its_customer_and_audits_it(world):
    identity = resolve_identity(workspace=world.workspace, kind="email", value="budi@contoh.id", name=" Budi ")

    assert identity.customer.name == "Budi"
    assert (identity.customer.language, identity.customer.timezone) == (world.workspace.language,
                                                                        world.workspace.timezone)
    entry = AuditEntry.objects.get(action="customer.created", object_id=str(identity.customer_id))
    assert entry.actor_kind == "customer"
    assert entry.after == {"name": "Budi", "identities": ["email:budi@contoh.id"]}


def test_the_same_identity_in_two_workspaces_is_two_customers(world, other_world):
    ours = resolve_identity(workspace=world.workspace, kind="email", value="siti@contoh.id")
    theirs = resolve_identity(workspace=other_world.workspace, kind="email", value="siti@contoh.id")

    assert ours.customer_id != theirs.customer_id
    assert ours.customer.workspace_id == world.workspace.pk
    assert theirs.customer.workspace_id == other_world.workspace.pk


@pytest.mark.parametrize(("kind", "value", "code", "field"), [
    ("whatsapp", "bukan-nomor", ErrorCode.INVALID_IDENTITY, "phone"),
    ("email", "siti-at-contoh.id", ErrorCode.INVALID_IDENTITY, "email"),
    ("external", "CRM\x0042", ErrorCode.INVALID_IDENTITY, "value"),
    ("fax", "021-5790-1234", ErrorCode.INVALID_INPUT, "kind"),
])
def test_an_invalid_identity_is_refused_and_nothing_is_written(world, kind, value, code, field):
    before = _snapshot()

    with pytest.raises(InvalidInput) as refused:
        resolve_identity(workspace=world.workspace, kind=kind, value=value)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message
    assert _snapshot() == before


def test_adding_an_identity_owned_by_another_customer_is_a_conflict(world):
    siti = create_customer(actor=world.actor, name="Siti", identities=[IdentityInput("phone", "0812-3456-7890")])
    rudi = create_customer(actor=world.actor, name="Rudi")
    before = _snapshot()

    with pytest.raises(Conflict) as refused:
        add_identity(actor=world.actor, customer=rudi, kind="phone", value="+62 812 3456 7890")

    assert refused.value.code == ErrorCode.DUPLICATE
    assert "+6281234567890" in refused.value.message
    assert _snapshot() == before
    assert list(siti.identities.values_list("value", flat=True)) == ["+6281234567890"]


def test_the_conflict_names_the_customer_who_owns_the_identity_so_they_can_be_merged(world):
    siti = create_customer(actor=world.actor, name="Siti", identities=[IdentityInput("email", "siti@contoh.id")])
    rudi = create_customer(actor=world.actor, name="Rudi")

    with pytest.raises(IdentityTaken) as refused:
        add_identity(actor=world.actor, customer=rudi, kind="email", value=" Siti@Contoh.ID ")

    assert (refused.value.status, refused.value.code, refused.value.field) == (409, ErrorCode.DUPLICATE, "value")
    assert refused.value.owner_id == siti.pk
    assert f"#{siti.pk}" in refused.value.message


def test_a_customer_merged_into_another_takes_no_new_identity(world):
    siti = create_customer(actor=world.actor, name="Siti")
    duplicate = create_customer(actor=world.actor, name="Siti R")
    merge_customers(actor=world.actor, source=duplicate, target=siti)
    duplicate.refresh_from_db()
    before = _snapshot()

    with pytest.raises(Conflict) as refused:
        add_identity(actor=world.actor, customer=duplicate, kind="email", value="siti@contoh.id")

    assert (refused.value.code, refused.value.field) == (ErrorCode.CUSTOMER_MERGED, "customer")
    assert _snapshot() == before


def test_an_added_identity_keeps_the_value_as_given_without_surrounding_spaces(world):
    siti = create_customer(actor=world.actor, name="Siti")

    identity = add_identity(actor=world.actor, customer=siti, kind="email", value="  Siti.Rahma@Example.co.id ")

    assert (identity.value, identity.display_value) == ("siti.rahma@example.co.id", "Siti.Rahma@Example.co.id")


def test_adding_a_customers_own_identity_again_changes_nothing(world):
    siti = create_customer(actor=world.actor, name="Siti", identities=[IdentityInput("email", "siti@contoh.id")])
    before = _snapshot()

    identity = add_identity(actor=world.actor, customer=siti, kind="email", value="SITI@contoh.id")

    assert identity.customer_id == siti.pk
    assert _snapshot() == before


def test_creating_a_customer_with_a_taken_identity_writes_nothing(world):
    create_customer(actor=world.actor, name="Siti", identities=[IdentityInput("email", "siti@contoh.id")])
    before = _snapshot()

    with pytest.raises(Conflict) as refused:
        create_customer(actor=world.actor, name="Siti lagi", identities=[
            IdentityInput("phone", "0813-1111-2222"), IdentityInput("email", "Siti@Contoh.id")])

    assert refused.value.code == ErrorCode.DUPLICATE
    assert _snapshot() == before


# --- merge ------------------------------------------------------------------------------------------

@pytest.fixture
def two_customers(world, inbound):
    """Siti wrote by email and by WhatsApp before anyone knew it was the same person."""
    by_email = receive_inbound_message(inbox=world.email_inbox, inbound=inbound("siti@contoh.id", sender_name="Siti"))
    receive_inbound_message(inbox=world.email_inbox, inbound=inbound("siti@contoh.id"))
    by_whatsapp = receive_inbound_message(inbox=world.whatsapp_inbox, inbound=inbound("0812-3456-7890",
                                                                                    kind="whatsapp"))
    target = by_email.conversation.customer
    source = by_whatsapp.conversation.customer
    source.attributes = {"kota": "Bandung", "member": "2021"}
    source.notes = "Pelanggan lama"
    source.save(update_fields=["attributes", "notes"])
    target.attributes = {"kota": "Jakarta"}
    target.save(update_fields=["attributes"])
    return source, target


def test_merging_customers_moves_identities_conversations_and_messages(world, two_customers):
    source, target = two_customers
    messages_before = Message.objects.filter(workspace=world.workspace).count()
    conversations_before = Conversation.objects.filter(workspace=world.workspace).count()
    source_conversations = list(source.conversations.values_list("id", flat=True))

    merged = merge_customers(actor=world.actor, source=source, target=target)

    source.refresh_from_db()
    assert merged.pk == target.pk
    assert source.merged_into_id == target.pk
    assert source.identities.count() == 0
    assert sorted(target.identities.values_list("kind", "value")) == [
        ("email", "siti@contoh.id"), ("whatsapp", "+6281234567890")]
    assert source.conversations.count() == 0
    assert sorted(target.conversations.values_list("id", flat=True)) == sorted(
        [*source_conversations, *Conversation.objects.filter(inbox=world.email_inbox).values_list("id", flat=True)])
    assert Message.objects.filter(author_customer=source).count() == 0
    assert Message.objects.filter(author_customer=target).count() == 3
    assert Message.objects.filter(workspace=world.workspace).count() == messages_before
    assert Conversation.objects.filter(workspace=world.workspace).count() == conversations_before


def test_merging_keeps_the_targets_fields_and_fills_the_gaps_from_the_source(world, two_customers):
    source, target = two_customers

    merge_customers(actor=world.actor, source=source, target=target)

    target.refresh_from_db()
    assert target.name == "Siti"
    assert target.notes == "Pelanggan lama"
    assert target.attributes == {"kota": "Jakarta", "member": "2021"}


def test_merging_customers_is_audited_on_both_with_what_moved(world, two_customers):
    source, target = two_customers
    moved_conversations = list(source.conversations.values_list("id", flat=True))

    merge_customers(actor=world.actor, source=source, target=target)

    entries = AuditEntry.objects.filter(action="customer.merged").order_by("id")
    assert [e.object_id for e in entries] == [str(source.pk), str(target.pk)]
    for entry in entries:
        assert (entry.actor_kind, entry.actor_agent_id) == ("agent", world.admin.pk)
        assert entry.before == {"source": source.pk}
        assert entry.after == {"target": target.pk, "identities": ["whatsapp:+6281234567890"],
                               "conversations": moved_conversations}


recorded: list[events.Event] = []


def record(event: events.Event) -> None:
    """A subscriber for the test below, named by its dotted path like every subscriber."""
    recorded.append(event)


def test_merging_customers_announces_it_after_commit(world, two_customers, django_capture_on_commit_callbacks,
                                                      monkeypatch):
    source, target = two_customers
    recorded.clear()
    monkeypatch.setitem(events.SUBSCRIBERS, events.CustomersMerged, [(f"{__name__}.record", "sync")])

    with django_capture_on_commit_callbacks(execute=True):
        merge_customers(actor=world.actor, source=source, target=target)
        assert recorded == []

    assert recorded == [events.CustomersMerged(workspace_id=world.workspace.pk, source_id=source.pk,
                                               target_id=target.pk)]


def test_the_next_message_from_a_merged_customers_identity_reaches_the_target(world, two_customers, inbound):
    source, target = two_customers
    whatsapp_conversation = source.conversations.get()
    merge_customers(actor=world.actor, source=source, target=target)

    result = receive_inbound_message(inbox=world.whatsapp_inbox, inbound=inbound("+6281234567890", kind="whatsapp"))

    assert result.message.author_customer_id == target.pk
    assert result.conversation.pk == whatsapp_conversation.pk  # it moved with the person
    assert resolve_identity(workspace=world.workspace, kind="whatsapp", value="0812 3456 7890").customer_id == target.pk


def test_a_merged_customer_cannot_be_merged_again(world, two_customers):
    source, target = two_customers
    third = create_customer(actor=world.actor, name="Siti (toko)")
    merge_customers(actor=world.actor, source=source, target=target)
    before = _snapshot()

    with pytest.raises(Conflict) as refused:
        merge_customers(actor=world.actor, source=source, target=third)

    assert refused.value.code == ErrorCode.CUSTOMER_MERGED
    assert _snapshot() == before


def test_a_customer_cannot_be_merged_into_itself(world, two_customers):
    _source, target = two_customers
    before = _snapshot()

    with pytest.raises(InvalidInput):
        merge_customers(actor=world.actor, source=target, target=target)

    assert _snapshot() == before


def test_customers_of_another_workspace_are_never_merged(world, other_world, two_customers):
    _source, target = two_customers
    stranger = create_customer(actor=other_world.actor, name="Orang lain",
                               identities=[IdentityInput("email", "lain@contoh.id")])
    before = _snapshot()

    with pytest.raises(InvalidInput) as refused:
        merge_customers(actor=world.actor, source=stranger, target=target)

    assert refused.value.field == "source"
    assert _snapshot() == before
    stranger.refresh_from_db()
    assert stranger.merged_into_id is None


def test_merging_through_the_api_answers_with_the_target_and_hides_the_source(world, two_customers):
    source, target = two_customers
    api = world.api("supervisor")

    response = api.post(f"/customers/{target.pk}/merge", {"source_id": source.pk})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == target.pk
    assert {i["value"] for i in body["identities"]} == {"siti@contoh.id", "+6281234567890"}
    listed = api.get("/customers").json()["items"]
    assert [c["id"] for c in listed] == [target.pk]
    assert api.get(f"/customers/{source.pk}").json()["merged_into_id"] == target.pk
