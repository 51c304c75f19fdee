"""The "business hours" condition: within or outside the hours of the conversation team's
business calendar, else the workspace default; no calendar at all is always within. Judged at the
message's arrival for message events and at the sweep's time for time-based rules; frozen clocks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from layan.accounts.actors import Actor
from layan.automation.engine import Facts, apply_time_based_rules, conditions_hold
from layan.automation.models import AutomationRule
from layan.conversations.models import Conversation
from layan.conversations.services import change_status, create_conversation
from layan.customers.services import IdentityInput
from layan.errors import InvalidInput
from layan.servicelevels.settings_services import save_calendar

pytestmark = pytest.mark.django_db(transaction=True)

JAKARTA = ZoneInfo("Asia/Jakarta")
FRIDAY_MORNING = datetime(2026, 12, 4, 10, 0, tzinfo=JAKARTA)
FRIDAY_EVENING = datetime(2026, 12, 4, 17, 0, tzinfo=JAKARTA)  # closing time is already closed
SATURDAY_AFTERNOON = datetime(2026, 12, 5, 13, 0, tzinfo=JAKARTA)
CHRISTMAS_MORNING = datetime(2026, 12, 25, 10, 0, tzinfo=JAKARTA)  # a Friday, a public holiday
CUTI_BERSAMA_MORNING = datetime(2026, 12, 24, 10, 0, tzinfo=JAKARTA)  # a Thursday, closed by the company
MONDAY_NIGHT = datetime(2026, 12, 7, 23, 0, tzinfo=JAKARTA)
TUESDAY_MORNING = datetime(2026, 12, 8, 8, 0, tzinfo=JAKARTA)

OUTSIDE = {"all": [{"field": "business_hours", "operator": "is", "value": ["outside"]}]}
WITHIN = {"all": [{"field": "business_hours", "operator": "is", "value": ["within"]}]}


@pytest.fixture
def office(world):
    """Kantor Jakarta, the workspace default: Mon–Fri 08:00–17:00 WIB, Indonesian holidays, and
    Christmas Eve closed as cuti bersama."""
    return save_calendar(actor=Actor.for_agent(world.admin), name="Kantor Jakarta", timezone="Asia/Jakarta",
                         is_default=True, holiday_country="ID", week=("08:00-17:00",) * 5 + ("", ""),
                         closed_dates="2026-12-24 Cuti bersama Natal")


def _tags(conversation: Conversation) -> list[str]:
    return sorted(conversation.tags.values_list("name", flat=True))


def _received_at(moment, receive, world, sender="siti@contoh.id") -> Conversation:
    with time_machine.travel(moment, tick=False):
        result = receive(world.email_inbox, sender, text="Halo, paket saya belum sampai")
    return Conversation.objects.get(pk=result.message.conversation_id)


def _in_team(moment, world, team) -> Conversation:
    with time_machine.travel(moment, tick=False):
        return create_conversation(actor=world.actor, customer_name="Siti Aminah", subject="Paket", team=team,
                                   customer_identities=[IdentityInput(kind="email", value="siti@contoh.id")],
                                   text="Paket saya belum sampai").conversation


@pytest.mark.parametrize(("moment", "expected"), [
    (FRIDAY_MORNING, []),
    (FRIDAY_EVENING, ["luar-jam"]),
    (SATURDAY_AFTERNOON, ["luar-jam"]),
    (CHRISTMAS_MORNING, ["luar-jam"]),
    (CUTI_BERSAMA_MORNING, ["luar-jam"]),
], ids=["friday-10:00", "friday-17:00", "saturday", "christmas", "cuti-bersama"])
def test_message_outside_the_default_calendars_hours_matches_outside(world, receive, make_rule, office,
                                                                     moment, expected):
    make_rule("message_received", [{"type": "add_tags", "value": ["luar-jam"]}], OUTSIDE)

    conversation = _received_at(moment, receive, world)

    assert _tags(conversation) == expected


def test_within_is_the_opposite_of_outside(world, receive, make_rule, office):
    make_rule("message_received", [{"type": "add_tags", "value": ["jam-kerja"]}], WITHIN)
    make_rule("message_received", [{"type": "add_tags", "value": ["bukan-luar"]}],
              {"all": [{"field": "business_hours", "operator": "is_not", "value": ["outside"]}]})

    during = _received_at(FRIDAY_MORNING, receive, world)
    after = _received_at(SATURDAY_AFTERNOON, receive, world, sender="budi@contoh.id")

    assert _tags(during) == ["bukan-luar", "jam-kerja"]
    assert _tags(after) == []


def test_the_teams_own_calendar_wins_over_the_workspace_default(world, make_rule, office):
    save_calendar(actor=Actor.for_agent(world.admin), name="Care Sabtu", timezone="Asia/Jakarta",
                  holiday_country="ID", week=("08:00-20:00",) * 6 + ("",), team_ids=[world.other_team.pk])
    make_rule("conversation_created", [{"type": "add_tags", "value": ["luar-jam"]}], OUTSIDE)

    care = _in_team(SATURDAY_AFTERNOON, world, world.other_team)
    service = _in_team(SATURDAY_AFTERNOON, world, world.team)

    assert _tags(care) == []  # Care works Saturdays until 20:00
    assert _tags(service) == ["luar-jam"]  # no calendar of its own: the default's Saturday is closed


def test_without_any_calendar_it_is_always_within_business_hours(world, receive, make_rule):
    make_rule("message_received", [{"type": "add_tags", "value": ["luar-jam"]}], OUTSIDE)
    make_rule("message_received", [{"type": "add_tags", "value": ["jam-kerja"]}], WITHIN)

    conversation = _received_at(datetime(2026, 12, 6, 3, 0, tzinfo=JAKARTA), receive, world)  # Sunday 03:00

    assert _tags(conversation) == ["jam-kerja"]


def test_the_condition_is_judged_when_the_message_arrived_not_when_the_rule_ran(world, receive, office):
    conversation = _received_at(SATURDAY_AFTERNOON, receive, world)
    message_id = conversation.messages.get().pk

    with time_machine.travel(TUESDAY_MORNING, tick=False):
        # The worker picks the event up on Tuesday morning: the message still came in on Saturday.
        assert conditions_hold(Facts(conversation=conversation, message_id=message_id), OUTSIDE) is True
        assert conditions_hold(Facts(conversation=conversation), OUTSIDE) is False


def test_time_based_rule_within_business_hours_waits_for_the_office_to_open(world, receive, make_rule, office):
    remind = make_rule("time_based", [{"type": "add_note", "value": "Telepon pelanggan"}],
                       {"all": [{"field": "status", "operator": "is", "value": ["pending"]},
                                *WITHIN["all"]]},
                       delay_minutes=60, time_anchor="status_changed")
    monday_afternoon = datetime(2026, 12, 7, 16, 30, tzinfo=JAKARTA)
    conversation = _received_at(monday_afternoon, receive, world)
    with time_machine.travel(monday_afternoon, tick=False):
        change_status(actor=world.actor, conversation=conversation, status="pending")

    with time_machine.travel(MONDAY_NIGHT, tick=False):
        assert apply_time_based_rules() == []  # due, but the office is closed
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        runs = apply_time_based_rules()

    assert [(r.rule_id, r.conversation_id) for r in runs] == [(remind.pk, conversation.pk)]
    assert list(conversation.messages.filter(is_note=True).values_list("text", flat=True)) == ["Telepon pelanggan"]


def test_time_based_sweep_reads_each_calendar_once_however_many_conversations(world, receive, make_rule, office):
    make_rule("time_based", [{"type": "add_tags", "value": ["luar-jam"]}], {"all": [{"field": "status", "operator": "is", "value": ["new"]},
                                         *OUTSIDE["all"]]}, delay_minutes=60, time_anchor="created")
    senders = [f"pelanggan{i}@contoh.id" for i in range(6)]
    for sender in senders:
        _received_at(FRIDAY_MORNING, receive, world, sender=sender)
    with time_machine.travel(FRIDAY_EVENING, tick=False), CaptureQueriesContext(connection) as captured:
        runs = apply_time_based_rules()
    calendar_reads = [q for q in captured.captured_queries if "servicelevels_businesscalendar" in q["sql"]
                      and "FROM" in q["sql"]]
    assert len(runs) == len(senders)
    assert len(calendar_reads) == 1  # the default calendar, read once for the six conversations


def test_an_unknown_business_hours_value_is_refused(world, make_rule):
    with pytest.raises(InvalidInput) as refused:
        make_rule("message_received", [{"type": "add_tags", "value": ["x"]}],
                  {"all": [{"field": "business_hours", "operator": "is", "value": ["sometimes"]}]})
    assert refused.value.field == "conditions.all.0.value"
    assert AutomationRule.objects.count() == 0


def test_supervisor_picks_business_hours_on_the_rule_form(world, office):
    client = Client()
    client.force_login(world.supervisor.user)

    page = client.get("/settings/automation/rules/new")
    response = client.post("/settings/automation/rules/new", {
        "name": "Di luar jam kerja", "event": "message_received", "position": "", "is_active": "on",
        "delay_minutes": "", "time_anchor": "",
        "all-0-field": "business_hours", "all-0-operator": "is", "all-0-value": "outside",
        "action-0-type": "add_tags", "action-0-value": "luar-jam"})

    assert page.status_code == 200
    assert '<option value="business_hours">' in page.content.decode()
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = AutomationRule.objects.get()
    assert rule.conditions == {"all": [{"field": "business_hours", "operator": "is", "value": ["outside"]}],
                               "any": []}
    edit = client.get(f"/settings/automation/rules/{rule.pk}/").content.decode()
    assert '<option value="business_hours" selected>' in edit
    assert 'name="all-0-value" value="outside"' in edit
