"""API tokens are stored hashed and shown once; revoked tokens stop working; changes are audited."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from layan.accounts.actors import Actor
from layan.accounts.models import APIToken, AuditEntry
from layan.accounts.services import create_api_token, revoke_api_token
from layan.conversations.models import Conversation
from layan.conversations.services import receive_inbound_message
from layan.customers.services import create_customer

# --- stored hashed, shown once -----------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_sha256(world):
    token, raw = create_api_token(agent=world.agent, name="Integrasi toko online")

    stored = APIToken.objects.filter(pk=token.pk).values().get()
    assert raw.startswith("layan_")
    assert len(raw) >= 40
    assert stored["key_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(stored, default=str)
    assert stored["prefix"] == raw[:12]  # enough to recognise it, far too little to use it


def test_the_raw_token_appears_nowhere_in_the_database(world):
    _token, raw = create_api_token(agent=world.agent, name="Integrasi")

    audit_text = json.dumps(list(AuditEntry.objects.values("before", "after")), default=str)
    tokens_text = json.dumps(list(APIToken.objects.values()), default=str)
    assert raw not in audit_text
    assert raw[12:] not in tokens_text  # not even the secret part without the prefix


def test_two_tokens_never_share_a_secret(world):
    raws = {create_api_token(agent=world.agent)[1] for _ in range(20)}

    assert len(raws) == 20


def test_listing_tokens_shows_their_prefix_but_never_the_token(world):
    out = io.StringIO()
    token, raw = create_api_token(agent=world.agent, name="Laporan harian")

    call_command("token", "list", "--workspace", world.workspace.slug, stdout=out)

    listing = out.getvalue()
    assert token.prefix in listing
    assert "Laporan harian" in listing
    assert raw not in listing
    assert raw[12:20] not in listing


# --- authentication -------------------------------------------------------------------------------

def test_a_token_authenticates_as_its_agent_and_records_its_last_use(world):
    token, raw = create_api_token(agent=world.agent)
    client = world.api("agent")
    client.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    response = client.get("/me")

    assert response.status_code == 200
    assert response.json()["id"] == world.agent.pk
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


def test_a_revoked_token_no_longer_authenticates(world):
    token = APIToken.objects.get(agent=world.agent)
    api = world.api("agent")
    assert api.get("/me").status_code == 200

    revoke_api_token(token=token, actor=Actor.for_agent(world.admin))
    response = api.get("/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_revoked_token_writes_nothing(world, receive):
    conversation = receive(world.email_inbox, "siti@contoh.id").conversation
    revoke_api_token(token=APIToken.objects.get(agent=world.admin), actor=Actor.system(world.workspace))
    audits = AuditEntry.objects.count()

    response = world.api("admin").patch(f"/conversations/{conversation.pk}", {"priority": "urgent"})

    assert response.status_code == 401
    assert Conversation.objects.get(pk=conversation.pk).priority == "normal"
    assert AuditEntry.objects.count() == audits


def test_revoking_is_audited_once_with_who_revoked(world):
    token = APIToken.objects.get(agent=world.agent)

    revoke_api_token(token=token, actor=Actor.for_agent(world.admin))
    revoke_api_token(token=token, actor=Actor.for_agent(world.admin))

    (entry,) = AuditEntry.objects.filter(action="api_token.revoked", object_id=str(token.pk))
    token.refresh_from_db()
    assert (entry.actor_kind, entry.actor_agent_id) == ("agent", world.admin.pk)
    assert entry.after == {"revoked_at": token.revoked_at.isoformat()}


@pytest.mark.parametrize("deactivate", ["agent", "user"])
def test_a_token_of_a_deactivated_agent_or_user_no_longer_authenticates(world, deactivate):
    target = world.agent if deactivate == "agent" else world.agent.user
    target.is_active = False
    target.save(update_fields=["is_active"])

    response = world.api("agent").get("/me")

    assert response.status_code == 401


@pytest.mark.parametrize("header", [
    "Bearer layan_not-a-real-token", "Bearer ", "Token {raw}", "Bearer {raw}x", "Bearer {prefix}",
], ids=["unknown", "empty", "wrong scheme", "altered", "prefix only"])
def test_anything_but_the_exact_token_is_refused(world, header):
    raw = world.tokens["agent"]
    client = world.api("agent")
    client.headers = {"HTTP_AUTHORIZATION": header.format(raw=raw, prefix=raw[:12])}

    response = client.get("/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- audit: who, what, before, after ------------------------------------------------------------

def test_a_change_through_the_api_records_the_agent_the_token_and_before_and_after(world, receive):
    conversation = receive(world.email_inbox, "siti@contoh.id").conversation
    token = APIToken.objects.get(agent=world.supervisor)

    response = world.api("supervisor").patch(f"/conversations/{conversation.pk}",
                                              {"priority": "high", "subject": "Paket hilang"})

    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(action="conversation.updated", object_id=str(conversation.pk))
    assert (entry.workspace_id, entry.actor_kind, entry.actor_agent_id, entry.via_token_id) == (
        world.workspace.pk, "agent", world.supervisor.pk, token.pk)
    assert entry.object_type == "conversation"
    assert entry.before == {"subject": "Halo, paket saya belum sampai.", "priority": "normal"}
    assert entry.after == {"subject": "Paket hilang", "priority": "high"}


def test_a_change_in_a_browser_session_records_the_agent_without_a_token(world, receive, client):
    conversation = receive(world.email_inbox, "siti@contoh.id").conversation
    client.force_login(world.admin.user)

    response = client.patch(f"/api/v1/conversations/{conversation.pk}", json.dumps({"status": "open"}),
                            content_type="application/json")

    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(action="conversation.status_changed", object_id=str(conversation.pk))
    assert (entry.actor_agent_id, entry.via_token_id) == (world.admin.pk, None)
    assert (entry.before, entry.after) == ({"status": "new"}, {"status": "open"})


def test_a_customer_update_keeps_the_whole_before_and_after(world, api):
    customer = create_customer(actor=world.actor, name="Siti", tier="standard")

    response = api.patch(f"/customers/{customer.pk}", {"tier": "gold", "tags": ["Langganan"]})

    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(action="customer.updated", object_id=str(customer.pk))
    assert (entry.before["tier"], entry.after["tier"]) == ("standard", "gold")
    assert (entry.before["tags"], entry.after["tags"]) == ([], ["langganan"])
    assert entry.before["name"] == entry.after["name"] == "Siti"


def test_the_audit_trail_endpoint_lists_a_conversations_changes_in_order(world, inbound, api):
    conversation = receive_inbound_message(inbox=world.email_inbox, inbound=inbound()).conversation
    api.post(f"/conversations/{conversation.pk}/assign", {"assignee": world.agent.pk})
    api.patch(f"/conversations/{conversation.pk}", {"status": "pending"})

    trail = api.get(f"/conversations/{conversation.pk}/audit").json()

    assert [(e["action"], e["actor_kind"], e["actor_agent_id"]) for e in trail] == [
        ("conversation.created", "customer", None),
        ("conversation.assigned", "agent", world.admin.pk),
        ("conversation.status_changed", "agent", world.admin.pk),
    ]
    assert trail[1]["after"] == {"team": None, "assignee": world.agent.pk}
    assert trail[2]["before"] == {"status": "new"}


def test_audit_entries_of_one_workspace_never_show_in_another(world, other_world, inbound):
    ours = receive_inbound_message(inbox=world.email_inbox, inbound=inbound()).conversation
    theirs = receive_inbound_message(inbox=other_world.email_inbox, inbound=inbound()).conversation
    assert ours.pk != theirs.pk

    response = world.api("admin").get(f"/conversations/{theirs.pk}/audit")

    assert response.status_code == 404
    assert AuditEntry.objects.filter(object_id=str(theirs.pk), workspace=other_world.workspace).exists()
