"""The rules and macros API: supervisors keep them, agents cannot, another workspace's ids are
404, secrets never come back, and a macro applied through the API is audited as the caller."""

from __future__ import annotations

import pytest

from layan.accounts.actors import Actor
from layan.accounts.models import AuditEntry
from layan.automation.models import AutomationRule, Macro, RuleRun
from layan.automation.services import create_macro, create_rule
from layan.conversations.models import Conversation

TAG_RULE = {"name": "Tandai pengiriman", "event": "message_received",
            "conditions": {"all": [{"field": "text", "operator": "contains", "value": "paket"}]},
            "actions": [{"type": "add_tags", "value": ["pengiriman"]}]}


def test_supervisor_creates_reads_changes_and_deletes_a_rule(world):
    api = world.api("supervisor")

    created = api.post("/automation-rules", TAG_RULE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["event"], body["position"], body["is_active"], body["actions"]) == (
        "Tandai pengiriman", "message_received", 0, True, [{"type": "add_tags", "value": ["pengiriman"]}])
    rule_id = body["id"]

    changed = api.patch(f"/automation-rules/{rule_id}", {"is_active": False, "stop_processing": True})
    assert (changed.status_code, changed.json()["is_active"], changed.json()["stop_processing"]) == (200, False, True)
    assert api.get("/automation-rules").json()["items"][0]["id"] == rule_id
    assert [e.action for e in AuditEntry.objects.filter(object_type="automation_rule").order_by("pk")] == [
        "automation_rule.created", "automation_rule.updated"]

    assert api.delete(f"/automation-rules/{rule_id}").status_code == 204
    assert not AutomationRule.objects.exists()


def test_a_rule_with_a_bad_condition_is_refused_naming_the_field(world, database_rows):
    before = database_rows()
    response = world.api("supervisor").post("/automation-rules", {
        **TAG_RULE, "conditions": {"all": [{"field": "status", "operator": "is", "value": "lost"}]}})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "conditions.all.0.value"
    assert database_rows() == before


def test_a_time_based_rule_needs_a_delay(world):
    response = world.api("admin").post("/automation-rules", {**TAG_RULE, "event": "time_based"})

    assert (response.status_code, response.json()["error"]["field"]) == (400, "delay_minutes")


def test_a_rule_with_another_workspaces_team_is_refused(world, other_world):
    response = world.api("admin").post("/automation-rules", {
        **TAG_RULE, "actions": [{"type": "assign_team", "value": other_world.team.pk}]})

    assert (response.status_code, response.json()["error"]["field"]) == (404, "actions.0.value")


def test_an_agent_can_neither_read_nor_write_rules_and_nothing_is_written(world, database_rows):
    rule = create_rule(actor=Actor.for_agent(world.supervisor), **TAG_RULE)
    api = world.api("agent")
    before = database_rows()

    assert api.get("/automation-rules").status_code == 403
    assert api.post("/automation-rules", TAG_RULE).status_code == 403
    assert api.patch(f"/automation-rules/{rule.pk}", {"name": "Dibajak"}).status_code == 403
    assert api.delete(f"/automation-rules/{rule.pk}").status_code == 403
    assert api.post("/macros", {"name": "M", "actions": [{"type": "set_priority", "value": "high"}]}).status_code == 403
    assert database_rows() == before


def test_another_workspaces_rule_and_macro_are_not_found(world, other_world):
    rule = create_rule(actor=Actor.for_agent(other_world.supervisor), **TAG_RULE)
    macro = create_macro(actor=Actor.for_agent(other_world.supervisor), name="Lain",
                         actions=[{"type": "set_priority", "value": "high"}])
    api = world.api("admin")

    assert api.get(f"/automation-rules/{rule.pk}").status_code == 404
    assert api.get(f"/automation-rules/{rule.pk}/runs").status_code == 404
    assert api.get(f"/macros/{macro.pk}").status_code == 404
    assert api.get("/macros").json()["items"] == []


def test_webhook_secrets_are_never_returned_and_an_edit_without_one_keeps_it(world):
    api = world.api("supervisor")
    created = api.post("/automation-rules", {**TAG_RULE, "actions": [
        {"type": "webhook", "url": "https://crm.contoh.id/hook", "secret": "rahasia"}]}).json()
    assert created["actions"] == [{"type": "webhook", "url": "https://crm.contoh.id/hook", "signed": True}]

    api.patch(f"/automation-rules/{created['id']}", {"name": "Ke CRM", "actions": created["actions"]})

    assert AutomationRule.objects.get().actions == [
        {"type": "webhook", "url": "https://crm.contoh.id/hook", "secret": "rahasia"}]


@pytest.mark.django_db(transaction=True)
def test_rule_runs_are_listed_newest_first(world, receive):
    rule = create_rule(actor=Actor.for_agent(world.supervisor), **TAG_RULE)
    first = receive(world.email_inbox, "siti@contoh.id", text="paket satu").message.conversation
    second = receive(world.email_inbox, "ani@contoh.id", text="paket dua").message.conversation

    response = world.api("supervisor").get(f"/automation-rules/{rule.pk}/runs")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["conversation_id"], i["conversation_number"], i["event"], i["actions_done"], i["error"])
            for i in items] == [
        (second.pk, second.number, "MessageReceived", ["add_tags:pengiriman"], ""),
        (first.pk, first.number, "MessageReceived", ["add_tags:pengiriman"], "")]
    assert RuleRun.objects.count() == 2


def test_an_agent_applies_a_macro_through_the_api_audited_as_them(world, receive):
    macro = create_macro(actor=Actor.for_agent(world.supervisor), name="Eskalasi", actions=[
        {"type": "set_priority", "value": "urgent"}, {"type": "add_tags", "value": ["eskalasi"]},
        {"type": "add_note", "value": "Dieskalasi oleh {{agent.first_name}}"}])
    conversation = receive(world.email_inbox, "siti@contoh.id").message.conversation
    conversation = Conversation.objects.get(pk=conversation.pk)
    from layan.conversations.services import assign_conversation

    assign_conversation(actor=world.actor, conversation=conversation, team=world.team)

    response = world.api("agent").post(f"/macros/{macro.pk}/apply", {"conversation_id": conversation.pk})

    assert response.status_code == 200, response.content
    assert response.json() == {"conversation_id": conversation.pk,
                               "actions_done": ["set_priority:urgent", "add_tags:eskalasi",
                                                "add_note:Dieskalasi oleh {{agent.first_name}}"]}
    conversation.refresh_from_db()
    assert conversation.priority == "urgent"
    assert list(conversation.tags.values_list("name", flat=True)) == ["eskalasi"]
    note = conversation.messages.get(is_note=True)
    assert (note.text, note.author_agent_id) == ("Dieskalasi oleh Budi", world.agent.pk)
    entries = AuditEntry.objects.filter(object_id=str(conversation.pk), actor_agent=world.agent).order_by("pk")
    assert [e.action for e in entries] == ["conversation.updated", "conversation.tagged", "conversation.note_added",
                                          "macro.applied"]
    assert Macro.objects.get().usage_count == 1


def test_a_macro_on_a_conversation_the_agent_may_not_see_is_not_found_and_changes_nothing(world, receive):
    macro = create_macro(actor=Actor.for_agent(world.supervisor), name="Naik",
                         actions=[{"type": "set_priority", "value": "urgent"}])
    conversation = receive(world.email_inbox, "siti@contoh.id").message.conversation
    from layan.conversations.services import assign_conversation

    assign_conversation(actor=world.actor, conversation=Conversation.objects.get(pk=conversation.pk),
                        team=world.other_team)

    response = world.api("agent").post(f"/macros/{macro.pk}/apply", {"conversation_id": conversation.pk})

    assert response.status_code == 404
    assert Conversation.objects.get(pk=conversation.pk).priority == "normal"
