"""Who is on call when: the pure rotation logic, across hand-over instants, DST and overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from layan.servicelevels.oncall_schedule import (
    Cover,
    Schedule,
    next_in_rotation,
    on_call_at,
    shift_start,
    slots_between,
)

WIB = ZoneInfo("Asia/Jakarta")
BUDI, SARI, ANDI = 1, 2, 3


def daily(**kwargs) -> Schedule:
    fields = {"timezone": "Asia/Jakarta", "member_ids": (BUDI, SARI, ANDI), "shift_hours": 24,
              "handover_time": time(8, 0), "starts_on": date(2026, 12, 7)} | kwargs
    return Schedule(**fields)


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def test_the_first_member_takes_the_first_shift_from_the_hand_over():
    assert on_call_at(daily(), wib(2026, 12, 7, 8, 0)) == BUDI
    assert on_call_at(daily(), wib(2026, 12, 8, 7, 59, 59)) == BUDI


def test_the_hand_over_instant_belongs_to_the_next_member():
    assert on_call_at(daily(), wib(2026, 12, 8, 7, 59, 59, 999999)) == BUDI
    assert on_call_at(daily(), wib(2026, 12, 8, 8, 0)) == SARI
    assert on_call_at(daily(), wib(2026, 12, 9, 8, 0)) == ANDI
    assert on_call_at(daily(), wib(2026, 12, 10, 8, 0)) == BUDI  # round again


def test_two_at_night_is_still_the_shift_that_started_the_morning_before():
    assert on_call_at(daily(), wib(2026, 12, 9, 2, 0)) == SARI


def test_before_the_first_shift_the_rotation_runs_backwards_in_the_same_order():
    assert on_call_at(daily(), wib(2026, 12, 7, 7, 0)) == ANDI
    assert on_call_at(daily(), wib(2026, 12, 6, 7, 0)) == SARI


def test_the_hand_over_is_local_time_of_the_rotation_not_utc():
    wita = daily(timezone="Asia/Makassar")  # UTC+8: 08:00 WITA is 07:00 WIB
    assert on_call_at(wita, wib(2026, 12, 8, 6, 59)) == BUDI
    assert on_call_at(wita, wib(2026, 12, 8, 7, 0)) == SARI


def test_a_weekly_rotation_hands_over_on_the_weekday_it_started():
    weekly = daily(shift_hours=168, member_ids=(BUDI, SARI))  # 7 Dec 2026 is a Monday
    assert on_call_at(weekly, wib(2026, 12, 13, 23, 0)) == BUDI
    assert on_call_at(weekly, wib(2026, 12, 14, 7, 59)) == BUDI
    assert on_call_at(weekly, wib(2026, 12, 14, 8, 0)) == SARI
    assert on_call_at(weekly, wib(2026, 12, 21, 8, 0)) == BUDI


def test_day_and_night_shifts_of_twelve_hours():
    halves = daily(shift_hours=12, member_ids=(BUDI, SARI))
    assert on_call_at(halves, wib(2026, 12, 7, 19, 59)) == BUDI
    assert on_call_at(halves, wib(2026, 12, 7, 20, 0)) == SARI
    assert on_call_at(halves, wib(2026, 12, 8, 2, 0)) == SARI
    assert on_call_at(halves, wib(2026, 12, 8, 8, 0)) == BUDI


def test_an_override_covers_its_span_only_and_wins_over_the_rotation():
    swap = Cover(agent_id=ANDI, starts_at=wib(2026, 12, 7, 20, 0), ends_at=wib(2026, 12, 8, 8, 0), order=1)
    schedule = daily(overrides=(swap,))
    assert on_call_at(schedule, wib(2026, 12, 7, 19, 59)) == BUDI
    assert on_call_at(schedule, wib(2026, 12, 7, 20, 0)) == ANDI
    assert on_call_at(schedule, wib(2026, 12, 8, 2, 0)) == ANDI
    assert on_call_at(schedule, wib(2026, 12, 8, 8, 0)) == SARI  # the end is not covered


def test_of_two_overlapping_overrides_the_later_made_wins():
    first = Cover(agent_id=SARI, starts_at=wib(2026, 12, 7, 0, 0), ends_at=wib(2026, 12, 8, 0, 0), order=1)
    later = Cover(agent_id=ANDI, starts_at=wib(2026, 12, 7, 12, 0), ends_at=wib(2026, 12, 7, 13, 0), order=2)
    schedule = daily(overrides=(later, first))
    assert on_call_at(schedule, wib(2026, 12, 7, 11, 0)) == SARI
    assert on_call_at(schedule, wib(2026, 12, 7, 12, 30)) == ANDI
    assert on_call_at(schedule, wib(2026, 12, 7, 13, 0)) == SARI


def test_a_rotation_without_members_has_nobody_but_its_overrides():
    cover = Cover(agent_id=SARI, starts_at=wib(2026, 12, 7, 0, 0), ends_at=wib(2026, 12, 8, 0, 0))
    schedule = daily(member_ids=(), overrides=(cover,))
    assert on_call_at(schedule, wib(2026, 12, 7, 2, 0)) == SARI
    assert on_call_at(schedule, wib(2026, 12, 8, 2, 0)) is None


def test_the_schedule_lists_each_shift_and_an_override_in_between():
    swap = Cover(agent_id=ANDI, starts_at=wib(2026, 12, 7, 20, 0), ends_at=wib(2026, 12, 8, 2, 0), order=1)
    slots = slots_between(daily(overrides=(swap,)), wib(2026, 12, 7, 8, 0), wib(2026, 12, 9, 8, 0))
    assert [(s.agent_id, s.starts_at.astimezone(WIB).strftime("%d %H:%M"),
             s.ends_at.astimezone(WIB).strftime("%d %H:%M"), s.is_override) for s in slots] == [
        (BUDI, "07 08:00", "07 20:00", False),
        (ANDI, "07 20:00", "08 02:00", True),
        (BUDI, "08 02:00", "08 08:00", False),
        (SARI, "08 08:00", "09 08:00", False),
    ]


def test_daily_hand_over_stays_at_eight_local_across_new_york_dst_changes():
    new_york = daily(timezone="America/New_York", starts_on=date(2026, 3, 6))
    # 8 March 2026: clocks go forward; that day's shift is 23 hours long.
    assert shift_start(new_york, 2) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT
    assert shift_start(new_york, 1) == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)  # 08:00 EST
    assert shift_start(new_york, 2) - shift_start(new_york, 1) == timedelta(hours=23)


def test_a_hand_over_inside_a_dst_gap_happens_when_the_gap_ends():
    at_half_past_two = daily(timezone="America/New_York", handover_time=time(2, 30), starts_on=date(2026, 3, 6))
    # 02:30 did not exist on 8 March 2026: the hand-over is at 03:00 EDT, 07:00 UTC.
    assert shift_start(at_half_past_two, 2) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert on_call_at(at_half_past_two, datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC)) == SARI
    assert on_call_at(at_half_past_two, datetime(2026, 3, 8, 7, 0, tzinfo=UTC)) == ANDI


def test_a_hand_over_in_the_repeated_hour_happens_once_at_its_first_occurrence():
    at_half_past_one = daily(timezone="America/New_York", handover_time=time(1, 30), starts_on=date(2026, 10, 31))
    # 1 November 2026: 01:00–02:00 comes twice; the hand-over is at the first 01:30 (EDT, 05:30 UTC).
    assert shift_start(at_half_past_one, 1) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert on_call_at(at_half_past_one, datetime(2026, 11, 1, 5, 29, tzinfo=UTC)) == BUDI
    assert on_call_at(at_half_past_one, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)) == SARI
    # 01:00 EST, the second time the clock reads one: still the new shift, no hand-back.
    assert on_call_at(at_half_past_one, datetime(2026, 11, 1, 6, 0, tzinfo=UTC)) == SARI


def test_escalation_goes_to_the_next_member_and_round():
    schedule = daily()
    assert next_in_rotation(schedule, BUDI) == SARI
    assert next_in_rotation(schedule, ANDI) == BUDI
    assert next_in_rotation(schedule, 99) == BUDI


# --- properties ---------------------------------------------------------------------------------

ZONES = st.sampled_from(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "America/New_York", "Europe/London",
                         "Australia/Sydney"])
INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),  # noqa: DTZ001 - hypothesis bounds are naive
                        timezones=st.just(UTC))
schedules = st.builds(
    Schedule, timezone=ZONES,
    member_ids=st.lists(st.integers(1, 50), min_size=1, max_size=6, unique=True).map(tuple),
    shift_hours=st.sampled_from([1, 8, 12, 24, 48, 168]),
    handover_time=st.times().map(lambda t: t.replace(microsecond=0)),
    starts_on=st.dates(min_value=date(2025, 6, 1), max_value=date(2027, 6, 1)))


@settings(max_examples=150, deadline=None)
@given(schedule=schedules, at=INSTANTS)
def test_the_agent_at_any_instant_is_the_one_of_the_slot_containing_it(schedule, at):
    slots = slots_between(schedule, at - timedelta(days=3), at + timedelta(days=3))
    containing = [s for s in slots if s.starts_at <= at < s.ends_at]
    assert len(containing) == 1
    assert containing[0].agent_id == on_call_at(schedule, at)


@settings(max_examples=150, deadline=None)
@given(schedule=schedules, at=INSTANTS)
def test_slots_tile_the_window_and_shifts_follow_the_rotation_order(schedule, at):
    slots = slots_between(schedule, at, at + timedelta(days=10))
    assert slots[0].starts_at == at
    assert slots[-1].ends_at == at + timedelta(days=10)
    assert all(a.ends_at == b.starts_at for a, b in zip(slots, slots[1:], strict=False))
    members = schedule.member_ids
    for a, b in zip(slots, slots[1:], strict=False):
        assert b.agent_id == members[(members.index(a.agent_id) + 1) % len(members)]


@settings(max_examples=150, deadline=None)
@given(schedule=schedules, at=INSTANTS, hours=st.integers(1, 200))
def test_shift_starts_increase_and_each_begins_at_the_hand_over_wall_time_or_a_gap_end(schedule, at, hours):
    from layan.servicelevels.oncall_schedule import current_shift

    index = current_shift(schedule, at)
    start, following = shift_start(schedule, index), shift_start(schedule, index + 1)
    assert start <= at < following
    assert following - start <= timedelta(hours=schedule.shift_hours + 1)
    assert following - start >= timedelta(hours=schedule.shift_hours - 1)
    later = at + timedelta(hours=hours)
    assert current_shift(schedule, later) >= index


@settings(max_examples=100, deadline=None)
@given(schedule=schedules, at=INSTANTS, length=st.integers(1, 72 * 60), offset=st.integers(-72 * 60, 72 * 60))
def test_an_override_decides_every_instant_it_covers_and_none_outside(schedule, at, length, offset):
    cover = Cover(agent_id=999, starts_at=at - timedelta(minutes=offset), ends_at=at - timedelta(minutes=offset)
                  + timedelta(minutes=length), order=1)
    with_cover = Schedule(**{**schedule.__dict__, "overrides": (cover,)})
    if cover.starts_at <= at < cover.ends_at:
        assert on_call_at(with_cover, at) == 999
    else:
        assert on_call_at(with_cover, at) == on_call_at(schedule, at)
