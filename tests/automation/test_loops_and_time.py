"""Loop safety (a rule never answers its own change; a chain stops at MAX_DEPTH) and time-based
rules with frozen clocks, applied once per conversation per qualifying period."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from layan.automation.engine import MAX_DEPTH, apply_time_based_rules
from layan.automation.models import RuleRun, TimedRuleApplication
from layan.conversations.models import Conversation, Message
from layan.conversations.services import change_status, reply_to_conversation

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 09:00 WIB


def _conversation(receive, world, sender="siti@contoh.id") -> Conversation:
    return Conversation.objects.get(pk=receive(world.email_inbox, sender).message.conversation_id)


def test_a_rule_does_not_trigger_itself_on_its_own_change(world, receive, make_rule):
    # Each status change would match again: without the guard it would run forever.
    rule = make_rule("status_changed", [{"type": "add_tags", "value": ["dicek"]},
                                        {"type": "set_status", "value": "pending"}],
                     {"all": [{"field": "status", "operator": "is_not", "value": "solved"}]})
    conversation = _conversation(receive, world)

    change_status(actor=world.actor, conversation=conversation, status="open")

    conversation.refresh_from_db()
    assert conversation.status == "pending"
    assert RuleRun.objects.filter(rule=rule).count() == 1


def test_a_ping_pong_pair_of_rules_stops_at_the_fixed_depth_with_a_log_line(world, receive, make_rule, caplog):
    to_pending = make_rule("status_changed", [{"type": "set_status", "value": "pending"}],
                           {"all": [{"field": "status", "operator": "is", "value": "open"}]}, name="ke pending")
    to_open = make_rule("status_changed", [{"type": "set_status", "value": "open"}],
                        {"all": [{"field": "status", "operator": "is", "value": "pending"}]}, name="ke open")
    conversation = _conversation(receive, world)

    with caplog.at_level(logging.WARNING, logger="layan.automation.engine"):
        change_status(actor=world.actor, conversation=conversation, status="open")

    # The agent's change starts two chains (both rules see the conversation in the pass, the
    # second after the first changed it); each ends after three rules.
    a, b = to_pending.pk, to_open.pk
    runs = sorted(RuleRun.objects.values_list("depth", "rule_id"))
    assert runs == [(0, a), (0, b), (1, a), (1, b), (2, a), (2, b)]
    assert MAX_DEPTH == 3
    stopped = sorted(r.getMessage() for r in caplog.records if "chain stopped" in r.getMessage())
    assert stopped == sorted([f"automation chain stopped at depth 3 for conversation {conversation.pk} "
                              f"(rules {a}→{b}→{a})",
                              f"automation chain stopped at depth 3 for conversation {conversation.pk} "
                              f"(rules {b}→{a}→{b})"])
    conversation.refresh_from_db()
    assert conversation.status == "open"  # the last word was the second chain's "ke open"


def test_pending_three_days_reminds_once_and_seven_days_solves(world, receive, make_rule):
    from layan.accounts.actors import Actor
    from layan.automation.services import create_canned_reply

    reminder = create_canned_reply(actor=Actor.for_agent(world.supervisor), shortcut="pengingat", title="Pengingat",
                                   text="Halo {{customer.first_name|Kak}}, apakah masih ada yang bisa kami bantu?")
    remind = make_rule("time_based", [{"type": "reply_canned", "value": reminder.pk}],
                       {"all": [{"field": "status", "operator": "is", "value": "pending"}]},
                       delay_minutes=3 * 24 * 60, time_anchor="status_changed", name="ingatkan")
    solve = make_rule("time_based", [{"type": "set_status", "value": "solved"}],
                      {"all": [{"field": "status", "operator": "is", "value": "pending"}]},
                      delay_minutes=7 * 24 * 60, time_anchor="status_changed", name="selesaikan")
    with time_machine.travel(MONDAY, tick=False):
        conversation = _conversation(receive, world)
        reply_to_conversation(actor=world.actor, conversation=conversation, text="Mohon kirim nomor resi.",
                              status="pending")

    with time_machine.travel(MONDAY + timedelta(days=2, hours=23), tick=False):
        assert apply_time_based_rules() == []
    with time_machine.travel(MONDAY + timedelta(days=3, minutes=1), tick=False):
        assert [r.rule_id for r in apply_time_based_rules()] == [remind.pk]
    with time_machine.travel(MONDAY + timedelta(days=4), tick=False):
        assert apply_time_based_rules() == []  # once per period, however often the sweeper runs
    reminders = Message.objects.filter(conversation=conversation, author_kind="system", direction="out")
    assert list(reminders.values_list("text", flat=True)) == ["Halo Kak, apakah masih ada yang bisa kami bantu?"]
    conversation.refresh_from_db()
    assert conversation.status == "pending"  # the reminder keeps it pending

    with time_machine.travel(MONDAY + timedelta(days=7, minutes=1), tick=False):
        assert [r.rule_id for r in apply_time_based_rules()] == [solve.pk]
        assert apply_time_based_rules() == []
    conversation.refresh_from_db()
    assert conversation.status == "solved"
    assert TimedRuleApplication.objects.filter(conversation=conversation).count() == 2


def test_a_conversation_pending_again_later_is_a_new_period(world, receive, make_rule):
    remind = make_rule("time_based", [{"type": "add_note", "value": "Masih menunggu pelanggan"}],
                       {"all": [{"field": "status", "operator": "is", "value": "pending"}]},
                       delay_minutes=60, time_anchor="status_changed")
    with time_machine.travel(MONDAY, tick=False):
        conversation = _conversation(receive, world)
        change_status(actor=world.actor, conversation=conversation, status="pending")
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        assert len(apply_time_based_rules()) == 1
        change_status(actor=world.actor, conversation=conversation, status="open")
        change_status(actor=world.actor, conversation=conversation, status="pending")
    with time_machine.travel(MONDAY + timedelta(hours=2, minutes=59), tick=False):
        assert apply_time_based_rules() == []
    with time_machine.travel(MONDAY + timedelta(hours=3, minutes=1), tick=False):
        assert len(apply_time_based_rules()) == 1
    assert RuleRun.objects.filter(rule=remind).count() == 2


def test_time_based_rule_ignores_conversations_whose_conditions_do_not_hold(world, receive, make_rule):
    make_rule("time_based", [{"type": "set_priority", "value": "high"}],
              {"all": [{"field": "status", "operator": "is", "value": "new"},
                       {"field": "tags", "operator": "has", "value": "vip"}]},
              delay_minutes=30, time_anchor="created")
    with time_machine.travel(MONDAY, tick=False):
        conversation = _conversation(receive, world)
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        assert apply_time_based_rules() == []
    conversation.refresh_from_db()
    assert conversation.priority == "normal"
