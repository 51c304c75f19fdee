"""Domain events and THE subscriber table.

Services call :func:`publish` inside their transaction; nothing happens until it commits. Then
each subscriber runs: synchronous ones (cheap, e.g. realtime push) in the committing process,
asynchronous ones as one Huey task each, so each retries on its own. See docs/flows/events.md.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import importlib
import logging
from dataclasses import dataclass, field
from typing import Literal

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    workspace_id: int
    # The automation rules whose actions caused this event, oldest first (empty: a person or the
    # system did it). Stamped by publish(); automation uses it to stop rule loops.
    rule_chain: tuple[int, ...] = field(default=(), kw_only=True)

    @property
    def name(self) -> str:
        return type(self).__name__

    def as_payload(self) -> dict:
        return {"event": self.name, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class ConversationCreated(Event):
    conversation_id: int


@dataclass(frozen=True)
class MessageReceived(Event):
    conversation_id: int
    message_id: int


@dataclass(frozen=True)
class ReplyQueued(Event):
    conversation_id: int
    message_id: int
    outbox_item_id: int


@dataclass(frozen=True)
class NoteAdded(Event):
    conversation_id: int
    message_id: int


@dataclass(frozen=True)
class ConversationAssigned(Event):
    conversation_id: int
    assignee_id: int | None
    team_id: int | None
    by_agent_id: int | None = None  # who assigned it (None: the system); nobody is alerted of their own doing


@dataclass(frozen=True)
class ConversationStatusChanged(Event):
    conversation_id: int
    old_status: str
    new_status: str


@dataclass(frozen=True)
class ConversationUpdated(Event):
    conversation_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ConversationsMerged(Event):
    source_id: int
    target_id: int


@dataclass(frozen=True)
class CustomersMerged(Event):
    source_id: int
    target_id: int


@dataclass(frozen=True)
class MessageDeliveryChanged(Event):
    conversation_id: int
    message_id: int
    status: str


@dataclass(frozen=True)
class AgentAvailabilityChanged(Event):
    agent_id: int
    availability: str


@dataclass(frozen=True)
class ServiceLevelWarned(Event):
    """A service-level target of a conversation is near (servicelevels): warning_before its due time."""

    conversation_id: int
    policy_id: int
    metric: str  # first_response | next_response | resolution
    due_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class ServiceLevelBreached(Event):
    conversation_id: int
    policy_id: int
    metric: str
    due_at: str


@dataclass(frozen=True)
class AgentNotified(Event):
    agent_id: int
    notification_id: int


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        ConversationCreated,
        MessageReceived,
        ReplyQueued,
        NoteAdded,
        ConversationAssigned,
        ConversationStatusChanged,
        ConversationUpdated,
        ConversationsMerged,
        CustomersMerged,
        MessageDeliveryChanged,
        AgentAvailabilityChanged,
        AgentNotified,
        ServiceLevelWarned,
        ServiceLevelBreached,
    )
}

Mode = Literal["sync", "async"]

_REALTIME = ("layan.web.realtime.push_event", "sync")
_ONCALL = ("layan.servicelevels.oncall.page_for_event", "async")  # page the on-call agent for an emergency
_ROUTE = ("layan.routing.services.route_after_event", "async")
# Service-level clocks follow every change that can start, pause, stop or re-target them.
_CLOCKS = ("layan.servicelevels.services.sync_clocks_for_event", "async")
_ESCALATE = ("layan.servicelevels.services.escalate_for_event", "async")
_AUTOMATION = ("layan.automation.engine.run_rules_for_event", "async")

# THE subscriber table: event type -> (dotted path of a callable taking the event, mode).
SUBSCRIBERS: dict[type[Event], list[tuple[str, Mode]]] = {
    ConversationCreated: [_REALTIME, _CLOCKS, _ONCALL, _ROUTE, _AUTOMATION],
    MessageReceived: [_REALTIME, _CLOCKS, _ONCALL, _ROUTE, _AUTOMATION],
    ReplyQueued: [_REALTIME, ("layan.delivery.services.deliver_outbox_item_for_event", "async"), _CLOCKS],
    NoteAdded: [_REALTIME],
    ConversationAssigned: [_REALTIME, _CLOCKS, _ROUTE],
    ConversationStatusChanged: [_REALTIME, ("layan.automation.engine.record_status_since", "sync"), _CLOCKS, _ROUTE,
                                _AUTOMATION],
    ConversationUpdated: [_REALTIME, _CLOCKS, _ONCALL],
    ConversationsMerged: [_REALTIME, _CLOCKS],
    CustomersMerged: [],
    MessageDeliveryChanged: [_REALTIME],
    AgentAvailabilityChanged: [_REALTIME, ("layan.routing.services.route_after_availability_change", "async")],
    AgentNotified: [_REALTIME, ("layan.accounts.notifications.email_notification", "async")],
    ServiceLevelWarned: [_REALTIME, _ESCALATE, _AUTOMATION],
    ServiceLevelBreached: [_REALTIME, _ESCALATE, _AUTOMATION],
}


_RULE_CHAIN: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar("rule_chain", default=())


@contextlib.contextmanager
def caused_by_rules(chain: tuple[int, ...]):
    """Events published inside this block carry ``chain`` as their rule_chain (automation's actions)."""
    token = _RULE_CHAIN.set(tuple(chain))
    try:
        yield
    finally:
        _RULE_CHAIN.reset(token)


def publish(event: Event) -> None:
    """Dispatch ``event`` to its subscribers once the current transaction commits."""
    chain = _RULE_CHAIN.get()
    if chain and not event.rule_chain:
        event = dataclasses.replace(event, rule_chain=chain)
    transaction.on_commit(lambda: dispatch(event), robust=True)


def resolve(path: str):
    module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def dispatch(event: Event) -> None:
    from layan import jobs

    for path, mode in SUBSCRIBERS.get(type(event), []):
        if mode == "sync":
            try:
                resolve(path)(event)
            except Exception:
                # A synchronous subscriber is a courtesy (e.g. a screen refresh); it must never
                # break the request that committed the change.
                logger.exception("synchronous subscriber %s failed for %s", path, event.name)
        else:
            jobs.run_subscriber(path, event.as_payload())


def event_from_payload(payload: dict) -> Event:
    data = dict(payload)
    cls = EVENT_TYPES[data.pop("event")]
    field_types = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in list(data.items()):
        if key in field_types and isinstance(value, list):
            data[key] = tuple(value)
    return cls(**data)
