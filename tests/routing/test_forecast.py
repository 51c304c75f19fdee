"""The staffing forecast from measured arrivals and handle times, with frozen clocks: which
conversations the window counts, in the workspace's timezone, the handle time's source, and that
the whole forecast costs two queries."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from layan.accounts.actors import Actor
from layan.accounts.services import create_agent, create_workspace
from layan.connectors.services import create_inbox
from layan.conversations.services import change_status, log_time, reply_to_conversation
from layan.routing.erlang import agents_needed
from layan.routing.forecast import HandleTimeSource, peak, staffing_forecast

WIB = ZoneInfo("Asia/Jakarta")
# Wednesday 4 March 2026, 10:30 in Jakarta: the window is [Wed 4 Feb 10:00, Wed 4 Mar 10:00) WIB.
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=WIB)
MONDAYS = [datetime(2026, 2, d, tzinfo=WIB) for d in (9, 16, 23)] + [datetime(2026, 3, 2, tzinfo=WIB)]
TUESDAYS = [day + timedelta(days=1) for day in MONDAYS]

_numbers = itertools.count(1)


def arrive(receive, world, at: datetime, *, channel: str = "whatsapp"):
    """One new conversation from a new customer at ``at`` (frozen), through the receive path."""
    n = next(_numbers)
    with time_machine.travel(at, tick=False):
        if channel == "whatsapp":
            return receive(world.whatsapp_inbox, f"+62812{n:07d}", kind="whatsapp").conversation
        return receive(world.email_inbox, f"pelanggan{n}@contoh.id").conversation


@pytest.fixture
def history(world, receive):
    """Four weeks: 2 WhatsApp chats every Monday 09:xx and 3 emails every Tuesday 14:xx (WIB),
    plus the edges of the window."""
    for monday in MONDAYS:
        arrive(receive, world, monday.replace(hour=9, minute=5))
        arrive(receive, world, monday.replace(hour=9, minute=50))
    for tuesday in TUESDAYS:
        for minute in (0, 20, 40):
            arrive(receive, world, tuesday.replace(hour=14, minute=minute), channel="email")
    arrive(receive, world, datetime(2026, 2, 4, 9, 59, tzinfo=WIB))  # a minute before the window
    arrive(receive, world, datetime(2026, 2, 4, 10, 0, tzinfo=WIB))  # the window's first instant
    arrive(receive, world, datetime(2026, 3, 4, 10, 5, tzinfo=WIB))  # the current hour: not history
    # Sunday 23:30 UTC is Monday 06:30 in Jakarta.
    arrive(receive, world, datetime(2026, 2, 22, 23, 30, tzinfo=ZoneInfo("UTC")))
    return world


def hour_at(forecast, moment: datetime):
    return next(hour for hour in forecast.hours if hour.starts_at == moment)


@time_machine.travel(NOW, tick=False)
def test_the_forecast_covers_the_next_168_hours_from_the_current_one_in_the_workspace_timezone(history):
    forecast = staffing_forecast(workspace=history.workspace)

    assert len(forecast.hours) == 168
    assert forecast.hours[0].starts_at == datetime(2026, 3, 4, 10, tzinfo=WIB)
    assert forecast.hours[-1].starts_at == datetime(2026, 3, 11, 9, tzinfo=WIB)
    assert str(forecast.hours[0].starts_at.tzinfo) == "Asia/Jakarta"
    assert [len(day.hours) for day in forecast.days] == [14, 24, 24, 24, 24, 24, 24, 10]
    assert (forecast.history_start, forecast.history_end) == (datetime(2026, 2, 4, 10, tzinfo=WIB),
                                                              datetime(2026, 3, 4, 10, tzinfo=WIB))
    assert forecast.weeks_observed == 4


@time_machine.travel(NOW, tick=False)
def test_expected_contacts_are_the_average_of_the_same_hour_of_the_week_by_channel_group(history):
    forecast = staffing_forecast(workspace=history.workspace)

    monday_nine = hour_at(forecast, datetime(2026, 3, 9, 9, tzinfo=WIB))
    tuesday_two = hour_at(forecast, datetime(2026, 3, 10, 14, tzinfo=WIB))
    assert (monday_nine.groups["chat"].expected, monday_nine.groups["email"].expected) == (2.0, 0.0)
    assert (tuesday_two.groups["chat"].expected, tuesday_two.groups["email"].expected) == (0.0, 3.0)
    # The window's first instant counts, the minute before it and the current hour do not.
    assert hour_at(forecast, datetime(2026, 3, 4, 10, tzinfo=WIB)).groups["chat"].expected == 0.25
    assert hour_at(forecast, datetime(2026, 3, 11, 9, tzinfo=WIB)).groups["chat"].expected == 0.0
    # Hours are the workspace's: 23:30 UTC on Sunday arrived on Monday 06:00–07:00 in Jakarta.
    assert hour_at(forecast, datetime(2026, 3, 9, 6, tzinfo=WIB)).groups["chat"].expected == 0.25
    assert sum(h.groups["chat"].expected for h in forecast.hours) == 2.0 + 0.25 + 0.25
    assert sum(h.groups["email"].expected for h in forecast.hours) == 3.0
    assert [(i.group.key, i.contacts_observed) for i in forecast.inputs] == [("chat", 10), ("email", 12)]


@time_machine.travel(NOW, tick=False)
def test_agents_needed_are_erlang_c_on_the_expected_contacts_and_the_groups_target(history):
    forecast = staffing_forecast(workspace=history.workspace)

    chat = hour_at(forecast, datetime(2026, 3, 9, 9, tzinfo=WIB)).groups["chat"].staffing
    email = hour_at(forecast, datetime(2026, 3, 10, 14, tzinfo=WIB)).groups["email"].staffing
    quiet = hour_at(forecast, datetime(2026, 3, 5, 3, tzinfo=WIB)).groups["chat"].staffing
    # No time logged and no solved chats: the defaults, 6 minutes a chat and 8 an email.
    assert [(i.aht_seconds, i.aht_source) for i in forecast.inputs] == [(360.0, HandleTimeSource.DEFAULT),
                                                                         (480.0, HandleTimeSource.DEFAULT)]
    assert chat == agents_needed(arrivals_per_hour=2.0, aht_seconds=360, target_service_level=0.8, target_seconds=20,
                                 max_occupancy=0.85, shrinkage=0.3)
    assert (chat.agents, chat.rostered, round(chat.service_level, 4)) == (1, 2, 0.8087)
    assert email == agents_needed(arrivals_per_hour=3.0, aht_seconds=480, target_service_level=0.9,
                                  target_seconds=4 * 3600, max_occupancy=0.85, shrinkage=0.3)
    assert (email.agents, email.rostered) == (1, 2)
    assert (quiet.agents, quiet.rostered) == (0, 0)
    assert peak(forecast, "chat") == 2


@time_machine.travel(NOW, tick=False)
def test_the_whole_forecast_costs_two_queries(history, django_assert_num_queries):
    with django_assert_num_queries(2):
        forecast = staffing_forecast(workspace=history.workspace)
    assert len(forecast.hours) == 168


@time_machine.travel(NOW, tick=False)
def test_a_young_workspace_averages_over_the_whole_weeks_it_has(world, receive):
    # Two Mondays 11:00 (23 February, 2 March) in a four-week window: the two oldest weeks are
    # empty and left out, so Monday 11:00 averages 2 / 2, not 2 / 4.
    for days_ago in (9, 2):
        arrive(receive, world, (NOW - timedelta(days=days_ago)).replace(hour=11, minute=0))
    forecast = staffing_forecast(workspace=world.workspace)

    assert forecast.weeks_observed == 2
    assert hour_at(forecast, datetime(2026, 3, 9, 11, tzinfo=WIB)).groups["chat"].expected == 1.0
    assert hour_at(forecast, datetime(2026, 3, 9, 11, tzinfo=WIB)).groups["email"].expected == 0.0


def test_logged_time_is_the_handle_time_when_ten_conversations_have_some(world, receive):
    actor = Actor.for_agent(world.agent)
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        conversations = [arrive(receive, world, NOW - timedelta(days=3)) for _ in range(10)]
        for conversation in conversations:
            log_time(actor=actor, conversation=conversation, seconds=240)
        log_time(actor=actor, conversation=conversations[0], seconds=120)  # two entries, one conversation
        email = arrive(receive, world, NOW - timedelta(days=3), channel="email")
        log_time(actor=actor, conversation=email, seconds=900)  # one email: too few to measure
    with time_machine.travel(NOW, tick=False):
        forecast = staffing_forecast(workspace=world.workspace)

    chat, email_inputs = forecast.inputs
    assert (chat.aht_seconds, chat.aht_source, chat.aht_sample) == (252.0, HandleTimeSource.TIME_ENTRIES, 10)
    assert (email_inputs.aht_seconds, email_inputs.aht_source, email_inputs.aht_sample) == (
        480.0, HandleTimeSource.DEFAULT, 0)


def test_without_logged_time_chats_solved_within_an_hour_of_the_first_reply_measure_handle_time(world, receive):
    actor = Actor.for_agent(world.agent)
    start = NOW - timedelta(days=2)

    def handled(conversation, *, reply_after: timedelta, solved_after: timedelta):
        with time_machine.travel(start + reply_after, tick=False):
            reply_to_conversation(actor=actor, conversation=conversation, text="Baik Kak, kami cek dulu.")
        with time_machine.travel(start + solved_after, tick=False):
            change_status(actor=actor, conversation=conversation, status="solved")

    for _ in range(10):
        handled(arrive(receive, world, start), reply_after=timedelta(minutes=2), solved_after=timedelta(minutes=10))
    # Solved three hours after the reply: the customer came back later; not one sitting.
    handled(arrive(receive, world, start), reply_after=timedelta(minutes=2), solved_after=timedelta(hours=3))
    for _ in range(10):  # emails have no such proxy: their span says nothing about the work
        handled(arrive(receive, world, start, channel="email"), reply_after=timedelta(minutes=2),
                solved_after=timedelta(minutes=10))
    with time_machine.travel(NOW, tick=False):
        forecast = staffing_forecast(workspace=world.workspace)

    chat, email = forecast.inputs
    assert (chat.aht_seconds, chat.aht_source, chat.aht_sample) == (480.0, HandleTimeSource.SESSIONS, 10)
    assert (email.aht_seconds, email.aht_source) == (480.0, HandleTimeSource.DEFAULT)


def test_the_forecast_steps_in_real_hours_across_a_daylight_saving_change(db):
    berlin = ZoneInfo("Europe/Berlin")
    workspace = create_workspace(name="Berliner Laden", timezone_name="Europe/Berlin")
    with time_machine.travel(datetime(2026, 3, 27, 12, 15, tzinfo=berlin), tick=False):
        forecast = staffing_forecast(workspace=workspace)

    # (Aware datetimes of one zone subtract as wall clocks; compare in UTC.)
    starts = [hour.starts_at.astimezone(ZoneInfo("UTC")) for hour in forecast.hours]
    assert len(starts) == 168
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(starts))
    sunday = next(day for day in forecast.days if day.day.isoformat() == "2026-03-29")
    assert len(sunday.hours) == 23  # 02:00 does not exist that night
    assert [h.starts_at.hour for h in sunday.hours][:3] == [0, 1, 3]
    assert forecast.history_start == datetime(2026, 2, 27, 12, tzinfo=berlin)


def test_settings_override_a_groups_target(world, receive, settings):
    settings.LAYAN_STAFFING = {"groups": {"chat": {"target_seconds": 60, "concurrency": 2, "shrinkage": 0.0}}}
    with time_machine.travel(NOW, tick=False):
        forecast = staffing_forecast(workspace=world.workspace)

    chat = forecast.inputs[0].group
    assert (chat.target_seconds, chat.concurrency, chat.shrinkage, chat.target_service_level) == (60, 2, 0.0, 0.8)


@pytest.mark.parametrize("staffing", [
    {"groups": {"fax": {}}}, {"groups": {"chat": {"colour": "green"}}}, {"groups": {"chat": {"shrinkage": 1}}},
    {"groups": {"email": {"target_service_level": 80}}}, {"history_weeks": 0}, {"history_weeks": "4"},
])
def test_an_impossible_configuration_says_what_is_wrong(world, settings, staffing):
    settings.LAYAN_STAFFING = staffing
    with pytest.raises(ImproperlyConfigured, match="LAYAN_STAFFING"):
        staffing_forecast(workspace=world.workspace)


def test_arrivals_on_both_sides_of_a_daylight_saving_change_fall_in_their_local_hour(db, receive):
    berlin = ZoneInfo("Europe/Berlin")
    workspace = create_workspace(name="Berliner Laden", timezone_name="Europe/Berlin")
    admin = create_agent(workspace=workspace, email="admin@laden.test", role="admin", display_name="Admin")
    inbox = create_inbox(actor=Actor.for_agent(admin), kind="email", name="E-Mail")
    # Monday 09:30 in winter time (08:30 UTC) and in summer time (07:30 UTC); clocks went forward on 29 March.
    for n, moment in enumerate((datetime(2026, 3, 16, 9, 30, tzinfo=berlin), datetime(2026, 4, 6, 9, 30, tzinfo=berlin))):
        with time_machine.travel(moment, tick=False):
            receive(inbox, f"kunde{n}@beispiel.de")
    with time_machine.travel(datetime(2026, 4, 8, 12, 0, tzinfo=berlin), tick=False):
        forecast = staffing_forecast(workspace=workspace)

    expected = {hour.starts_at.hour: hour.groups["email"].expected for hour in forecast.hours
                if hour.starts_at.date().isoformat() == "2026-04-13"}
    assert expected[9] == 0.5
    assert sum(expected.values()) == 0.5
