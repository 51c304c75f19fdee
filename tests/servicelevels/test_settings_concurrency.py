"""Service-level settings saved at the same moment: one default calendar whoever wins, and policy
positions that stay 0, 1, 2 … when policies are added and moved at once. Real threads, real
PostgreSQL locks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from layan.accounts.actors import Actor
from layan.errors import Conflict
from layan.servicelevels import settings_services as services
from layan.servicelevels.models import BusinessCalendar, ServiceLevelPolicy

pytestmark = [
    pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; the race needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

WEEK = ["08:00-17:00"] * 5 + ["", ""]


def _all_at_once(calls) -> list:
    barrier = threading.Barrier(len(calls))

    def worker(call):
        try:
            barrier.wait(timeout=20)
            return call()
        except Conflict as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(worker, call) for call in calls]]


def test_calendars_made_default_at_once_leave_exactly_one_default(world, settings):
    settings.LANGUAGE_CODE = "en"  # the worker threads start in the default language
    actor = Actor.for_agent(world.supervisor)
    calendars = [services.save_calendar(actor=actor, name=f"Kantor {i}", timezone="Asia/Jakarta",
                                        holiday_country="ID", week=WEEK) for i in range(6)]

    outcomes = _all_at_once([lambda c=c: services.save_calendar(
        actor=actor, calendar=c, name=c.name, timezone="Asia/Jakarta", holiday_country="ID", is_default=True,
        week=WEEK) for c in calendars])

    assert BusinessCalendar.objects.filter(workspace=world.workspace, is_default=True).count() == 1
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert {o.message for o in refused} <= {"Another calendar was made the default at the same moment; try again."}
    assert len(refused) < len(calendars)


def test_policies_added_and_moved_at_once_keep_distinct_positions(world):
    actor = Actor.for_agent(world.supervisor)
    existing = [services.save_policy(actor=actor, name=f"Lama {i}", first_response_minutes=30) for i in range(3)]

    outcomes = _all_at_once(
        [lambda i=i: services.save_policy(actor=actor, name=f"Baru {i}", first_response_minutes=30) for i in range(4)]
        + [lambda: services.move_policy(actor=actor, policy=existing[2], direction="up"),
           lambda: services.move_policy(actor=actor, policy=existing[0], direction="down")])

    assert not [o for o in outcomes if isinstance(o, Exception)]
    positions = list(ServiceLevelPolicy.objects.filter(workspace=world.workspace).values_list("position", flat=True))
    assert sorted(positions) == list(range(7))
