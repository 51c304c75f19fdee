"""The only writers of service-level clocks, breaches and escalation runs. See
docs/flows/servicelevels.md for the rules.

``sync_clocks`` reconciles a conversation's clocks with the conversation as it is now; every
conversation event calls it, so the order events arrive in does not matter. The sweeper records
warnings and breaches once; the escalation subscriber acts on them once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Agent, Role, TeamMembership
from layan.accounts.notifications import notify_agents
from layan.conversations import services as conversations
from layan.conversations.models import (
    AuthorKind,
    Conversation,
    Direction,
    Message,
    Priority,
    Status,
)
from layan.servicelevels import business_time
from layan.servicelevels.models import (
    ClockState,
    ConversationServiceLevel,
    Escalation,
    EscalationKind,
    EscalationRun,
    Metric,
    ServiceLevelBreach,
    ServiceLevelClock,
    ServiceLevelPolicy,
    Trigger,
)
from layan.servicelevels.selectors import (
    active_policies,
    calendar_for,
    choose_policy,
    clock_calendar,
)

logger = logging.getLogger(__name__)

SWEEP_BATCH = 1000
OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.PAUSED)
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


# --- the clock rules --------------------------------------------------------------------------


def _pause(clock: ServiceLevelClock, calendar: business_time.Calendar, at: datetime) -> None:
    if clock.state != ClockState.RUNNING:
        return
    clock.elapsed += calendar.between(clock.running_since, max(at, clock.running_since))
    clock.running_since = None
    clock.state = ClockState.PAUSED
    clock.due_at = clock.breached_at and clock.due_at  # a missed due time stays shown; else none while paused
    clock.warn_at = None


def _stop(clock: ServiceLevelClock, calendar: business_time.Calendar, at: datetime, state: str) -> None:
    due_at = clock.due_at
    _pause(clock, calendar, at)
    clock.state = state
    clock.stopped_at = at
    # A met target keeps its due time (history: due vs met); a cancelled one has none.
    clock.due_at = due_at if state == ClockState.ACHIEVED else None


def _run(clock: ServiceLevelClock, calendar: business_time.Calendar, at: datetime, warning_minutes: int) -> None:
    """Make ``clock`` run from ``at`` (or keep it running) and place its warning and due times."""
    if clock.state != ClockState.RUNNING:
        clock.state = ClockState.RUNNING
        clock.running_since = at
        clock.stopped_at = None
    if clock.breached_at:
        return  # already missed: its due time is history, the clock runs on until the target is met
    target = timedelta(minutes=clock.target_minutes)
    remaining = max(target - clock.elapsed, timedelta(0))
    clock.due_at = calendar.add(clock.running_since, remaining)
    if warning_minutes and not clock.warned_at:
        before_warning = max(target - timedelta(minutes=warning_minutes) - clock.elapsed, timedelta(0))
        clock.warn_at = calendar.add(clock.running_since, before_warning)
    else:
        clock.warn_at = None


def _new_clock(conversation: Conversation, metric: str, policy: ServiceLevelPolicy, target: int,
               calendar_id: int | None, started_at: datetime, cycle: int = 1) -> ServiceLevelClock:
    return ServiceLevelClock(workspace_id=conversation.workspace_id, conversation=conversation, metric=metric,
                             policy=policy, cycle=cycle, state=ClockState.PAUSED, target_minutes=target,
                             business_hours=policy.hours == "business" and calendar_id is not None,
                             calendar_id=calendar_id, started_at=started_at, elapsed=timedelta(0))


def _restart_cycle(clock: ServiceLevelClock, started_at: datetime) -> None:
    clock.cycle += 1
    clock.state = ClockState.PAUSED  # _run starts it
    clock.started_at = started_at
    clock.running_since = None
    clock.elapsed = timedelta(0)
    clock.due_at = clock.warn_at = clock.warned_at = clock.breached_at = clock.stopped_at = None


def _replies(conversation: Conversation) -> tuple[datetime | None, datetime | None]:
    """(last agent reply, first customer message after it): 2 queries on the thread index, however
    long the thread."""
    replies = Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND,
                                     author_kind=AuthorKind.AGENT, is_note=False)
    last_reply = replies.order_by("-id").values_list("id", "created_at").first()
    if last_reply is None:
        return None, None
    waiting = (Message.objects.filter(conversation=conversation, direction=Direction.INBOUND, is_note=False,
                                      id__gt=last_reply[0]).order_by("id").values_list("created_at", flat=True).first())
    return last_reply[1], waiting


@transaction.atomic
def sync_clocks(*, conversation_id: int, at: datetime | None = None) -> list[ServiceLevelClock]:
    """Bring the conversation's clocks in line with the conversation as it is now.

    Runs a fixed number of queries whatever the length of the conversation (asserted in
    tests/servicelevels/test_sweeper_and_escalations.py)."""
    at = at or timezone.now()
    conversation = (Conversation.objects.select_for_update(of=("self",)).select_related("customer")
                    .filter(pk=conversation_id).first())
    if conversation is None:
        return []
    clocks = {c.metric: c for c in ServiceLevelClock.objects.select_for_update().filter(conversation=conversation)}
    loaded = {metric: _fields(c) for metric, c in clocks.items()}
    merged = conversation.merged_into_id is not None
    policy = None if merged else choose_policy(active_policies(workspace_id=conversation.workspace_id),
                                                         conversation)
    calendar_row = calendar_for(workspace_id=conversation.workspace_id, team_id=conversation.team_id,
                                policy=policy) if policy else None
    calendar = clock_calendar(policy, calendar_row) if policy else business_time.always_open()
    calendar_id = calendar_row.pk if calendar_row is not None and policy and policy.hours == "business" else None

    paused = conversation.status == Status.PENDING
    solved = conversation.status in (Status.SOLVED, Status.CLOSED)
    solved_at = conversation.solved_at or conversation.closed_at or at
    last_reply, waiting_since = _replies(conversation) if policy and policy.next_response_minutes else (None, None)

    changed: list[ServiceLevelClock] = []
    for metric in Metric.values:
        clock = clocks.get(metric)
        target = policy.target(metric) if policy else None
        if target is None:
            if clock is not None and clock.state in OPEN_CLOCK_STATES:
                _stop(clock, calendar, at, ClockState.CANCELLED)
                changed.append(clock)
            continue
        if clock is not None and (clock.policy_id, clock.target_minutes, clock.calendar_id) != (
                policy.pk, target, calendar_id):
            # Re-chosen policy (priority, team, type, channel changed): the new target applies to
            # the time already spent.
            if clock.state == ClockState.RUNNING:
                _pause(clock, calendar, at)
                clock.state = ClockState.RUNNING  # resumes below, due time recomputed
                clock.running_since = at
            clock.policy, clock.target_minutes, clock.calendar_id = policy, target, calendar_id
            clock.business_hours = calendar_id is not None
            changed.append(clock)

        if metric == Metric.FIRST_RESPONSE:
            start, done_at = conversation.created_at, conversation.first_response_at
            if done_at is None and solved:
                done_at = solved_at  # solved without a reply: nothing more to answer
        elif metric == Metric.RESOLUTION:
            start, done_at = conversation.created_at, solved_at if solved else None
        elif clock is not None and clock.state in OPEN_CLOCK_STATES:  # next response, waiting
            start = clock.started_at
            done_at = solved_at if solved else (last_reply if last_reply and last_reply > start else None)
        else:  # next response, nobody waiting so far: a customer message after the latest reply starts a cycle
            if waiting_since is None or solved:
                continue
            if clock is not None:
                if waiting_since <= clock.started_at:
                    continue  # this cycle was answered already
                _restart_cycle(clock, waiting_since)
                clock.state, clock.running_since = ClockState.RUNNING, waiting_since
                changed.append(clock)
            start, done_at = waiting_since, None

        if clock is None:
            if done_at is not None and done_at <= start:
                continue  # nobody waited: an agent started the conversation
            clock = _new_clock(conversation, metric, policy, target, calendar_id, start)
            clock.state = ClockState.RUNNING
            clock.running_since = start
            clocks[metric] = clock
            if done_at is not None:  # already met when we first see it (a late event): record how
                _run(clock, calendar, start, 0)
        if done_at is not None:
            if clock.state in OPEN_CLOCK_STATES:
                missed_unseen = (clock.state == ClockState.RUNNING and clock.due_at is not None
                                 and not clock.breached_at and done_at > clock.due_at)
                if missed_unseen:
                    # Met late before the sweeper saw it due (it was down, or the event came late):
                    # the breach is recorded all the same, already met; nothing left to escalate.
                    clock.breached_at = clock.due_at
                _stop(clock, calendar, done_at, ClockState.ACHIEVED)
                if missed_unseen:
                    ServiceLevelBreach.objects.create(
                        workspace_id=conversation.workspace_id, conversation=conversation, policy=policy,
                        metric=metric, cycle=clock.cycle, target_minutes=clock.target_minutes,
                        due_at=clock.due_at, breached_at=clock.due_at, achieved_at=done_at)
                elif clock.breached_at:
                    ServiceLevelBreach.objects.filter(conversation=conversation, metric=metric, cycle=clock.cycle,
                                                      achieved_at__isnull=True).update(achieved_at=done_at)
                changed.append(clock)
            continue
        if paused:
            if clock.state == ClockState.RUNNING:
                _pause(clock, calendar, at)
                changed.append(clock)
            continue
        # Running: started now, resumed after pending, or reopened after a solve.
        resume_at = at if clock.state != ClockState.RUNNING else clock.running_since
        _run(clock, calendar, resume_at, policy.warning_minutes)
        changed.append(clock)

    for clock in {id(c): c for c in changed}.values():
        if clock.pk is None or _fields(clock) != loaded.get(clock.metric):  # unchanged rows are not rewritten
            clock.updated_at = at
            clock.save()
    _save_summary(conversation, policy, list(clocks.values()), at)
    return list(clocks.values())


_TRACKED = ("policy_id", "cycle", "state", "target_minutes", "business_hours", "calendar_id", "started_at",
            "running_since", "elapsed", "due_at", "warn_at", "warned_at", "breached_at", "stopped_at")


def _fields(clock: ServiceLevelClock) -> tuple:
    return tuple(getattr(clock, name) for name in _TRACKED)


def _save_summary(conversation: Conversation, policy: ServiceLevelPolicy | None,
                  clocks: list[ServiceLevelClock], at: datetime) -> None:
    running = [c for c in clocks if c.state == ClockState.RUNNING and c.due_at]
    nearest = min(running, key=lambda c: c.due_at, default=None)
    values = {
        "workspace_id": conversation.workspace_id, "policy": policy,
        "next_due_at": nearest.due_at if nearest else None, "next_metric": nearest.metric if nearest else "",
        "breached": any(c.breached_at and c.state in OPEN_CLOCK_STATES for c in clocks),
        "paused": bool(clocks) and not running and any(c.state == ClockState.PAUSED for c in clocks),
        "updated_at": at,
    }
    # The conversation row is locked: nobody else writes this summary meanwhile.
    if not ConversationServiceLevel.objects.filter(conversation=conversation).update(**values) and (policy or clocks):
        # Conversations no policy ever applied to get no row: the inbox's join treats them as
        # having no due time.
        ConversationServiceLevel.objects.create(conversation=conversation, **values)


# Conversation events that can change what the clocks should do.
def sync_clocks_for_event(event: events.Event) -> None:
    if isinstance(event, events.ConversationsMerged):
        for conversation_id in (event.source_id, event.target_id):
            sync_clocks(conversation_id=conversation_id)
        return
    if isinstance(event, events.ConversationUpdated) and not set(event.fields) & {"priority", "type"}:
        return
    sync_clocks(conversation_id=event.conversation_id)


# --- the sweeper ------------------------------------------------------------------------------


def sweep_service_levels(*, now: datetime | None = None) -> tuple[int, int]:
    """Record the warnings and breaches that are due; returns (warnings, breaches) recorded now.

    Each one is claimed with a conditional UPDATE, so a second sweeper running at the same time
    (or the same one run twice) records and publishes nothing more."""
    now = now or timezone.now()
    warned = breached = 0
    while True:
        batch_warned, batch_breached, full = _sweep_batch(now)
        warned, breached = warned + batch_warned, breached + batch_breached
        if not full or not (batch_warned or batch_breached):
            return warned, breached


def _sweep_batch(now: datetime) -> tuple[int, int, bool]:
    warned = breached = 0
    due_warnings = list(ServiceLevelClock.objects.filter(
        state=ClockState.RUNNING, warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now,
    ).order_by("warn_at").values("pk", "workspace_id", "conversation_id", "policy_id", "metric", "cycle",
                                 "warn_at", "due_at")[:SWEEP_BATCH])
    for row in due_warnings:
        with transaction.atomic():
            claimed = ServiceLevelClock.objects.filter(
                pk=row["pk"], state=ClockState.RUNNING, cycle=row["cycle"], warn_at=row["warn_at"],
                warned_at__isnull=True, breached_at__isnull=True).update(warned_at=now)
            if claimed:
                warned += 1
                events.publish(events.ServiceLevelWarned(
                    workspace_id=row["workspace_id"], conversation_id=row["conversation_id"],
                    policy_id=row["policy_id"], metric=row["metric"], due_at=row["due_at"].isoformat()))
    due_breaches = list(ServiceLevelClock.objects.filter(
        state=ClockState.RUNNING, breached_at__isnull=True, due_at__lte=now,
    ).order_by("due_at").values("pk", "workspace_id", "conversation_id", "policy_id", "metric", "cycle",
                                "due_at", "target_minutes")[:SWEEP_BATCH])
    for row in due_breaches:
        with transaction.atomic():
            # The breach happened at the due time, not when the sweeper noticed it.
            claimed = ServiceLevelClock.objects.filter(
                pk=row["pk"], state=ClockState.RUNNING, cycle=row["cycle"], due_at=row["due_at"],
                breached_at__isnull=True).update(breached_at=row["due_at"], updated_at=now)
            if not claimed:
                continue
            ServiceLevelBreach.objects.create(
                workspace_id=row["workspace_id"], conversation_id=row["conversation_id"], policy_id=row["policy_id"],
                metric=row["metric"], cycle=row["cycle"], target_minutes=row["target_minutes"],
                due_at=row["due_at"], breached_at=row["due_at"])
            ConversationServiceLevel.objects.filter(conversation_id=row["conversation_id"]).update(breached=True)
            breached += 1
            events.publish(events.ServiceLevelBreached(
                workspace_id=row["workspace_id"], conversation_id=row["conversation_id"],
                policy_id=row["policy_id"], metric=row["metric"], due_at=row["due_at"].isoformat()))
    return warned, breached, SWEEP_BATCH in (len(due_warnings), len(due_breaches))


# --- escalations ------------------------------------------------------------------------------


def escalate_for_event(event: events.ServiceLevelWarned | events.ServiceLevelBreached) -> int:
    """Carry out the policy's escalations for this warning or breach, each once; returns how many
    ran now."""
    trigger = Trigger.BREACH if isinstance(event, events.ServiceLevelBreached) else Trigger.WARNING
    escalations = list(Escalation.objects.filter(policy_id=event.policy_id, trigger=trigger)
                       .filter(Q(metric="") | Q(metric=event.metric)).select_related("team").order_by("id"))
    if not escalations:
        return 0
    due_at = datetime.fromisoformat(event.due_at)
    ran = 0
    for escalation in escalations:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    EscalationRun.objects.create(escalation=escalation, conversation_id=event.conversation_id,
                                                 metric=event.metric, due_at=due_at)
            except IntegrityError:
                continue  # already carried out for this warning or breach
            conversation = (Conversation.objects.select_related("workspace", "team")
                            .filter(pk=event.conversation_id).first())
            if conversation is None or conversation.merged_into_id:
                continue
            _carry_out(escalation, conversation, trigger, event.metric, due_at)
            ran += 1
    return ran


def _carry_out(escalation: Escalation, conversation: Conversation, trigger: str, metric: str,
               due_at: datetime) -> None:
    actor = Actor.system(conversation.workspace)
    if escalation.action == EscalationKind.REASSIGN:
        conversations.assign_conversation(actor=actor, conversation=conversation, team=escalation.team, assignee=None)
        return
    if escalation.action == EscalationKind.RAISE_PRIORITY:
        current = PRIORITY_ORDER.index(conversation.priority)
        wanted = (PRIORITY_ORDER.index(escalation.priority) if escalation.priority
                  else min(current + 1, len(PRIORITY_ORDER) - 1))
        if wanted > current:  # only ever up
            conversations.set_priority(actor=actor, conversation=conversation, priority=PRIORITY_ORDER[wanted])
        return
    if escalation.action == EscalationKind.NOTIFY_ASSIGNEE:
        agent_ids = [conversation.assignee_id] if conversation.assignee_id else []
    elif escalation.action == EscalationKind.NOTIFY_TEAM:
        agent_ids = list(TeamMembership.objects.filter(team_id=conversation.team_id).values_list("agent_id", flat=True)) \
            if conversation.team_id else []
    else:
        agent_ids = list(Agent.objects.filter(workspace_id=conversation.workspace_id, is_active=True,
                                              role__in=[Role.SUPERVISOR, Role.ADMIN]).values_list("pk", flat=True))
    number = conversation.number
    metric_label = Metric(metric).label

    def wording() -> tuple[str, str]:
        if trigger == Trigger.BREACH:
            return (_("Service level missed on #%(n)s") % {"n": number},
                    _("The %(metric)s target of conversation #%(n)s was due at %(due)s.") % {
                        "metric": str(metric_label).lower(), "n": number,
                        "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")})
        return (_("Service level at risk on #%(n)s") % {"n": number},
                _("The %(metric)s target of conversation #%(n)s is due at %(due)s.") % {
                    "metric": str(metric_label).lower(), "n": number,
                    "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")})

    notify_agents(workspace_id=conversation.workspace_id, agent_ids=agent_ids, kind=f"sla_{trigger}",
                  wording=wording, conversation_id=conversation.pk, url=f"/c/{number}/",
                  dedupe_key=f"sla:{escalation.pk}:{conversation.pk}:{metric}:{due_at.isoformat()}")
