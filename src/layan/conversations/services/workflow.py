"""Ticket workflow: status, priority, type, assignment, tags, followers, links, time, merge."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Agent, Team
from layan.conversations.models import (
    ALLOWED_TRANSITIONS,
    AuthorKind,
    Conversation,
    ConversationLink,
    ConversationTag,
    ConversationType,
    Direction,
    Follower,
    LinkKind,
    Message,
    Participant,
    Priority,
    ReadMarker,
    Status,
    TimeEntry,
)
from layan.conversations.services.storage import apply_tags, audit, snapshot
from layan.customers.models import Customer
from layan.errors import Conflict, ErrorCode, InvalidInput, NotFound

UNSET = object()


def lock(conversation: Conversation) -> Conversation:
    """Re-read the conversation under a row lock: every change is decided on fresh state."""
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def refuse_if_merged(conversation: Conversation) -> None:
    if conversation.merged_into_id:
        raise Conflict(_("Conversation #%(n)s was merged into another conversation.") % {"n": conversation.number},
                       code=ErrorCode.CONVERSATION_MERGED)


def transition(conversation: Conversation, new_status: str) -> str | None:
    """Move ``conversation`` (locked, unsaved) to ``new_status``; returns the old status or None.

    Raises a clear error when the move is not allowed."""
    old = conversation.status
    if new_status == old:
        return None
    if new_status not in Status.values:
        raise InvalidInput(_("Unknown status: %(s)s") % {"s": new_status}, field="status")
    if new_status not in ALLOWED_TRANSITIONS[old]:
        raise Conflict(
            _("A %(old)s conversation cannot become %(new)s.") % {
                "old": Status(old).label, "new": Status(new_status).label},
            code=ErrorCode.ILLEGAL_TRANSITION, field="status",
        )
    now = timezone.now()
    conversation.status = new_status
    if new_status == Status.SOLVED:
        conversation.solved_at = now
    elif new_status == Status.CLOSED:
        conversation.closed_at = now
    elif old == Status.SOLVED:
        conversation.solved_at = None
    return old


def _save(conversation: Conversation, fields: Iterable[str]) -> None:
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def change_status(*, actor: Actor, conversation: Conversation, status: str) -> Conversation:
    conversation = lock(conversation)
    refuse_if_merged(conversation)
    before = snapshot(conversation)
    old = transition(conversation, status)
    if old is None:
        return conversation
    _save(conversation, ["status", "solved_at", "closed_at"])
    audit(actor, "conversation.status_changed", conversation, {"status": before["status"]}, {"status": status})
    events.publish(events.ConversationStatusChanged(workspace_id=conversation.workspace_id,
                                                    conversation_id=conversation.pk, old_status=old,
                                                    new_status=status))
    return conversation


@transaction.atomic
def update_conversation(*, actor: Actor, conversation: Conversation, subject=UNSET, priority=UNSET,
                        type=UNSET, custom_fields=UNSET) -> Conversation:  # noqa: A002 - the domain word
    conversation = lock(conversation)
    refuse_if_merged(conversation)
    before = snapshot(conversation)
    changed = []
    if subject is not UNSET:
        conversation.subject = (subject or "").strip()[:300]
        changed.append("subject")
    if priority is not UNSET:
        if priority not in Priority.values:
            raise InvalidInput(_("Priority must be low, normal, high or urgent."), field="priority")
        conversation.priority = priority
        changed.append("priority")
    if type is not UNSET:
        if type not in ConversationType.values:
            raise InvalidInput(_("Unknown conversation type."), field="type")
        conversation.type = type
        changed.append("type")
    if custom_fields is not UNSET:
        if not isinstance(custom_fields, dict):
            raise InvalidInput(_("Custom fields must be an object."), field="custom_fields")
        conversation.custom_fields = {**conversation.custom_fields, **custom_fields}
        conversation.custom_fields = {k: v for k, v in conversation.custom_fields.items() if v is not None}
        changed.append("custom_fields")
    changed = [f for f in changed if before.get(f) != getattr(conversation, f)]
    if not changed:
        return conversation
    _save(conversation, changed)
    audit(actor, "conversation.updated", conversation, {f: before[f] for f in changed},
          {f: getattr(conversation, f) for f in changed})
    events.publish(events.ConversationUpdated(workspace_id=conversation.workspace_id,
                                              conversation_id=conversation.pk, fields=tuple(changed)))
    return conversation


@transaction.atomic
def edit_conversation(*, actor: Actor, conversation: Conversation, status: str | None = None,
                      tags: Iterable[str] | None = None, assignee: Agent | None = UNSET, team: Team | None = UNSET,
                      **fields) -> Conversation:
    """Apply several changes at once, all or nothing (subject, priority, type, custom_fields,
    tags, assignment, status): a refused status change leaves the other fields untouched too."""
    if fields:
        conversation = update_conversation(actor=actor, conversation=conversation, **fields)
    if tags is not None:
        conversation = set_tags(actor=actor, conversation=conversation, names=tags)
    if assignee is not UNSET or team is not UNSET:  # an unchanged assignment writes nothing
        conversation = assign_conversation(actor=actor, conversation=conversation, assignee=assignee, team=team)
    if status is not None:
        conversation = change_status(actor=actor, conversation=conversation, status=status)
    return conversation


def set_priority(*, actor: Actor, conversation: Conversation, priority: str) -> Conversation:
    return update_conversation(actor=actor, conversation=conversation, priority=priority)


@transaction.atomic
def assign_conversation(*, actor: Actor, conversation: Conversation, assignee: Agent | None = UNSET,
                        team: Team | None = UNSET) -> Conversation:
    """Assign to an agent and/or a team (None unassigns). The agent must belong to the team."""
    conversation = lock(conversation)
    refuse_if_merged(conversation)
    before = snapshot(conversation)
    new_team_id = conversation.team_id if team is UNSET else (team.pk if team else None)
    new_assignee_id = conversation.assignee_id if assignee is UNSET else (assignee.pk if assignee else None)
    if assignee not in (UNSET, None):
        if assignee.workspace_id != conversation.workspace_id:
            raise InvalidInput(_("Agent not found."), field="assignee")
        if not assignee.is_active:
            raise InvalidInput(_("That agent is deactivated."), field="assignee")
        if new_team_id and not assignee.teams.filter(pk=new_team_id).exists():
            if team is UNSET:
                new_team_id = None  # the agent takes it out of a team they are not in
            else:
                raise InvalidInput(_("%(agent)s is not a member of that team.") % {"agent": assignee.display_name},
                                   field="assignee")
    if team not in (UNSET, None) and team.workspace_id != conversation.workspace_id:
        raise InvalidInput(_("Team not found."), field="team")
    if (new_team_id, new_assignee_id) == (conversation.team_id, conversation.assignee_id):
        return conversation
    conversation.team_id = new_team_id
    conversation.assignee_id = new_assignee_id
    _save(conversation, ["team", "assignee"])
    audit(actor, "conversation.assigned", conversation,
          {"team": before["team"], "assignee": before["assignee"]},
          {"team": new_team_id, "assignee": new_assignee_id})
    events.publish(events.ConversationAssigned(workspace_id=conversation.workspace_id,
                                               conversation_id=conversation.pk, assignee_id=new_assignee_id,
                                               team_id=new_team_id, by_agent_id=actor.agent.pk if actor.agent else None))
    return conversation


@transaction.atomic
def tag(*, actor: Actor, conversation: Conversation, add: Iterable[str] = (),
        remove: Iterable[str] = ()) -> Conversation:
    conversation = lock(conversation)
    refuse_if_merged(conversation)
    before = sorted(conversation.tags.values_list("name", flat=True))
    if add:
        apply_tags(conversation, add)
    removed = [r.strip().lower() for r in remove if r and r.strip()]
    if removed:
        ConversationTag.objects.filter(conversation=conversation, tag__name__in=removed).delete()
    after = sorted(conversation.tags.values_list("name", flat=True))
    if before != after:
        _save(conversation, [])
        audit(actor, "conversation.tagged", conversation, {"tags": before}, {"tags": after})
        events.publish(events.ConversationUpdated(workspace_id=conversation.workspace_id,
                                                  conversation_id=conversation.pk, fields=("tags",)))
    return conversation


def set_tags(*, actor: Actor, conversation: Conversation, names: Iterable[str]) -> Conversation:
    names = [n.strip().lower() for n in names]
    current = set(conversation.tags.values_list("name", flat=True))
    return tag(actor=actor, conversation=conversation, add=[n for n in names if n not in current],
               remove=[n for n in current if n not in names])


@transaction.atomic
def add_follower(*, actor: Actor, conversation: Conversation, agent: Agent) -> None:
    refuse_if_merged(conversation)
    if agent.workspace_id != conversation.workspace_id:
        raise InvalidInput(_("Agent not found."), field="agent")
    _follower, created = Follower.objects.get_or_create(conversation=conversation, agent=agent)
    if created:
        audit(actor, "conversation.follower_added", conversation, after={"follower": agent.pk})


@transaction.atomic
def remove_follower(*, actor: Actor, conversation: Conversation, agent: Agent) -> None:
    deleted, _by_model = Follower.objects.filter(conversation=conversation, agent=agent).delete()
    if deleted:
        audit(actor, "conversation.follower_removed", conversation, before={"follower": agent.pk})


@transaction.atomic
def remove_participant(*, actor: Actor, conversation: Conversation, address: str) -> None:
    """Take someone off the thread: later replies no longer copy them."""
    participant = Participant.objects.filter(conversation=conversation, address=(address or "").strip().lower()).first()
    if participant is None:
        raise NotFound(_("%(address)s is not on this conversation.") % {"address": address}, field="address")
    participant.delete()
    audit(actor, "conversation.participant_removed", conversation,
          before={"participant": {"address": participant.address, "role": participant.role}})


@transaction.atomic
def link_conversations(*, actor: Actor, source: Conversation, target: Conversation, kind: str) -> ConversationLink:
    refuse_if_merged(source)
    refuse_if_merged(target)
    if kind not in LinkKind.values:
        raise InvalidInput(_("Unknown link kind."), field="kind")
    if source.pk == target.pk:
        raise InvalidInput(_("A conversation cannot be linked to itself."), field="target")
    if source.workspace_id != target.workspace_id:
        raise InvalidInput(_("Conversation not found."), field="target")
    try:
        with transaction.atomic():
            link = ConversationLink.objects.create(workspace_id=source.workspace_id, source=source,
                                                   target=target, kind=kind)
    except IntegrityError:
        return ConversationLink.objects.get(source=source, target=target, kind=kind)
    audit(actor, "conversation.linked", source, after={"kind": kind, "target": target.pk})
    return link


@transaction.atomic
def unlink_conversations(*, actor: Actor, link: ConversationLink) -> None:
    audit(actor, "conversation.unlinked", link.source,
          before={"kind": link.kind, "target": link.target_id})
    link.delete()


@transaction.atomic
def log_time(*, actor: Actor, conversation: Conversation, seconds: int, note: str = "") -> TimeEntry:
    refuse_if_merged(conversation)
    if actor.agent is None:
        raise InvalidInput(_("Only agents log time."))
    if not 0 < seconds <= 24 * 3600:
        raise InvalidInput(_("Time spent must be between 1 second and 24 hours."), field="seconds")
    entry = TimeEntry.objects.create(workspace_id=conversation.workspace_id, conversation=conversation,
                                     agent=actor.agent, seconds=seconds, note=note[:300])
    audit(actor, "conversation.time_logged", conversation, after={"seconds": seconds, "agent": actor.agent.pk})
    return entry


@transaction.atomic
def merge_conversations(*, actor: Actor, source: Conversation, target: Conversation) -> Conversation:
    """Move everything of ``source`` into ``target`` and close ``source``. No message is lost."""
    if source.pk == target.pk:
        raise InvalidInput(_("A conversation cannot be merged into itself."), field="target")
    locked = {c.pk: c for c in Conversation.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
    source, target = locked[source.pk], locked[target.pk]
    if source.workspace_id != target.workspace_id:
        raise InvalidInput(_("Conversation not found."), field="target")
    refuse_if_merged(source)
    refuse_if_merged(target)
    for conversation, field in ((source, "source"), (target, "target")):
        if conversation.status == Status.CLOSED:
            raise Conflict(_("Conversation #%(n)s is closed and cannot be merged.") % {"n": conversation.number},
                           code=ErrorCode.CONVERSATION_CLOSED, field=field)
    moved = Message.objects.filter(conversation=source).update(conversation=target)
    for participant in Participant.objects.filter(conversation=source):
        Participant.objects.get_or_create(conversation=target, address=participant.address,
                                          defaults={"role": participant.role, "name": participant.name,
                                                    "customer_id": participant.customer_id})
    Follower.objects.bulk_create(
        [Follower(conversation=target, agent_id=a) for a in
         Follower.objects.filter(conversation=source).values_list("agent_id", flat=True)],
        ignore_conflicts=True,
    )
    ConversationTag.objects.bulk_create(
        [ConversationTag(conversation=target, tag_id=t) for t in
         ConversationTag.objects.filter(conversation=source).values_list("tag_id", flat=True)],
        ignore_conflicts=True,
    )
    TimeEntry.objects.filter(conversation=source).update(conversation=target)
    now = timezone.now()
    Message.objects.create(
        workspace_id=target.workspace_id, conversation=target, inbox_id=target.inbox_id,
        direction=Direction.OUTBOUND, author_kind=AuthorKind.SYSTEM, author_agent=actor.agent, is_note=True,
        text=_("Conversation #%(n)s was merged into this one.") % {"n": source.number},
    )
    stats = Message.objects.filter(conversation=target).aggregate(
        count=Count("id"), last=Max("created_at"),
        last_customer=Max("created_at", filter=Q(direction=Direction.INBOUND)),
    )
    target.message_count = stats["count"]
    target.last_message_at = stats["last"] or now
    target.last_customer_message_at = stats["last_customer"]
    if source.first_response_at and (not target.first_response_at or source.first_response_at < target.first_response_at):
        target.first_response_at = source.first_response_at
    if target.status == Status.SOLVED:
        transition(target, Status.OPEN)
    _save(target, ["message_count", "last_message_at", "last_customer_message_at", "first_response_at",
                   "status", "solved_at"])
    source.merged_into = target
    source.message_count = 0
    if source.status != Status.SOLVED:
        transition(source, Status.SOLVED)
    transition(source, Status.CLOSED)
    _save(source, ["merged_into", "message_count", "status", "solved_at", "closed_at"])
    audit(actor, "conversation.merged", source, {"status": "active"}, {"merged_into": target.pk,
                                                                          "messages_moved": moved})
    audit(actor, "conversation.merged", target, after={"merged_from": source.pk, "messages_moved": moved})
    events.publish(events.ConversationsMerged(workspace_id=target.workspace_id, source_id=source.pk,
                                              target_id=target.pk))
    return target


def move_conversations_to_customer(*, source: Customer, target: Customer) -> list[int]:
    """Called by the customer merge, inside its transaction: the conversations follow the person."""
    ids = list(Conversation.objects.filter(customer=source).values_list("id", flat=True))
    Conversation.objects.filter(pk__in=ids).update(customer=target, updated_at=timezone.now())
    Message.objects.filter(author_customer=source).update(author_customer=target)
    Participant.objects.filter(customer=source).update(customer=target)
    return ids



def mark_read(*, agent: Agent, conversation: Conversation) -> None:
    """The agent has seen the conversation as it is now (its unread marker clears). Not audited:
    reading changes nothing about the conversation."""
    now = timezone.now()
    if ReadMarker.objects.filter(agent=agent, conversation=conversation).update(read_at=now):
        return
    try:
        with transaction.atomic():
            ReadMarker.objects.create(agent=agent, conversation=conversation, read_at=now)
    except IntegrityError:  # the same agent's other tab got there first
        ReadMarker.objects.filter(agent=agent, conversation=conversation).update(read_at=now)
