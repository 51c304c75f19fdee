"""The demo's service levels, on call, routing and automation: set up through their services, with
the seeded conversations' clocks, and the same for the same seed."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from layan.accounts.models import AuditEntry, Notification, Team
from layan.automation.engine import Facts, apply_time_based_rules, conditions_hold
from layan.automation.models import AutomationRule, CannedReply, Macro
from layan.automation.variables import render_variables
from layan.conversations.models import Conversation, Status
from layan.demo.seed import (
    CALENDAR_CARE,
    CALENDAR_OFFICE,
    DEMO_SLUG,
    TEAM_CARE,
    TEAM_SERVICE,
    seed_demo,
)
from layan.routing.models import AgentRouting, AgentSkill, Queue, Skill
from layan.servicelevels.models import (
    BusinessCalendar,
    ClockState,
    ConversationServiceLevel,
    EscalationRun,
    ServiceLevelBreach,
    ServiceLevelClock,
    ServiceLevelPolicy,
    TeamCalendar,
)
from layan.servicelevels.oncall_models import OnCallRotation
from layan.servicelevels.oncall_schedule import on_call_at
from layan.servicelevels.oncall_selectors import rotation_schedule
from layan.servicelevels.services import sweep_service_levels

JAKARTA = ZoneInfo("Asia/Jakarta")
# A Wednesday afternoon in Jakarta: the office is open, so some first responses are near their due time.
NOW = datetime(2026, 12, 2, 14, 0, tzinfo=JAKARTA)
CUSTOMERS, CONVERSATIONS = 40, 300
User = get_user_model()


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db, fast_hashing):
    return seed_demo(customers=CUSTOMERS, conversations=CONVERSATIONS, now=NOW)


def _hours(calendar: BusinessCalendar) -> list[tuple[int, str, str]]:
    return [(h.weekday, f"{h.opens_at:%H:%M}", f"{h.closes_at:%H:%M}") for h in calendar.hours.order_by("weekday",
                                                                                                       "opens_at")]


def test_the_office_calendar_is_the_default_mon_fri_8_17_and_saturday_morning_wib_with_cuti_bersama(demo):
    office = BusinessCalendar.objects.get(workspace=demo.workspace, name=CALENDAR_OFFICE)

    assert (office.is_default, office.timezone, office.holiday_country) == (True, "Asia/Jakarta", "ID")
    assert _hours(office) == [(d, "08:00", "17:00") for d in range(5)] + [(5, "08:00", "12:00")]
    assert list(office.closures.values_list("date", "kind", "name")) == [
        (date(2026, 12, 24), "closed", "Cuti bersama Natal")]
    assert TeamCalendar.objects.get(team__name=TEAM_SERVICE).calendar == office


def test_care_works_a_split_shift_on_its_own_calendar(demo):
    care = BusinessCalendar.objects.get(workspace=demo.workspace, name=CALENDAR_CARE)

    assert care.is_default is False
    assert _hours(care) == sorted([(d, "08:00", "12:00") for d in range(6)] + [(d, "13:00", "20:00") for d in range(5)])
    assert TeamCalendar.objects.get(team__name=TEAM_CARE).calendar == care


def test_three_policies_emergency_first_then_vip_then_standard(demo):
    policies = list(ServiceLevelPolicy.objects.filter(workspace=demo.workspace).order_by("position"))

    assert [(p.name, p.hours, p.priorities, p.customer_tiers) for p in policies] == [
        ("Darurat 24/7", "always", ["urgent"], []),
        ("VIP", "business", [], ["gold", "vip"]),  # kept in the choices' order
        ("Standar", "business", [], []),
    ]
    assert [(p.first_response_minutes, p.next_response_minutes, p.resolution_minutes) for p in policies] == [
        (15, None, 240), (30, 60, 540), (60, 120, 1080)]
    assert all(p.warning_minutes > 0 for p in policies)
    assert [list(p.escalations.order_by("id").values_list("trigger", "action", "metric")) for p in policies] == [
        [("warning", "notify_assignee", ""), ("breach", "notify_supervisors", "first_response")],
        [("warning", "notify_assignee", ""), ("breach", "raise_priority", "first_response")],
        [("warning", "notify_assignee", "first_response")],
    ]
    assert AuditEntry.objects.filter(workspace=demo.workspace, action="servicelevels.policy_created").count() == 3


def test_every_active_conversation_has_clocks_and_solved_ones_have_none(demo):
    conversations = Conversation.objects.filter(workspace=demo.workspace)
    active = set(conversations.exclude(status__in=(Status.SOLVED, Status.CLOSED)).values_list("pk", flat=True))
    with_clocks = set(ServiceLevelClock.objects.filter(workspace=demo.workspace).values_list("conversation_id",
                                                                                              flat=True))
    summarised = set(ConversationServiceLevel.objects.filter(workspace=demo.workspace).values_list("conversation_id",
                                                                                                   flat=True))

    assert active
    assert with_clocks == active
    assert summarised == active


def test_the_inbox_has_breached_paused_and_running_badges(demo):
    summaries = ConversationServiceLevel.objects.filter(workspace=demo.workspace)
    now = NOW.astimezone(ZoneInfo("UTC"))

    breached = summaries.filter(breached=True).count()
    paused = summaries.filter(paused=True).count()
    running = summaries.filter(breached=False, next_due_at__gt=now).count()

    assert breached > 0
    assert paused == Conversation.objects.filter(workspace=demo.workspace, status=Status.PENDING).count()
    assert running > 0
    # Each urgent active conversation runs on the 24/7 policy.
    urgent = Conversation.objects.filter(workspace=demo.workspace, priority="urgent").exclude(
        status__in=(Status.SOLVED, Status.CLOSED))
    assert set(summaries.filter(conversation__in=urgent).values_list("policy__name", flat=True)) <= {"Darurat 24/7"}


def test_the_supervisors_inbox_sorted_by_time_to_breach_shows_the_badges(demo):
    client = Client()
    client.force_login(User.objects.get(email="supervisor@demo.layan.id"))

    with time_machine.travel(NOW, tick=False):
        breached_first = client.get("/", {"view": "all", "sort": "sla"}).content.decode()
        pending = client.get("/", {"view": "all", "status": "pending"}).content.decode()

    badges = re.findall(r'class="sla (sla-[a-z]+)"', breached_first)
    assert badges[0] == "sla-breached"  # the most overdue first
    assert badges == sorted(badges, key=lambda b: b != "sla-breached")  # no breached one after a running one
    assert 'class="sla sla-paused"' in pending


def test_what_fell_due_before_the_seed_is_history_recorded_without_escalating(demo):
    past_due = ServiceLevelClock.objects.filter(workspace=demo.workspace, state=ClockState.RUNNING,
                                                due_at__lte=NOW)

    assert past_due.count() > 0
    assert past_due.filter(breached_at__isnull=True).count() == 0
    # Open breaches: the clocks still running past due; the others were met late (answered after the due time).
    breaches = ServiceLevelBreach.objects.filter(workspace=demo.workspace)
    assert breaches.filter(achieved_at__isnull=True).count() == past_due.count()
    assert breaches.filter(achieved_at__isnull=False).count() > 0
    assert EscalationRun.objects.count() == 0
    assert Notification.objects.filter(workspace=demo.workspace).count() == 0
    # The sweeper, started later by `layan run`, finds nothing left to record from the history.
    assert sweep_service_levels(now=NOW) == (0, 0)


def test_the_on_call_rotation_has_two_agents_with_phones_taking_weekly_turns(demo):
    rotation = OnCallRotation.objects.get(workspace=demo.workspace)
    members = list(rotation.members.order_by("position").values_list("agent__user__email", "phone"))

    assert (rotation.name, rotation.shift_hours, rotation.team_id) == ("Darurat 24/7", 168, None)
    assert members == [("agent1@demo.layan.id", "+6281210000001"), ("agent3@demo.layan.id", "+6281210000003")]
    assert rotation.starts_on == date(2026, 11, 30)  # the Monday of the seed's week
    schedule = rotation_schedule(rotation)
    this_week = on_call_at(schedule, NOW)
    next_week = on_call_at(schedule, NOW + timedelta(days=7))
    assert {this_week, next_week} == set(rotation.members.values_list("agent_id", flat=True))


def test_routing_has_a_queue_per_team_with_auto_assignment_off_skills_and_capacities(demo):
    queues = {q.team.name: q for q in Queue.objects.filter(workspace=demo.workspace).select_related("team")}

    assert {name: (q.strategy, q.auto_assign) for name, q in queues.items()} == {
        TEAM_SERVICE: ("round_robin", False), TEAM_CARE: ("least_loaded", False)}
    assert sorted(Skill.objects.filter(workspace=demo.workspace).values_list("kind", "name")) == [
        ("language", "en"), ("language", "id"), ("topic", "elektronik"), ("topic", "pembayaran")]
    assert sorted(AgentRouting.objects.filter(workspace=demo.workspace).values_list(
        "agent__user__email", "chat_capacity", "email_capacity")) == [
        ("agent1@demo.layan.id", 3, 10), ("agent2@demo.layan.id", 4, 8), ("agent3@demo.layan.id", 2, 12),
        ("supervisor@demo.layan.id", 1, 5)]
    assert AgentSkill.objects.filter(agent__workspace=demo.workspace).count() == 11


def test_rules_macro_and_canned_replies_with_the_customers_first_name(demo):
    rules = list(AutomationRule.objects.filter(workspace=demo.workspace).order_by("position"))
    macro = Macro.objects.get(workspace=demo.workspace)
    care = Team.objects.get(workspace=demo.workspace, name=TEAM_CARE)

    assert [(r.event, r.is_active) for r in rules] == [
        ("conversation_created", True), ("conversation_created", True), ("time_based", True)]
    assert rules[0].actions == [{"type": "set_priority", "value": "high"}, {"type": "add_tags", "value": ["keluhan"]}]
    assert rules[1].conditions["all"] == [{"field": "business_hours", "operator": "is", "value": ["outside"]}]
    assert (rules[2].delay_minutes, rules[2].time_anchor) == (3 * 24 * 60, "status_changed")
    assert rules[2].conditions["all"] == [{"field": "status", "operator": "is", "value": ["pending"]},
                                          {"field": "channel", "operator": "is", "value": ["email", "webform"]}]
    assert macro.name == "Eskalasi ke tim Care"
    assert [a["type"] for a in macro.actions] == ["assign_team", "set_priority", "add_tags", "add_note"]
    assert macro.actions[0]["value"] == care.pk

    reminder = CannedReply.objects.get(workspace=demo.workspace, shortcut="pengingat")
    conversation = Conversation.objects.filter(workspace=demo.workspace).select_related("customer").first()
    first_name = conversation.customer.name.split()[0]
    text = render_variables(reminder.text, conversation=conversation, agent=None)
    assert text.startswith(f"Halo Kak {first_name}, ")
    assert f"#{conversation.number}." in text


def test_the_first_time_based_sweep_after_seeding_reminds_only_where_a_reminder_can_be_sent(demo):
    later = NOW + timedelta(minutes=1)

    with time_machine.travel(later, tick=False):
        runs = apply_time_based_rules()

    assert runs  # the seeded email conversations pending for more than three days
    assert [r.error for r in runs if r.error] == []
    reminded = Conversation.objects.filter(pk__in=[r.conversation_id for r in runs])
    assert set(reminded.values_list("channel", flat=True)) <= {"email", "webform"}
    assert set(reminded.values_list("status", flat=True)) == {"pending"}


def test_the_out_of_hours_rule_follows_the_conversations_team_calendar(demo):
    service = Conversation.objects.filter(workspace=demo.workspace, team__name=TEAM_SERVICE).first()
    care = Conversation.objects.filter(workspace=demo.workspace, team__name=TEAM_CARE).first()
    rule = AutomationRule.objects.get(workspace=demo.workspace, name__startswith="Pesan di luar jam")
    tuesday_evening = datetime(2026, 12, 8, 18, 30, tzinfo=JAKARTA)  # office closed, Care until 20:00
    christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=JAKARTA)  # cuti bersama for both

    def outside(conversation, at):
        return conditions_hold(Facts(conversation=conversation, at=at), rule.conditions)

    assert (outside(service, tuesday_evening), outside(care, tuesday_evening)) == (True, False)
    assert (outside(service, christmas_eve), outside(care, christmas_eve)) == (True, True)
    assert outside(service, datetime.combine(date(2026, 12, 8), time(9), tzinfo=JAKARTA)) is False


def test_the_same_seed_gives_the_same_clocks(db, fast_hashing):
    def snapshot():
        return list(ServiceLevelClock.objects.order_by("conversation__number", "metric").values_list(
            "conversation__number", "metric", "state", "policy__name", "due_at", "breached_at"))

    seed_demo(customers=10, conversations=80, seed=7, now=NOW)
    first = snapshot()
    seed_demo(customers=10, conversations=80, seed=7, now=NOW, reset=True)

    assert first
    assert snapshot() == first


def test_the_demo_command_says_where_to_see_service_levels(db, fast_hashing, settings):
    out = StringIO()
    call_command("demo", customers=5, conversations=20, stdout=out)
    printed = out.getvalue()

    base = settings.LAYAN_BASE_URL
    for path in ("/contact-center/", "/oncall/", "/settings/routing/", "/settings/automation/",
                 "/settings/service-levels/"):
        assert f"{base}{path}" in printed
    assert "Darurat 24/7" in printed
    assert BusinessCalendar.objects.filter(workspace__slug=DEMO_SLUG).count() == 2
    assert timezone.now()  # the command seeds at the real time: nothing above depends on NOW
