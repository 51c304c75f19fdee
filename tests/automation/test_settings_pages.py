"""The automation settings pages (rules with their run log, macros) and the conversation page's
macro menu, through the Django test client: form-based create, edit, enable/disable and delete;
agents refused; another workspace's ids not found."""

from __future__ import annotations

import pytest
from django.test import Client

from layan.accounts.actors import Actor
from layan.accounts.models import AuditEntry
from layan.automation.models import AutomationRule, Macro, RuleRun
from layan.automation.services import create_canned_reply, create_macro, create_rule
from layan.conversations.models import Conversation
from layan.conversations.services import assign_conversation, create_conversation
from layan.customers.services import IdentityInput


def _browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _conversation(world, team=None) -> Conversation:
    return create_conversation(actor=world.actor, customer_name="Siti Aminah", subject="Paket", team=team,
                               customer_identities=[IdentityInput(kind="email", value="siti@contoh.id")],
                               text="Paket saya belum sampai").conversation


def _rule_form(**overrides) -> dict:
    form = {"name": "VIP ke tim", "event": "conversation_created", "position": "", "is_active": "on",
            "delay_minutes": "", "time_anchor": "",
            "all-0-field": "tags", "all-0-operator": "has", "all-0-value": "vip, prioritas",
            "all-1-field": "assignee", "all-1-operator": "is", "all-1-value": "none",
            "any-0-field": "text", "any-0-operator": "contains", "any-0-value": "paket, pesanan",
            "action-0-type": "assign_team", "action-0-value": "Customer Care",
            "action-1-type": "set_priority", "action-1-value": "high",
            "action-2-type": "notify", "action-2-value": "assignee, sari@toko-maju.test",
            "action-2-detail": "VIP #{{conversation.number}}"}
    form.update(overrides)
    return form


def test_supervisor_creates_a_rule_from_the_form_in_words(world):
    client = _browser(world.supervisor)

    page = client.get("/settings/automation/rules/new")
    assert page.status_code == 200
    response = client.post("/settings/automation/rules/new", _rule_form())

    assert response.status_code == 302, response.content.decode()[:2000]
    rule = AutomationRule.objects.get()
    assert (rule.name, rule.event, rule.is_active, rule.position) == ("VIP ke tim", "conversation_created", True, 0)
    assert rule.conditions == {
        "all": [{"field": "tags", "operator": "has", "value": ["vip", "prioritas"]},
                {"field": "assignee", "operator": "is", "value": "none"}],
        "any": [{"field": "text", "operator": "contains", "value": ["paket", "pesanan"]}]}
    assert rule.actions == [
        {"type": "assign_team", "value": world.other_team.pk}, {"type": "set_priority", "value": "high"},
        {"type": "notify", "agents": [world.other_agent.pk], "assignee": True, "text": "VIP #{{conversation.number}}"}]
    listing = client.get("/settings/automation/")
    assert "VIP ke tim" in listing.content.decode()


def test_the_edit_form_shows_the_rule_in_words_and_saves_changes(world):
    client = _browser(world.supervisor)
    client.post("/settings/automation/rules/new", _rule_form())
    rule = AutomationRule.objects.get()

    page = client.get(f"/settings/automation/rules/{rule.pk}/").content.decode()
    assert 'value="vip, prioritas"' in page
    assert 'value="Customer Care"' in page
    assert 'value="assignee, sari@toko-maju.test"' in page

    response = client.post(f"/settings/automation/rules/{rule.pk}/", _rule_form(**{
        "name": "VIP ke tim (baru)", "action-1-value": "urgent", "stop_processing": "on"}))

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.actions[1], rule.stop_processing) == (
        "VIP ke tim (baru)", {"type": "set_priority", "value": "urgent"}, True)


def test_a_refused_form_shows_the_reason_and_keeps_what_was_typed(world):
    response = _browser(world.supervisor).post("/settings/automation/rules/new",
                                               _rule_form(**{"action-0-value": "Tim Hantu"}))

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "Tim Hantu" in page
    assert not AutomationRule.objects.exists()


def test_supervisor_disables_enables_and_deletes_a_rule(world):
    rule = create_rule(actor=Actor.for_agent(world.supervisor), name="Tandai", event="conversation_created",
                       actions=[{"type": "add_tags", "value": ["baru"]}])
    client = _browser(world.supervisor)

    client.post(f"/settings/automation/rules/{rule.pk}/toggle")
    assert AutomationRule.objects.get().is_active is False
    client.post(f"/settings/automation/rules/{rule.pk}/toggle")
    assert AutomationRule.objects.get().is_active is True
    client.post(f"/settings/automation/rules/{rule.pk}/delete")

    assert not AutomationRule.objects.exists()
    assert [e.action for e in AuditEntry.objects.filter(object_type="automation_rule").order_by("pk")] == [
        "automation_rule.created", "automation_rule.updated", "automation_rule.updated", "automation_rule.deleted"]


def test_the_run_log_page_lists_each_run_with_its_conversation_and_error(world):
    from layan.automation.engine import apply_rule

    rule = create_rule(actor=Actor.for_agent(world.supervisor), name="Tutup", event="conversation_created",
                       actions=[{"type": "set_status", "value": "closed"}])
    conversation = _conversation(world)
    apply_rule(rule=rule, conversation=conversation, event_name="ConversationCreated", chain=())

    page = _browser(world.supervisor).get(f"/settings/automation/rules/{rule.pk}/runs")

    assert page.status_code == 200
    html = page.content.decode()
    assert f"#{conversation.number}" in html
    assert RuleRun.objects.get().error in html


@pytest.mark.parametrize("path", ["/settings/automation/", "/settings/automation/rules/new",
                                  "/settings/automation/macros/new"])
def test_an_agent_cannot_open_the_automation_settings(world, path):
    assert _browser(world.agent).get(path).status_code == 403


def test_an_agent_cannot_change_or_delete_a_rule_and_nothing_is_written(world, database_rows):
    rule = create_rule(actor=Actor.for_agent(world.supervisor), name="Tandai", event="conversation_created",
                       actions=[{"type": "add_tags", "value": ["baru"]}])
    client = _browser(world.agent)
    before = database_rows()

    assert client.post("/settings/automation/rules/new", _rule_form()).status_code == 403
    assert client.post(f"/settings/automation/rules/{rule.pk}/", _rule_form()).status_code == 403
    assert client.post(f"/settings/automation/rules/{rule.pk}/toggle").status_code == 403
    assert client.post(f"/settings/automation/rules/{rule.pk}/delete").status_code == 403
    assert database_rows() == before


def test_another_workspaces_rule_and_macro_are_not_found(world, other_world):
    rule = create_rule(actor=Actor.for_agent(other_world.supervisor), name="Lain", event="conversation_created",
                       actions=[{"type": "add_tags", "value": ["baru"]}])
    macro = create_macro(actor=Actor.for_agent(other_world.supervisor), name="Lain",
                         actions=[{"type": "set_priority", "value": "high"}])
    client = _browser(world.admin)

    assert client.get(f"/settings/automation/rules/{rule.pk}/").status_code == 404
    assert client.get(f"/settings/automation/rules/{rule.pk}/runs").status_code == 404
    assert client.post(f"/settings/automation/rules/{rule.pk}/delete").status_code == 404
    assert client.post(f"/settings/automation/macros/{macro.pk}/delete").status_code == 404
    conversation = _conversation(world)
    assert client.post(f"/c/{conversation.number}/macros/apply", {"macro": macro.pk}).status_code == 404
    assert AutomationRule.objects.filter(pk=rule.pk).exists()
    assert Macro.objects.filter(pk=macro.pk).exists()


# --- macros ----------------------------------------------------------------------------------------

def test_supervisor_creates_and_edits_a_macro_from_the_form(world):
    create_canned_reply(actor=Actor.for_agent(world.supervisor), shortcut="resi", title="Resi",
                        text="Halo {{customer.first_name}}, resi: ...")
    client = _browser(world.supervisor)

    response = client.post("/settings/automation/macros/new", {
        "name": "Minta resi", "is_active": "on",
        "action-0-type": "reply_canned", "action-0-value": "/resi",
        "action-1-type": "set_status", "action-1-value": "pending",
        "action-2-type": "add_tags", "action-2-value": "resi"})

    assert response.status_code == 302, response.content.decode()[:2000]
    macro = Macro.objects.get()
    reply_id = macro.actions[0]["value"]
    assert macro.actions == [{"type": "reply_canned", "value": reply_id}, {"type": "set_status", "value": "pending"},
                             {"type": "add_tags", "value": ["resi"]}]
    page = client.get(f"/settings/automation/macros/{macro.pk}/").content.decode()
    assert 'value="resi"' in page


def test_an_agent_applies_a_macro_from_the_conversation_page(world):
    create_canned_reply(actor=Actor.for_agent(world.supervisor), shortcut="resi", title="Resi",
                        text="Halo {{customer.first_name}}, mohon kirim nomor resi. Salam, {{agent.first_name}}")
    macro = create_macro(actor=Actor.for_agent(world.supervisor), name="Minta resi", actions=[
        {"type": "reply_canned", "value": world.workspace.canned_replies.get().pk},
        {"type": "set_status", "value": "pending"}])
    conversation = _conversation(world, team=world.team)
    client = _browser(world.agent)

    page = client.get(f"/c/{conversation.number}/").content.decode()
    assert f'hx-get="/c/{conversation.number}/macros"' in page
    menu = client.get(f"/c/{conversation.number}/macros", HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{macro.pk}">Minta resi</option>' in menu
    response = client.post(f"/c/{conversation.number}/macros/apply", {"macro": macro.pk})

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == "pending"
    reply = conversation.messages.filter(direction="out", is_note=False).latest("pk")
    assert (reply.text, reply.author_agent_id) == ("Halo Siti, mohon kirim nomor resi. Salam, Budi", world.agent.pk)
    assert AuditEntry.objects.filter(action="macro.applied", actor_agent=world.agent).count() == 1


def test_a_macro_on_a_conversation_the_agent_may_not_see_is_not_found(world):
    macro = create_macro(actor=Actor.for_agent(world.supervisor), name="Naik",
                         actions=[{"type": "set_priority", "value": "urgent"}])
    conversation = _conversation(world)
    assign_conversation(actor=world.actor, conversation=conversation, team=world.other_team)

    response = _browser(world.agent).post(f"/c/{conversation.number}/macros/apply", {"macro": macro.pk})

    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.priority == "normal"


def test_a_disabled_macro_is_not_offered_and_refused(world):
    macro = create_macro(actor=Actor.for_agent(world.supervisor), name="Lama", is_active=False,
                         actions=[{"type": "set_priority", "value": "urgent"}])
    conversation = _conversation(world, team=world.team)
    client = _browser(world.agent)

    menu = client.get(f"/c/{conversation.number}/macros").content.decode()
    assert "Lama" not in menu
    client.post(f"/c/{conversation.number}/macros/apply", {"macro": macro.pk})
    conversation.refresh_from_db()
    assert conversation.priority == "normal"
