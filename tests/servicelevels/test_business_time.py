"""Business-time arithmetic: examples on Indonesian calendars first, then hypothesis properties
(monotonic, additive, consistent with the calendar) on split shifts and across DST zones. Pure:
no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from layan.servicelevels.business_time import Calendar, NeverOpens, always_open, holiday_dates

JAKARTA = ZoneInfo("Asia/Jakarta")
OFFICE = [(8 * 60, 17 * 60)]
MON_FRI = [OFFICE] * 5 + [[], []]


def office(timezone="Asia/Jakarta", **kwargs) -> Calendar:
    return Calendar.build(timezone=timezone, week=MON_FRI, **kwargs)


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


# --- examples -----------------------------------------------------------------------------------


def test_thirty_business_minutes_from_friday_1650_end_monday_0820():
    assert office().add_minutes(wib(2026, 1, 9, 16, 50), 30) == wib(2026, 1, 12, 8, 20)


def test_a_public_holiday_is_skipped_like_a_weekend():
    # Indonesia's Independence Day, Monday 17 August 2026, from the holidays package.
    assert date(2026, 8, 17) in holiday_dates("ID", "", 2026)
    assert office(holiday_country="ID").add_minutes(wib(2026, 8, 14, 16, 50), 30) == wib(2026, 8, 18, 8, 20)
    # Isra Mikraj, Friday 16 January 2026: Thursday 16:50 + 30 minutes skips it and the weekend.
    assert date(2026, 1, 16) in holiday_dates("ID", "", 2026)
    calendar = office(holiday_country="ID")
    assert calendar.add_minutes(wib(2026, 1, 15, 16, 50), 30) == wib(2026, 1, 19, 8, 20)


def test_a_company_closure_is_closed_and_a_holiday_worked_through_is_open():
    calendar = office(holiday_country="ID", closed_dates={date(2026, 1, 12)}, open_dates={date(2026, 1, 16)})
    assert not calendar.is_open(wib(2026, 1, 12, 9, 0))
    assert calendar.is_open(wib(2026, 1, 16, 9, 0))
    assert calendar.add_minutes(wib(2026, 1, 9, 16, 50), 30) == wib(2026, 1, 13, 8, 20)


def test_split_shifts_skip_the_lunch_break():
    calendar = Calendar.build(timezone="Asia/Makassar", week=[[(8 * 60, 12 * 60), (13 * 60, 17 * 60)]] * 7)
    wita = ZoneInfo("Asia/Makassar")
    assert calendar.add_minutes(datetime(2026, 2, 2, 11, 45, tzinfo=wita), 30) == datetime(2026, 2, 2, 13, 15,
                                                                                             tzinfo=wita)
    assert calendar.minutes_between(datetime(2026, 2, 2, 11, 0, tzinfo=wita),
                                    datetime(2026, 2, 2, 14, 0, tzinfo=wita)) == 120


def test_running_out_exactly_at_closing_answers_the_closing_instant():
    assert office().add_minutes(wib(2026, 1, 12, 16, 0), 60) == wib(2026, 1, 12, 17, 0)


def test_a_start_before_opening_counts_from_the_opening():
    assert office().add_minutes(wib(2026, 1, 12, 6, 0), 15) == wib(2026, 1, 12, 8, 15)
    assert office().next_opening(wib(2026, 1, 10, 12, 0)) == wib(2026, 1, 12, 8, 0)
    assert office().next_opening(wib(2026, 1, 12, 9, 0)) == wib(2026, 1, 12, 9, 0)


def test_long_targets_skip_whole_weeks():
    # 10 weeks of 45 hours, from Monday 08:00: ends the tenth Friday at 17:00.
    assert office().add(wib(2026, 2, 2, 8, 0), timedelta(hours=450)) == wib(2026, 4, 10, 17, 0)
    assert office().between(wib(2026, 2, 2, 8, 0), wib(2026, 4, 10, 17, 0)) == timedelta(hours=450)


def test_always_open_is_elapsed_time():
    start = datetime(2026, 1, 9, 9, 50, tzinfo=UTC)
    assert always_open().add_minutes(start, 30) == start + timedelta(minutes=30)


def test_a_calendar_without_hours_refuses_instead_of_looping():
    with pytest.raises(NeverOpens):
        Calendar.build(timezone="UTC", week=[[]] * 7).add_minutes(wib(2026, 1, 9, 9, 0), 1)


def test_a_local_23_and_25_hour_day_open_all_day_count_their_real_length():
    calendar = Calendar.build(timezone="Europe/Berlin", week=[[(0, 1440)]] * 7)
    berlin = ZoneInfo("Europe/Berlin")
    spring, autumn = datetime(2026, 3, 29, tzinfo=berlin), datetime(2026, 10, 25, tzinfo=berlin)
    assert calendar.between(spring, datetime(2026, 3, 30, tzinfo=berlin)) == timedelta(hours=23)
    assert calendar.between(autumn, datetime(2026, 10, 26, tzinfo=berlin)) == timedelta(hours=25)
    assert calendar.add(spring, timedelta(hours=23)) == datetime(2026, 3, 30, tzinfo=berlin)


def test_office_hours_across_a_dst_change_stay_at_local_wall_time():
    calendar = office("America/New_York")
    ny = ZoneInfo("America/New_York")
    # Friday 16:30 EST + 60 minutes: 30 on Friday, 30 on Monday after the clocks went forward.
    assert calendar.add_minutes(datetime(2026, 3, 6, 16, 30, tzinfo=ny), 60) == datetime(2026, 3, 9, 8, 30, tzinfo=ny)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="aware"):
        office().add_minutes(datetime(2026, 1, 9, 9, 0), 1)  # noqa: DTZ001 - the point of the test


# --- properties ---------------------------------------------------------------------------------

ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "America/New_York", "Europe/Berlin", "Australia/Sydney"]


@st.composite
def calendars(draw) -> Calendar:
    def day():
        cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
        if len(cuts) % 2:
            cuts = cuts[:-1]
        return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2) if cuts[i] < cuts[i + 1]]

    week = [day() for _ in range(7)]
    if not any(week):
        week[0] = [(9 * 60, 17 * 60)]
    # Hours across the DST changes of the northern and southern zones (01:00-04:00 local).
    if draw(st.booleans()):
        week[6] = [(60, 240), *[(s, e) for s, e in week[6] if s >= 240]]
    closed = draw(st.sets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20))
    return Calendar.build(timezone=draw(st.sampled_from(ZONES)), week=week,
                          holiday_country=draw(st.sampled_from(["", "ID"])), closed_dates=closed)


instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 6, 30),  # noqa: DTZ001 - made aware below
                        timezones=st.just(UTC))
durations = st.integers(0, 60 * 24 * 60).map(lambda s: timedelta(seconds=s * 60))  # up to 60 days, whole minutes
fine_durations = st.integers(0, 10**12).map(lambda us: timedelta(microseconds=us))


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, fine_durations, fine_durations)
def test_adding_is_additive(calendar, start, a, b):
    assert calendar.add(calendar.add(start, a), b) == calendar.add(start, a + b)


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, durations, durations)
def test_adding_more_never_ends_earlier(calendar, start, a, b):
    shorter, longer = sorted((a, b))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, instants, durations)
def test_a_later_start_never_ends_earlier(calendar, t1, t2, duration):
    early, late = sorted((t1, t2))
    assert calendar.add(early, duration) <= calendar.add(late, duration)


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, fine_durations)
def test_between_undoes_add(calendar, start, duration):
    assert calendar.between(start, calendar.add(start, duration)) == duration


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, durations)
def test_add_lands_in_open_time_or_at_a_closing_instant(calendar, start, duration):
    assume(duration > timedelta(0))
    end = calendar.add(start, duration)
    just_before = end - timedelta(microseconds=1)
    assert calendar.is_open(end) or (calendar.is_open(just_before) and just_before >= start)


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, instants, instants)
def test_between_is_additive_over_a_split_point(calendar, t1, t2, t3):
    a, b, c = sorted((t1, t2, t3))
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)


@settings(max_examples=200, deadline=None)
@given(calendars(), instants)
def test_between_counts_only_open_minutes(calendar, start):
    """Consistent with the calendar: the open time of a day, counted minute by minute (slowly, here
    only), is what between() answers."""
    end = start + timedelta(hours=26)
    counted = timedelta(0)
    t = start
    while t < end:
        step = min(timedelta(minutes=1), end - t)
        if calendar.is_open(t) and calendar.is_open(t + step - timedelta(microseconds=1)):
            counted += step
        t += step
    # Minutes that straddle an opening or closing are counted by between() in part: at most two
    # boundary minutes per interval, so compare with a tolerance of the day's interval count.
    boundaries = sum(len(calendar.open_intervals(calendar.local_date(start) + timedelta(days=i))) for i in range(3))
    assert abs(calendar.between(start, end) - counted) <= timedelta(minutes=2 * boundaries)
