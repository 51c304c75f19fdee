"""How fast service-level due dates are computed: 100,000 conversations arriving at random instants
of 2026-2027 on a realistic Indonesian calendar (Mon-Fri 08:00-12:00 and 13:00-17:00, Saturday
08:00-12:00 WIB, public holidays from the holidays package, cuti bersama closures), each with a
first-response, next-response and resolution target and a warning time (four additions each).

    .venv/bin/python benchmarks/sla_due_dates.py [--conversations 100000] [--seed 6]

Two runs: "shared calendar" reuses one calendar value (its per-day cache warm, as a batch
recompute would), "fresh calendar per conversation" builds the value anew for every conversation,
as `servicelevels.services.sync_clocks` does after loading the calendar rows. No database: this
measures the arithmetic; the database side of one clock computation is a fixed 12 queries
(tests/servicelevels/test_sweeper_and_escalations.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from layan.servicelevels.business_time import Calendar  # noqa: E402 - after the path is set

WEEK = [[(8 * 60, 12 * 60), (13 * 60, 17 * 60)]] * 5 + [[(8 * 60, 12 * 60)], []]
# Cuti bersama of 2026 and 2027 as a company would add them (around Idul Fitri and Christmas).
CLOSURES = [date(2026, 3, 18), date(2026, 3, 19), date(2026, 3, 23), date(2026, 3, 24), date(2026, 12, 24),
            date(2027, 3, 8), date(2027, 3, 11), date(2027, 3, 12), date(2027, 12, 24)]
TARGETS = [(30, 240, 3 * 9 * 60), (60, 480, 5 * 9 * 60), (15, 60, 9 * 60), (120, 480, 10 * 9 * 60)]  # minutes


def build() -> Calendar:
    return Calendar.build(timezone="Asia/Jakarta", week=WEEK, holiday_country="ID", closed_dates=CLOSURES)


def due_dates(calendar_for, arrivals) -> tuple[float, int]:
    started = time.perf_counter()
    checksum = 0
    for arrival, (first, following, resolution) in arrivals:
        calendar = calendar_for()
        checksum ^= hash(calendar.add_minutes(arrival, first))
        checksum ^= hash(calendar.add_minutes(arrival, max(first - 10, 0)))  # the warning
        checksum ^= hash(calendar.add_minutes(arrival, following))
        checksum ^= hash(calendar.add_minutes(arrival, resolution))
    return time.perf_counter() - started, checksum


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    span = int(timedelta(days=2 * 365).total_seconds())
    start = datetime(2026, 1, 1, tzinfo=UTC)
    arrivals = [(start + timedelta(seconds=rng.randrange(span)), rng.choice(TARGETS))
                for _ in range(args.conversations)]
    shared = build()
    shared.add_minutes(start, 1)  # load the holidays once, as a running process has them
    n = args.conversations
    print(f"{n:,} conversations, 4 due dates each, Mon-Sat split shifts WIB, Indonesian holidays + cuti bersama")
    for label, calendar_for in (("shared calendar", lambda: shared), ("fresh calendar per conversation", build)):
        seconds, _checksum = due_dates(calendar_for, arrivals)
        print(f"  {label:34s} {seconds:6.2f} s   {n / seconds:10,.0f} conversations/s"
              f"   {seconds / n * 1e6:6.1f} µs each")


if __name__ == "__main__":
    main()
