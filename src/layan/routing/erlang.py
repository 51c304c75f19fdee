"""Erlang C, the queueing model behind contact-centre staffing: how many agents answer a given
share of contacts within a target wait. Pure functions, no Django. See docs/flows/contact-center.md.

Erlang C assumes Poisson arrivals, exponential handle times, no abandonment and an unlimited
queue served first come, first served. The probability of waiting is computed from the Erlang B
recursion, so a thousand agents cost a thousand multiplications and never a factorial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# ceil() of a float that is an integer up to rounding noise (14 / 0.7 = 20.000000000000004).
_EPSILON = 1e-9
# A target service level of 1 is never reached exactly; the search stops here at the latest.
MAX_AGENTS = 100_000


def traffic_intensity(*, arrivals_per_hour: float, aht_seconds: float) -> float:
    """The offered load A in Erlangs: arrival rate times average handle time, in one time unit."""
    if arrivals_per_hour < 0 or aht_seconds < 0:
        raise ValueError("arrivals and handle time cannot be negative")
    return arrivals_per_hour * aht_seconds / 3600.0


def erlang_b(agents: int, traffic: float) -> float:
    """The Erlang B blocking probability B(N, A) by the stable recursion B(n) = A·B(n−1) / (n + A·B(n−1))."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic cannot be negative")
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def _erlang_c_from_b(agents: int, traffic: float, blocking: float) -> float:
    if agents <= traffic:
        return 1.0  # the queue grows without bound: every contact waits
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a contact waits at all, C(N, A); 1 when N ≤ A (no steady state)."""
    if traffic == 0:
        return 0.0
    return _erlang_c_from_b(agents, traffic, erlang_b(agents, traffic))


def _service_level(agents: int, traffic: float, wait_probability: float, aht_seconds: float,
                   target_seconds: float) -> float:
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1.0 - wait_probability * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def service_level(*, agents: int, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """P(wait ≤ t) = 1 − C(N, A)·e^{−(N−A)·t/AHT}: the share of contacts answered within the target."""
    if target_seconds < 0:
        raise ValueError("the target answer time cannot be negative")
    return _service_level(agents, traffic, erlang_c(agents, traffic), aht_seconds, target_seconds)


def average_speed_of_answer(*, agents: int, traffic: float, aht_seconds: float) -> float:
    """The mean wait in seconds over all contacts, C(N, A)·AHT / (N − A); infinite when N ≤ A."""
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_seconds / (agents - traffic)


def occupancy(*, agents: int, traffic: float) -> float:
    """The share of their time agents spend handling contacts, A/N (at most 1: the rest queues)."""
    if agents <= 0:
        return 1.0 if traffic > 0 else 0.0
    return min(1.0, traffic / agents)


@dataclass(frozen=True)
class Staffing:
    """What ``agents`` handling the offered traffic achieve, and how many to roster for it."""

    traffic: float  # Erlangs
    agents: int  # handling contacts at the same time
    rostered: int  # agents / (1 − shrinkage), rounded up: breaks, training, absence
    wait_probability: float
    service_level: float
    average_speed_of_answer: float  # seconds
    occupancy: float
    answered_immediately: float


def agents_needed(*, arrivals_per_hour: float, aht_seconds: float, target_service_level: float,
                  target_seconds: float, max_occupancy: float | None = None,
                  shrinkage: float = 0.0) -> Staffing:
    """The fewest agents whose service level reaches ``target_service_level`` within
    ``target_seconds`` (and whose occupancy stays at or under ``max_occupancy``, if given).

    Starts at the first N above the traffic and adds one agent at a time, carrying the Erlang B
    recursion along, so the whole search costs O(N).
    """
    if not 0 < target_service_level < 1:
        raise ValueError("the target service level must be between 0 and 1 (exclusive)")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError("the maximum occupancy must be above 0 and at most 1")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be at least 0 and below 1")
    if aht_seconds <= 0:
        raise ValueError("the average handle time must be positive")
    traffic = traffic_intensity(arrivals_per_hour=arrivals_per_hour, aht_seconds=aht_seconds)
    if traffic == 0:
        return Staffing(traffic=0.0, agents=0, rostered=0, wait_probability=0.0, service_level=1.0,
                        average_speed_of_answer=0.0, occupancy=0.0, answered_immediately=1.0)
    agents = math.floor(traffic) + 1
    blocking = erlang_b(agents, traffic)
    while True:
        wait = _erlang_c_from_b(agents, traffic, blocking)
        level = _service_level(agents, traffic, wait, aht_seconds, target_seconds)
        busy = traffic / agents
        if (level >= target_service_level and (max_occupancy is None or busy <= max_occupancy)) \
                or agents >= MAX_AGENTS:
            break
        agents += 1
        blocking = traffic * blocking / (agents + traffic * blocking)
    return Staffing(
        traffic=traffic, agents=agents, rostered=math.ceil(agents / (1.0 - shrinkage) - _EPSILON),
        wait_probability=wait, service_level=level,
        average_speed_of_answer=wait * aht_seconds / (agents - traffic), occupancy=busy,
        answered_immediately=1.0 - wait,
    )
