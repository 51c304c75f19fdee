"""Service-level fixtures: an office calendar (Mon–Fri 08:00–17:00 WIB, Indonesian holidays), a
policy factory, and `settle()`: run a change with its after-commit subscribers, as in production."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from layan.servicelevels.models import BusinessCalendar, BusinessHours, ServiceLevelPolicy

JAKARTA = ZoneInfo("Asia/Jakarta")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


@pytest.fixture
def office_calendar(world) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(workspace=world.workspace, name="Kantor Jakarta",
                                               timezone="Asia/Jakarta", holiday_country="ID", is_default=True)
    BusinessHours.objects.bulk_create([BusinessHours(calendar=calendar, weekday=day, opens_at=time(8),
                                                     closes_at=time(17)) for day in range(5)])
    return calendar


@pytest.fixture
def policy(world, office_calendar):
    """`policy(**fields)`: an active policy of the world's workspace (business hours by default)."""

    def make(**fields) -> ServiceLevelPolicy:
        teams = fields.pop("teams", ())
        fields.setdefault("name", f"Policy {ServiceLevelPolicy.objects.count() + 1}")
        made = ServiceLevelPolicy.objects.create(workspace=world.workspace, **fields)
        made.teams.set(teams)
        return made

    return make


@pytest.fixture
def settle(django_capture_on_commit_callbacks):
    """`settle(fn, *args, **kwargs)`: call fn and run what its commit triggers (the subscribers,
    the Huey tasks inline), and what those trigger in turn."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
