"""SLA clocks through the real paths (receive, reply, change status, edit), with frozen clocks:
when each target is due, what pauses it, what stops and restarts it, and breaches recorded once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from layan import events
from layan.conversations import services as conversations
from layan.conversations.models import Status
from layan.servicelevels.models import (
    CalendarClosure,
    ClockState,
    ClosureKind,
    ConversationServiceLevel,
    HoursKind,
    ServiceLevelBreach,
    ServiceLevelClock,
    TeamCalendar,
)
from layan.servicelevels.services import sweep_service_levels

JAKARTA = ZoneInfo("Asia/Jakarta")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


def _clock(conversation, metric="first_response") -> ServiceLevelClock:
    return ServiceLevelClock.objects.get(conversation=conversation, metric=metric)


def _receive_at(settle, receive, inbox, at, sender="siti@contoh.id", **fields):
    with time_machine.travel(at, tick=False):
        return settle(receive, inbox, sender, **fields).conversation


def test_friday_1650_with_30_business_minutes_is_due_monday_0820_and_breaches_then(
        world, policy, settle, receive, published):
    policy(first_response_minutes=30)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 7, 16, 50))

    assert _clock(conversation).due_at == wib(2026, 8, 10, 8, 20)
    with time_machine.travel(wib(2026, 8, 10, 8, 19, 59), tick=False):
        assert settle(sweep_service_levels) == (0, 0)
    with time_machine.travel(wib(2026, 8, 10, 8, 20), tick=False):
        assert settle(sweep_service_levels) == (0, 1)

    breach = ServiceLevelBreach.objects.get(conversation=conversation)
    assert (breach.metric, breach.due_at, breach.breached_at, breach.achieved_at) == (
        "first_response", wib(2026, 8, 10, 8, 20), wib(2026, 8, 10, 8, 20), None)
    breached = [e for e in published if isinstance(e, events.ServiceLevelBreached)]
    assert breached == [events.ServiceLevelBreached(
        workspace_id=world.workspace.pk, conversation_id=conversation.pk, policy_id=breach.policy_id,
        metric="first_response", due_at=wib(2026, 8, 10, 8, 20).astimezone(breach.due_at.tzinfo).isoformat())]


def test_a_monday_public_holiday_moves_the_due_time_to_tuesday_0820(world, policy, settle, receive):
    # Monday 17 August 2026 is Independence Day in the holidays package's Indonesian calendar.
    policy(first_response_minutes=30)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 14, 16, 50))

    assert _clock(conversation).due_at == wib(2026, 8, 18, 8, 20)


def test_a_cuti_bersama_closure_moves_the_due_time_like_a_holiday(world, policy, office_calendar, settle, receive):
    CalendarClosure.objects.create(calendar=office_calendar, date=date(2026, 8, 10), kind=ClosureKind.CLOSED,
                                   name="Cuti bersama")
    policy(first_response_minutes=30)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 7, 16, 50))

    assert _clock(conversation).due_at == wib(2026, 8, 11, 8, 20)


def test_a_24_7_policy_ignores_the_calendar(world, policy, settle, receive):
    policy(first_response_minutes=30, hours=HoursKind.ALWAYS)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 14, 16, 50))

    clock = _clock(conversation)
    assert (clock.due_at, clock.business_hours) == (wib(2026, 8, 14, 17, 20), False)


def test_the_team_calendar_is_used_before_the_workspace_default(world, policy, office_calendar, settle, receive):
    from layan.servicelevels.models import BusinessCalendar, BusinessHours

    bali = BusinessCalendar.objects.create(workspace=world.workspace, name="Bali", timezone="Asia/Makassar",
                                           holiday_country="ID")
    BusinessHours.objects.bulk_create([BusinessHours(calendar=bali, weekday=d, opens_at="09:00", closes_at="18:00")
                                       for d in range(6)])
    TeamCalendar.objects.create(team=world.team, calendar=bali)
    world.email_inbox.default_team = world.team
    world.email_inbox.save(update_fields=["default_team"])
    policy(first_response_minutes=30)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 7, 16, 50))

    # 16:50 WIB is 17:50 WITA: 10 minutes left on Friday, then Saturday 09:00 WITA (08:00 WIB) + 20.
    assert _clock(conversation).due_at == wib(2026, 8, 8, 8, 20)


def test_pending_time_does_not_count_toward_resolution(world, policy, settle, receive):
    policy(resolution_minutes=8 * 60)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 8, 0))
    assert _clock(conversation, "resolution").due_at == wib(2026, 8, 10, 16, 0)

    with time_machine.travel(wib(2026, 8, 10, 9, 0), tick=False):
        settle(conversations.reply_to_conversation, actor=world.actor, conversation=conversation,
               text="Boleh kirim nomor pesanannya?", status=Status.PENDING)
    clock = _clock(conversation, "resolution")
    assert (clock.state, clock.due_at, clock.elapsed) == (ClockState.PAUSED, None, timedelta(hours=1))
    assert ConversationServiceLevel.objects.get(conversation=conversation).paused is True

    _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 11, 0), text="Nomornya 12345")

    clock = _clock(conversation, "resolution")
    # 16:00 + the 2 hours pending = 18:00, after closing: 1 hour on Monday, 1 on Tuesday.
    assert (clock.state, clock.due_at) == (ClockState.RUNNING, wib(2026, 8, 11, 9, 0))


def test_on_hold_time_counts_because_the_customer_is_still_waiting(world, policy, settle, receive):
    policy(resolution_minutes=8 * 60)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 8, 0))
    with time_machine.travel(wib(2026, 8, 10, 9, 0), tick=False):
        settle(conversations.change_status, actor=world.actor, conversation=conversation, status=Status.ON_HOLD)

    clock = _clock(conversation, "resolution")
    assert (clock.state, clock.due_at) == (ClockState.RUNNING, wib(2026, 8, 10, 16, 0))


def test_an_agent_reply_stops_first_response_and_a_customer_reply_starts_next_response(world, policy, settle,
                                                                                       receive):
    policy(first_response_minutes=30, next_response_minutes=60)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 9, 0))
    with time_machine.travel(wib(2026, 8, 10, 9, 10), tick=False):
        settle(conversations.reply_to_conversation, actor=world.actor, conversation=conversation, text="Halo")

    first = _clock(conversation)
    assert (first.state, first.stopped_at, first.elapsed) == (ClockState.ACHIEVED, wib(2026, 8, 10, 9, 10),
                                                              timedelta(minutes=10))
    assert not ServiceLevelClock.objects.filter(conversation=conversation, metric="next_response").exists()

    _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 16, 30), text="Masih belum sampai")
    following = _clock(conversation, "next_response")
    assert (following.cycle, following.state, following.due_at) == (1, ClockState.RUNNING, wib(2026, 8, 11, 8, 30))

    with time_machine.travel(wib(2026, 8, 11, 8, 5), tick=False):
        settle(conversations.reply_to_conversation, actor=world.actor, conversation=conversation, text="Dicek")
    following = _clock(conversation, "next_response")
    assert (following.state, following.stopped_at) == (ClockState.ACHIEVED, wib(2026, 8, 11, 8, 5))

    _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 11, 10, 0), text="Terima kasih, satu lagi")
    following = _clock(conversation, "next_response")
    assert (following.cycle, following.state, following.due_at) == (2, ClockState.RUNNING, wib(2026, 8, 11, 11, 0))


def test_solving_stops_resolution_and_reopening_resumes_it(world, policy, settle, receive):
    policy(resolution_minutes=4 * 60)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 8, 0))
    with time_machine.travel(wib(2026, 8, 10, 9, 0), tick=False):
        settle(conversations.change_status, actor=world.actor, conversation=conversation, status=Status.SOLVED)
    clock = _clock(conversation, "resolution")
    assert (clock.state, clock.elapsed) == (ClockState.ACHIEVED, timedelta(hours=1))

    _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 13, 0), text="Ternyata belum beres")

    clock = _clock(conversation, "resolution")
    assert (clock.state, clock.due_at) == (ClockState.RUNNING, wib(2026, 8, 10, 16, 0))


def test_a_missed_target_met_late_keeps_its_breach_with_the_time_it_was_met(world, policy, settle, receive):
    policy(first_response_minutes=30)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 9, 0))
    with time_machine.travel(wib(2026, 8, 10, 9, 31), tick=False):
        settle(sweep_service_levels)
        assert ConversationServiceLevel.objects.get(conversation=conversation).breached is True
    with time_machine.travel(wib(2026, 8, 10, 9, 45), tick=False):
        settle(conversations.reply_to_conversation, actor=world.actor, conversation=conversation, text="Maaf lama")

    breach = ServiceLevelBreach.objects.get(conversation=conversation)
    assert (breach.breached_at, breach.achieved_at) == (wib(2026, 8, 10, 9, 30), wib(2026, 8, 10, 9, 45))
    summary = ConversationServiceLevel.objects.get(conversation=conversation)
    assert (summary.breached, summary.next_due_at) == (False, None)


def test_raising_the_priority_rechooses_the_policy_and_its_target(world, policy, settle, receive):
    policy(name="Urgent", position=0, priorities=["urgent"], first_response_minutes=15, hours=HoursKind.ALWAYS)
    policy(name="Everything else", position=1, first_response_minutes=240)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 9, 0))
    assert _clock(conversation).due_at == wib(2026, 8, 10, 13, 0)

    with time_machine.travel(wib(2026, 8, 10, 9, 5), tick=False):
        settle(conversations.set_priority, actor=world.actor, conversation=conversation, priority="urgent")

    clock = _clock(conversation)
    assert (clock.policy.name, clock.target_minutes, clock.due_at) == ("Urgent", 15, wib(2026, 8, 10, 9, 15))


def test_conditions_choose_the_first_matching_policy_by_position(world, policy, settle, receive):
    policy(name="VIP WhatsApp", position=0, channels=["whatsapp"], customer_tiers=["vip"], first_response_minutes=5)
    policy(name="WhatsApp", position=1, channels=["whatsapp"], first_response_minutes=20)
    policy(name="Email complaints", position=2, channels=["email"], types=["complaint"], first_response_minutes=60)

    chat = _receive_at(settle, receive, world.whatsapp_inbox, wib(2026, 8, 10, 9, 0), sender="+6281234567890",
                       kind="whatsapp")
    mail = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 9, 0))

    assert _clock(chat).policy.name == "WhatsApp"
    assert not ServiceLevelClock.objects.filter(conversation=mail).exists()  # a question: no policy applies
    assert not ConversationServiceLevel.objects.filter(conversation=mail).exists()


def test_a_warning_is_recorded_once_before_the_breach(world, policy, settle, receive, published):
    policy(first_response_minutes=30, warning_minutes=10)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 9, 0))
    assert _clock(conversation).warn_at == wib(2026, 8, 10, 9, 20)

    with time_machine.travel(wib(2026, 8, 10, 9, 20), tick=False):
        assert settle(sweep_service_levels) == (1, 0)
        assert settle(sweep_service_levels) == (0, 0)

    warned = [e for e in published if isinstance(e, events.ServiceLevelWarned)]
    assert [(e.conversation_id, e.metric) for e in warned] == [(conversation.pk, "first_response")]


def test_a_target_met_late_while_the_sweeper_was_down_is_recorded_as_breached(world, policy, settle, receive):
    policy(first_response_minutes=30)
    conversation = _receive_at(settle, receive, world.email_inbox, wib(2026, 8, 10, 9, 0))
    with time_machine.travel(wib(2026, 8, 10, 9, 45), tick=False):  # no sweep ran at 09:30
        settle(conversations.reply_to_conversation, actor=world.actor, conversation=conversation, text="Maaf lama")

    breach = ServiceLevelBreach.objects.get(conversation=conversation)
    assert (breach.due_at, breach.breached_at, breach.achieved_at) == (
        wib(2026, 8, 10, 9, 30), wib(2026, 8, 10, 9, 30), wib(2026, 8, 10, 9, 45))
    clock = _clock(conversation)
    assert (clock.state, clock.due_at, clock.stopped_at) == (ClockState.ACHIEVED, wib(2026, 8, 10, 9, 30),
                                                             wib(2026, 8, 10, 9, 45))
    with time_machine.travel(wib(2026, 8, 10, 9, 46), tick=False):
        assert settle(sweep_service_levels) == (0, 0)  # nothing left to breach or escalate


def test_events_processed_late_still_give_the_right_clocks(world, policy, settle, receive):
    """The subscribers ran only after the reply (a backed-up queue): the clock is rebuilt from the
    conversation's own timestamps, not from when the events were handled."""
    from layan.servicelevels.services import sync_clocks

    policy(first_response_minutes=30, resolution_minutes=480)
    with time_machine.travel(wib(2026, 8, 10, 9, 0), tick=False):
        conversation = receive(world.email_inbox, "siti@contoh.id").conversation  # no subscriber runs
    with time_machine.travel(wib(2026, 8, 10, 9, 10), tick=False):
        conversations.reply_to_conversation(actor=world.actor, conversation=conversation, text="Halo")
    with time_machine.travel(wib(2026, 8, 10, 9, 20), tick=False):
        sync_clocks(conversation_id=conversation.pk)

    first, resolution = _clock(conversation), _clock(conversation, "resolution")
    assert (first.state, first.elapsed, first.stopped_at) == (ClockState.ACHIEVED, timedelta(minutes=10),
                                                              wib(2026, 8, 10, 9, 10))
    assert (resolution.state, resolution.due_at) == (ClockState.RUNNING, wib(2026, 8, 10, 17, 0))
    assert not ServiceLevelBreach.objects.filter(conversation=conversation).exists()
