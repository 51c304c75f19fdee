"""Who is on call when: pure functions over a rotation's shape (no database), so they can be
proven exhaustively. Shifts are wall-clock time in the rotation's timezone: a daily rotation
hands over at 08:00 local every day, also on a day a DST change makes 23 or 25 hours long.
See docs/flows/oncall.md."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class Cover:
    """An override: ``agent_id`` is on call from ``starts_at`` (included) to ``ends_at`` (excluded)."""

    agent_id: int
    starts_at: datetime
    ends_at: datetime
    order: int = 0  # the later-made override wins where two overlap (its primary key)


@dataclass(frozen=True)
class Schedule:
    timezone: str
    member_ids: tuple[int, ...]  # in rotation order
    shift_hours: int
    handover_time: time
    starts_on: date
    overrides: tuple[Cover, ...] = ()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Slot:
    """A stretch of time one agent is on call."""

    agent_id: int | None
    starts_at: datetime
    ends_at: datetime
    is_override: bool = False


def _anchor(schedule: Schedule) -> datetime:
    return datetime.combine(schedule.starts_on, schedule.handover_time)  # naive local wall time


def _local_wall(schedule: Schedule, at: datetime) -> datetime:
    return at.astimezone(schedule.zone).replace(tzinfo=None)


def shift_index(schedule: Schedule, at: datetime) -> int:
    """Which shift ``at`` falls in, counted in wall-clock hours from the first hand-over (negative before it)."""
    elapsed = _local_wall(schedule, at) - _anchor(schedule)
    return elapsed // timedelta(hours=schedule.shift_hours)


def shift_start(schedule: Schedule, index: int) -> datetime:
    """The instant shift ``index`` begins (aware, UTC): the first instant whose local wall time
    reaches the hand-over. A repeated wall time (DST fall-back) hands over at its first
    occurrence; one that does not exist (a DST gap) at the end of the gap."""
    wall = _anchor(schedule) + timedelta(hours=schedule.shift_hours) * index
    instant = wall.replace(tzinfo=schedule.zone).astimezone(UTC)
    if _local_wall(schedule, instant) == wall:
        return instant
    # In a gap: zoneinfo reads the wall time with the offset from before the gap (fold=0, an
    # instant after it) or after it (fold=1, an instant before it). The change lies between.
    low = int(wall.replace(tzinfo=schedule.zone, fold=1).timestamp())  # before the gap
    high = int(instant.timestamp())  # after it
    while high - low > 1:  # zones change offset on a whole second
        middle = (low + high) // 2
        if _local_wall(schedule, datetime.fromtimestamp(middle, UTC)) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def current_shift(schedule: Schedule, at: datetime) -> int:
    """The shift ``at`` falls in: the last one that began at or before it (monotonic in ``at``,
    also across a fall-back hour whose wall times come twice)."""
    index = shift_index(schedule, at)
    while shift_start(schedule, index + 1) <= at:
        index += 1
    while shift_start(schedule, index) > at:
        index -= 1
    return index


def _rotation_agent(schedule: Schedule, at: datetime) -> int | None:
    if not schedule.member_ids:
        return None
    return schedule.member_ids[current_shift(schedule, at) % len(schedule.member_ids)]


def _covering(schedule: Schedule, at: datetime) -> Cover | None:
    best = None
    for cover in schedule.overrides:
        if cover.starts_at <= at < cover.ends_at and (best is None or cover.order > best.order):
            best = cover
    return best


def on_call_at(schedule: Schedule, at: datetime) -> int | None:
    """The agent on call at ``at``: an override covering it first, else the rotation's turn."""
    cover = _covering(schedule, at)
    if cover is not None:
        return cover.agent_id
    return _rotation_agent(schedule, at)


def slots_between(schedule: Schedule, start: datetime, end: datetime) -> list[Slot]:
    """Who is on call from ``start`` to ``end``, as consecutive slots (touching slots of the same
    agent from the same source are joined)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    cuts = {start, end}
    if schedule.member_ids:
        index = current_shift(schedule, start)
        while True:
            boundary = shift_start(schedule, index)
            if boundary >= end:
                break
            if boundary > start:
                cuts.add(boundary)
            index += 1
    for cover in schedule.overrides:
        for instant in (cover.starts_at, cover.ends_at):
            instant = instant.astimezone(UTC)
            if start < instant < end:
                cuts.add(instant)
    ordered = sorted(cuts)
    slots: list[Slot] = []
    for left, right in zip(ordered, ordered[1:], strict=False):
        cover = _covering(schedule, left)
        agent_id = cover.agent_id if cover else _rotation_agent(schedule, left)
        slot = Slot(agent_id=agent_id, starts_at=left, ends_at=right, is_override=cover is not None)
        previous = slots[-1] if slots else None
        if (previous and previous.agent_id == slot.agent_id and previous.is_override == slot.is_override
                and previous.ends_at == left and not _is_handover(schedule, left)):
            slots[-1] = Slot(previous.agent_id, previous.starts_at, right, previous.is_override)
        else:
            slots.append(slot)
    return slots


def _is_handover(schedule: Schedule, at: datetime) -> bool:
    return bool(schedule.member_ids) and shift_start(schedule, current_shift(schedule, at)) == at


def next_in_rotation(schedule: Schedule, agent_id: int | None, skip: int = 1) -> int | None:
    """The member ``skip`` places after ``agent_id`` in rotation order (escalation), or the first."""
    members = schedule.member_ids
    if not members:
        return None
    if agent_id not in members:
        return members[(skip - 1) % len(members)]
    return members[(members.index(agent_id) + skip) % len(members)]
