"""Erlang C against a published worked example, and the properties any correct Erlang C has.

The worked example is Call Centre Helper's "Erlang C Formula – Made Simple With an Easy Worked
Example" (https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls in 30
minutes, an average handling time of 180 s, 80% to be answered within 20 s, a maximum occupancy of
85% and 30% shrinkage. The R package ErlangC prints the same example to seven significant figures
in its README (https://stat.ethz.ch/CRAN/web/packages/ErlangC/readme/README.html, `erlang_c(100,
30 minutes, 180 s, 20 s, 14)` and `calculate_agents(...)`); those printed figures are the ones
asserted here, rounded as they are printed.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.routing.erlang import (
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    occupancy,
    service_level,
    traffic_intensity,
)

ARRIVALS_PER_HOUR = 200  # 100 calls per half hour
AHT = 180
TARGET = 20


def test_the_worked_example_has_ten_erlangs_of_traffic():
    assert traffic_intensity(arrivals_per_hour=ARRIVALS_PER_HOUR, aht_seconds=AHT) == 10.0


def test_the_worked_example_with_eleven_agents_waits_68_percent_and_answers_39_percent_in_time():
    # Printed: wait_probability 0.6821182, service_level 0.3896138 (the first step of the search).
    assert round(erlang_c(11, 10.0), 7) == 0.6821182
    assert round(service_level(agents=11, traffic=10.0, aht_seconds=AHT, target_seconds=TARGET), 7) == 0.3896138


def test_the_worked_example_with_fourteen_agents_matches_every_printed_figure():
    # Printed: wait_probability 0.1741319, service_level 0.88835, average_speed_of_answer
    # 7.83593701177724 s, immediate_answer_probability 0.8258681, occupancy 0.7142857.
    assert round(erlang_c(14, 10.0), 7) == 0.1741319
    assert round(service_level(agents=14, traffic=10.0, aht_seconds=AHT, target_seconds=TARGET), 5) == 0.88835
    assert round(average_speed_of_answer(agents=14, traffic=10.0, aht_seconds=AHT), 14) == 7.83593701177724
    assert round(1 - erlang_c(14, 10.0), 7) == 0.8258681
    assert round(occupancy(agents=14, traffic=10.0), 7) == 0.7142857


def test_the_worked_example_needs_fourteen_agents_and_twenty_rostered_after_shrinkage():
    staffing = agents_needed(arrivals_per_hour=ARRIVALS_PER_HOUR, aht_seconds=AHT, target_service_level=0.8,
                             target_seconds=TARGET, max_occupancy=0.85, shrinkage=0.3)

    # Printed: agents 14; the article rosters 14 / (1 − 30%) = 20.
    assert (staffing.agents, staffing.rostered) == (14, 20)
    assert round(staffing.service_level, 5) == 0.88835
    assert round(staffing.average_speed_of_answer, 14) == 7.83593701177724
    assert round(staffing.occupancy, 7) == 0.7142857


def test_thirteen_agents_are_not_enough_for_the_worked_example():
    assert service_level(agents=13, traffic=10.0, aht_seconds=AHT, target_seconds=TARGET) < 0.8


def test_maximum_occupancy_can_require_more_agents_than_the_service_level():
    # 100 Erlangs with a lenient target: the service level is met with 101 agents, but agents may
    # be busy at most 85% of the time, so 100 / 0.85 → 118.
    staffing = agents_needed(arrivals_per_hour=1200, aht_seconds=300, target_service_level=0.5,
                             target_seconds=3600, max_occupancy=0.85)

    assert staffing.agents == 118
    assert staffing.occupancy <= 0.85
    assert agents_needed(arrivals_per_hour=1200, aht_seconds=300, target_service_level=0.5,
                         target_seconds=3600).agents == 101


def test_no_arrivals_need_no_agents():
    staffing = agents_needed(arrivals_per_hour=0, aht_seconds=300, target_service_level=0.8, target_seconds=20,
                             shrinkage=0.3)

    assert (staffing.agents, staffing.rostered, staffing.service_level, staffing.wait_probability) == (0, 0, 1.0, 0.0)


def test_a_large_contact_centre_is_computed_without_overflow():
    # 2,000 Erlangs: N! would overflow a float long before; the Erlang B recursion does not.
    staffing = agents_needed(arrivals_per_hour=24_000, aht_seconds=300, target_service_level=0.8, target_seconds=20)

    assert 2000 < staffing.agents < 2100
    assert 0.8 <= staffing.service_level < 1
    assert service_level(agents=staffing.agents - 1, traffic=2000.0, aht_seconds=300, target_seconds=20) < 0.8


def test_erlang_b_matches_the_closed_form_for_small_cases():
    # B(N, A) = (A^N / N!) / Σ_{k≤N} A^k / k!
    for agents, traffic in ((1, 1.0), (5, 3.0), (11, 10.0)):
        expected = (traffic ** agents / math.factorial(agents)) / sum(
            traffic ** k / math.factorial(k) for k in range(agents + 1))
        assert erlang_b(agents, traffic) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("arguments", [
    {"target_service_level": 1.0}, {"target_service_level": 0.0}, {"max_occupancy": 0.0}, {"max_occupancy": 1.5},
    {"shrinkage": 1.0}, {"shrinkage": -0.1}, {"aht_seconds": 0},
])
def test_impossible_targets_are_refused(arguments):
    values = {"arrivals_per_hour": 10, "aht_seconds": 300, "target_service_level": 0.8, "target_seconds": 20,
              **arguments}
    with pytest.raises(ValueError):  # noqa: PT011 - each message names its own argument
        agents_needed(**values)


traffic_values = st.floats(min_value=0.01, max_value=500, allow_nan=False, allow_infinity=False)
handle_times = st.floats(min_value=10, max_value=3600, allow_nan=False, allow_infinity=False)
targets = st.floats(min_value=0, max_value=600, allow_nan=False, allow_infinity=False)


@given(traffic=traffic_values, aht=handle_times, target=targets, extra=st.integers(min_value=1, max_value=40))
def test_one_more_agent_never_lowers_the_service_level(traffic, aht, target, extra):
    agents = math.floor(traffic) + extra
    fewer = service_level(agents=agents, traffic=traffic, aht_seconds=aht, target_seconds=target)
    more = service_level(agents=agents + 1, traffic=traffic, aht_seconds=aht, target_seconds=target)
    assert 0 <= fewer <= more <= 1
    assert erlang_c(agents + 1, traffic) <= erlang_c(agents, traffic)


@given(traffic=traffic_values, aht=handle_times, target=targets, short=st.integers(min_value=0, max_value=5))
def test_agents_at_or_below_the_traffic_reach_no_service_level(traffic, aht, target, short):
    agents = max(0, math.floor(traffic) - short)
    assert service_level(agents=agents, traffic=traffic, aht_seconds=aht, target_seconds=target) == 0.0
    assert erlang_c(agents, traffic) == 1.0
    assert average_speed_of_answer(agents=agents, traffic=traffic, aht_seconds=aht) == math.inf


@given(traffic=traffic_values, aht=handle_times, sooner=targets, later=targets,
       extra=st.integers(min_value=1, max_value=20))
def test_a_longer_target_wait_never_lowers_the_service_level(traffic, aht, sooner, later, extra):
    sooner, later = sorted((sooner, later))
    agents = math.floor(traffic) + extra
    assert (service_level(agents=agents, traffic=traffic, aht_seconds=aht, target_seconds=sooner)
            <= service_level(agents=agents, traffic=traffic, aht_seconds=aht, target_seconds=later))


@given(arrivals=st.floats(min_value=0.1, max_value=3000, allow_nan=False), aht=handle_times,
       level=st.floats(min_value=0.05, max_value=0.99), target=targets)
def test_the_agents_needed_are_the_fewest_that_reach_the_target(arrivals, aht, level, target):
    staffing = agents_needed(arrivals_per_hour=arrivals, aht_seconds=aht, target_service_level=level,
                             target_seconds=target)
    assert staffing.service_level >= level
    assert staffing.agents > staffing.traffic
    below = service_level(agents=staffing.agents - 1, traffic=staffing.traffic, aht_seconds=aht,
                          target_seconds=target)
    assert below < level
