"""Rules on events: each event, each condition, each action, order and stop-processing, the run
log, and that evaluating rules costs the same number of queries however many there are."""

from __future__ import annotations

import pytest

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Notification
from layan.automation.models import AutomationRule, RuleRun
from layan.automation.services import create_canned_reply
from layan.conversations.models import Conversation, Message
from layan.conversations.services import assign_conversation, change_status, tag
from layan.customers.services import update_customer

# Rules run after commit, as in production: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def _conversation(receive, world, **fields) -> Conversation:
    result = receive(world.email_inbox, fields.pop("sender", "siti@contoh.id"), **fields)
    return Conversation.objects.get(pk=result.message.conversation_id)


def test_conversation_created_rule_sets_priority_and_tags_and_records_the_run(world, receive, make_rule):
    rule = make_rule("conversation_created", [{"type": "set_priority", "value": "high"},
                                              {"type": "add_tags", "value": ["Baru", "email"]}])

    conversation = _conversation(receive, world)

    assert conversation.priority == "high"
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["baru", "email"]
    run = RuleRun.objects.get(rule=rule)
    assert (run.conversation_id, run.event, run.depth, run.actions_done, run.error) == (
        conversation.pk, "ConversationCreated", 0, ["set_priority:high", "add_tags:baru,email"], "")
    rule.refresh_from_db()
    assert rule.run_count == 1
    assert rule.last_run_at is not None


def test_message_received_rule_matches_text_case_insensitively_in_indonesian_and_english(world, receive, make_rule):
    rule = make_rule("message_received", [{"type": "add_tags", "value": ["pengiriman"]}],
                     {"any": [{"field": "text", "operator": "contains", "value": ["paket", "delivery"]}]})

    first = _conversation(receive, world, text="Halo, PAKET saya belum sampai")
    second = _conversation(receive, world, sender="john@example.com", text="Where is my Delivery?")
    third = _conversation(receive, world, sender="ani@contoh.id", text="Mau tanya harga")

    assert list(first.tags.values_list("name", flat=True)) == ["pengiriman"]
    assert list(second.tags.values_list("name", flat=True)) == ["pengiriman"]
    assert list(third.tags.values_list("name", flat=True)) == []
    assert RuleRun.objects.filter(rule=rule).count() == 2


def test_message_received_rule_looks_at_the_new_message_not_the_first_one(world, receive, make_rule):
    _conversation(receive, world, text="Halo")
    make_rule("message_received", [{"type": "set_priority", "value": "urgent"}],
              {"all": [{"field": "text", "operator": "contains", "value": "darurat"}]})

    conversation = _conversation(receive, world, text="Ini darurat, tolong!")

    assert conversation.message_count == 2
    assert conversation.priority == "urgent"


def test_status_changed_rule_sees_old_and_new_status(world, receive, make_rule):
    make_rule("status_changed", [{"type": "add_note", "value": "Dibuka lagi oleh {{customer.first_name}}"}],
              {"all": [{"field": "old_status", "operator": "is", "value": "solved"},
                       {"field": "status", "operator": "is", "value": "open"}]})
    conversation = _conversation(receive, world, sender="siti@contoh.id", sender_name="Siti Aminah")
    change_status(actor=world.actor, conversation=conversation, status="solved")
    assert Message.objects.filter(conversation=conversation, is_note=True).count() == 0

    change_status(actor=world.actor, conversation=conversation, status="open")

    notes = list(Message.objects.filter(conversation=conversation, is_note=True).values_list("text", "author_kind"))
    assert notes == [("Dibuka lagi oleh Siti", "system")]


@pytest.mark.parametrize(("event_type", "rule_event"), [(events.ServiceLevelWarned, "sla_warning"),
                                                       (events.ServiceLevelBreached, "sla_breach")])
def test_service_level_events_run_their_rules_with_the_metric(world, receive, make_rule, event_type, rule_event,
                                                             django_capture_on_commit_callbacks):
    conversation = _conversation(receive, world)
    make_rule(rule_event, [{"type": "set_priority", "value": "urgent"},
                           {"type": "notify", "agents": [world.supervisor.pk], "text": "SLA #{{conversation.number}}"}],
              {"all": [{"field": "sla_metric", "operator": "is", "value": "first_response"}]})

    with django_capture_on_commit_callbacks(execute=True):
        events.publish(event_type(workspace_id=world.workspace.pk, conversation_id=conversation.pk, policy_id=1,
                                  metric="resolution", due_at="2026-12-02T10:00:00+00:00"))
    conversation.refresh_from_db()
    assert conversation.priority == "normal"

    with django_capture_on_commit_callbacks(execute=True):
        events.publish(event_type(workspace_id=world.workspace.pk, conversation_id=conversation.pk, policy_id=1,
                                  metric="first_response", due_at="2026-12-02T10:00:00+00:00"))

    conversation.refresh_from_db()
    assert conversation.priority == "urgent"
    notification = Notification.objects.get(agent=world.supervisor, kind="automation")
    assert (notification.body, notification.conversation_id) == (f"SLA #{conversation.number}", conversation.pk)


def test_a_notify_rule_notifies_for_each_conversation_and_each_message(world, receive, make_rule):
    make_rule("message_received", [{"type": "notify", "agents": [world.supervisor.pk],
                                    "text": "Pesan baru di #{{conversation.number}}"}])

    first = _conversation(receive, world)
    _conversation(receive, world)  # the same conversation, a second message
    second = _conversation(receive, world, sender="ani@contoh.id")

    bodies = list(Notification.objects.filter(agent=world.supervisor, kind="automation").order_by("pk")
                  .values_list("body", flat=True))
    assert bodies == [f"Pesan baru di #{first.number}", f"Pesan baru di #{first.number}",
                      f"Pesan baru di #{second.number}"]


# --- conditions ----------------------------------------------------------------------------------

def _matches(world, receive, make_rule, conditions, **fields) -> bool:
    rule = make_rule("message_received", [{"type": "add_tags", "value": ["cocok"]}], conditions)
    conversation = _conversation(receive, world, **fields)
    return RuleRun.objects.filter(rule=rule, conversation=conversation).exists()


@pytest.mark.parametrize(("conditions", "expected"), [
    ({"all": [{"field": "status", "operator": "is", "value": "new"}]}, True),
    ({"all": [{"field": "status", "operator": "is_not", "value": ["new", "open"]}]}, False),
    ({"all": [{"field": "priority", "operator": "is", "value": "normal"}]}, True),
    ({"all": [{"field": "type", "operator": "is", "value": "complaint"}]}, False),
    ({"all": [{"field": "channel", "operator": "is", "value": "email"}]}, True),
    ({"all": [{"field": "channel", "operator": "is", "value": "whatsapp"}]}, False),
    ({"all": [{"field": "team", "operator": "is", "value": None}]}, True),
    ({"all": [{"field": "assignee", "operator": "is", "value": "none"}]}, True),
    ({"all": [{"field": "assignee", "operator": "is", "value": "any"}]}, False),
    ({"all": [{"field": "tags", "operator": "has_not", "value": "vip"}]}, True),
    ({"all": [{"field": "customer_tier", "operator": "is", "value": "standard"}]}, True),
    ({"all": [{"field": "subject", "operator": "contains", "value": "PESANAN"}]}, True),
    ({"all": [{"field": "subject", "operator": "not_contains", "value": "pesanan"}]}, False),
    # all holds, and one of any
    ({"all": [{"field": "channel", "operator": "is", "value": "email"}],
      "any": [{"field": "priority", "operator": "is", "value": "urgent"},
              {"field": "text", "operator": "contains", "value": "sampai"}]}, True),
    ({"all": [{"field": "channel", "operator": "is", "value": "email"}],
      "any": [{"field": "priority", "operator": "is", "value": "urgent"},
              {"field": "text", "operator": "contains", "value": "refund"}]}, False),
])
def test_conditions_on_a_new_email(world, receive, make_rule, conditions, expected):
    assert _matches(world, receive, make_rule, conditions, subject="Pesanan #123", text="Paket belum sampai") is expected


def test_conditions_on_inbox_team_assignee_tags_and_tier(world, receive, make_rule):
    conversation = _conversation(receive, world)
    assign_conversation(actor=world.actor, conversation=conversation, team=world.team, assignee=world.agent)
    tag(actor=world.actor, conversation=conversation, add=["vip"])
    update_customer(actor=world.actor, customer=conversation.customer, tier="gold")
    rule = make_rule("message_received", [{"type": "add_tags", "value": ["cocok"]}], {"all": [
        {"field": "inbox", "operator": "is", "value": world.email_inbox.pk},
        {"field": "team", "operator": "is", "value": world.team.pk},
        {"field": "assignee", "operator": "is", "value": world.agent.pk},
        {"field": "tags", "operator": "has", "value": ["vip", "lain"]},
        {"field": "customer_tier", "operator": "is", "value": ["gold", "vip"]},
    ]})
    other = make_rule("message_received", [{"type": "add_tags", "value": ["salah"]}], {"all": [
        {"field": "assignee", "operator": "is", "value": world.other_agent.pk}]})

    _conversation(receive, world)

    assert RuleRun.objects.filter(rule=rule, conversation=conversation).count() == 1
    assert RuleRun.objects.filter(rule=other).count() == 0
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["cocok", "vip"]


# --- actions ----------------------------------------------------------------------------------------

def test_actions_set_status_type_team_and_agent_and_remove_tags(world, receive, make_rule):
    make_rule("conversation_created", [
        {"type": "add_tags", "value": ["a", "b"]},
        {"type": "set_type", "value": "complaint"},
        {"type": "assign_team", "value": world.other_team.pk},
        {"type": "assign_agent", "value": world.other_agent.pk},
        {"type": "remove_tags", "value": ["a"]},
        {"type": "set_status", "value": "open"},
    ])

    conversation = _conversation(receive, world)

    assert (conversation.type, conversation.team_id, conversation.assignee_id, conversation.status) == (
        "complaint", world.other_team.pk, world.other_agent.pk, "open")
    assert list(conversation.tags.values_list("name", flat=True)) == ["b"]


def test_reply_canned_action_answers_in_the_customers_language_with_variables(world, receive, make_rule):
    supervisor = Actor.for_agent(world.supervisor)
    english = create_canned_reply(actor=supervisor, shortcut="thanks", title="Thanks", language="en",
                                  text="Hi {{customer.first_name|there}}, we got #{{conversation.number}}.")
    create_canned_reply(actor=supervisor, shortcut="terima-kasih", title="Terima kasih", language="id",
                        variant_of=english,
                        text="Halo {{customer.first_name|Kak}}, pesan #{{conversation.number}} sudah kami terima.")
    make_rule("conversation_created", [{"type": "reply_canned", "value": english.pk}])

    conversation = _conversation(receive, world, sender_name="Siti Aminah")  # customers default to id

    reply = Message.objects.get(conversation=conversation, direction="out")
    assert reply.text == f"Halo Siti, pesan #{conversation.number} sudah kami terima."
    assert (reply.author_kind, reply.delivery_status in ("queued", "sent", "failed")) == ("system", True)
    conversation.refresh_from_db()
    assert conversation.first_response_at is None  # an automatic answer is not a person's first response


def test_refused_action_rolls_back_the_rule_and_is_recorded(world, receive, make_rule):
    rule = make_rule("conversation_created", [{"type": "set_priority", "value": "high"},
                                              {"type": "set_status", "value": "closed"}])

    conversation = _conversation(receive, world)

    assert conversation.priority == "normal"
    run = RuleRun.objects.get(rule=rule)
    assert run.actions_done == []
    assert run.error == "Percakapan berstatus Baru tidak dapat diubah menjadi Ditutup."  # the workspace default, id


def test_rules_run_by_position_and_stop_processing_stops_later_rules(world, receive, make_rule):
    late = make_rule("conversation_created", [{"type": "set_priority", "value": "low"}], position=5)
    early = make_rule("conversation_created", [{"type": "set_priority", "value": "high"}], position=1,
                      stop_processing=True)
    middle = make_rule("conversation_created", [{"type": "set_priority", "value": "urgent"}], position=3)

    conversation = _conversation(receive, world)

    assert conversation.priority == "high"
    assert list(RuleRun.objects.values_list("rule_id", flat=True)) == [early.pk]
    AutomationRule.objects.filter(pk=early.pk).update(stop_processing=False)
    second = _conversation(receive, world, sender="ani@contoh.id")
    assert second.priority == "low"
    assert list(RuleRun.objects.filter(conversation=second).order_by("pk").values_list("rule_id", flat=True)) == [
        early.pk, middle.pk, late.pk]


def test_a_later_rule_sees_what_an_earlier_rule_changed(world, receive, make_rule):
    make_rule("conversation_created", [{"type": "add_tags", "value": ["vip"]}], position=1)
    second = make_rule("conversation_created", [{"type": "set_priority", "value": "urgent"}],
                       {"all": [{"field": "tags", "operator": "has", "value": "vip"}]}, position=2)

    conversation = _conversation(receive, world)

    assert conversation.priority == "urgent"
    assert RuleRun.objects.filter(rule=second).count() == 1


def test_disabled_rules_and_other_workspaces_rules_do_not_run(world, other_world, receive, make_rule):
    from layan.automation.services import create_rule

    make_rule("conversation_created", [{"type": "set_priority", "value": "high"}], is_active=False)
    create_rule(actor=Actor.for_agent(other_world.supervisor), name="lain", event="conversation_created",
                actions=[{"type": "set_priority", "value": "urgent"}])

    conversation = _conversation(receive, world)

    assert conversation.priority == "normal"
    assert RuleRun.objects.count() == 0


def test_evaluating_many_rules_costs_no_more_queries_than_one(world, receive, make_rule,
                                                             django_assert_num_queries):
    from layan.automation.engine import run_rules_for_event

    conversation = _conversation(receive, world)
    event = events.MessageReceived(workspace_id=world.workspace.pk, conversation_id=conversation.pk,
                                   message_id=conversation.messages.get().pk)
    never = {"all": [{"field": "text", "operator": "contains", "value": "tidak-pernah"},
                     {"field": "tags", "operator": "has", "value": "x"}]}
    make_rule("message_received", [{"type": "set_priority", "value": "high"}], never)
    # rules, conversation (with customer, inbox, team, assignee, workspace), its tags, the message text
    with django_assert_num_queries(4):
        assert run_rules_for_event(event) == []
    for n in range(30):
        make_rule("message_received", [{"type": "set_priority", "value": "high"}], never, name=f"r{n}")
    with django_assert_num_queries(4):
        assert run_rules_for_event(event) == []
