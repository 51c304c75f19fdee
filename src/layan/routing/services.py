"""Routing: hand each conversation waiting in a team's queue to an online, skilled agent with room,
by the queue's strategy; pull waiting work when agents free up; hand back an offline agent's
unanswered chats. Every assignment goes through conversations.services.assign_conversation.
See docs/flows/routing.md."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Agent, Availability, Role, Team
from layan.accounts.selectors import require_role
from layan.accounts.services import ensure_tags, record_audit
from layan.connectors.models import Inbox
from layan.conversations import services as conversations
from layan.conversations.models import Conversation
from layan.errors import Conflict, ErrorCode, InvalidInput, PermissionDenied
from layan.routing import selectors
from layan.routing.models import (
    MAX_CAPACITY,
    AgentRouting,
    AgentSkill,
    ChannelGroup,
    InboxSkill,
    Queue,
    RoutingSettings,
    Skill,
    SkillKind,
    Strategy,
    TagSkill,
)

logger = logging.getLogger(__name__)

# How many waiting conversations one pull (an agent freeing up, the sweeper) looks at.
DRAIN_LIMIT = 50


class Outcome:
    ASSIGNED = "assigned"
    NOT_WAITING = "not_waiting"  # assigned meanwhile, solved, pending, merged, no team
    MANUAL_QUEUE = "manual_queue"  # the team's queue does not assign automatically
    NOBODY_ONLINE = "nobody_online"
    AT_CAPACITY = "at_capacity"
    NO_SKILLED_AGENT = "no_skilled_agent"


@dataclass(frozen=True)
class RoutingResult:
    outcome: str
    agent: Agent | None = None


def _pick(strategy: str, eligible: list[Agent], rows: dict[int, AgentRouting], loads: dict[int, int],
          levels: dict[int, dict[int, int]]) -> Agent:
    """The strategy's choice among agents who may all take the conversation."""

    def least_recent(agent: Agent):
        routed = rows[agent.pk].last_routed_at
        return (routed is not None, routed or timezone.now(), agent.pk)

    if strategy == Strategy.LEAST_LOADED:
        return min(eligible, key=lambda a: (loads.get(a.pk, 0), *least_recent(a)))
    if strategy == Strategy.SKILLS_BASED:
        return min(eligible, key=lambda a: (-sum(levels.get(a.pk, {}).values()), loads.get(a.pk, 0), *least_recent(a)))
    return min(eligible, key=least_recent)


class _RoutingRowsMissing(Exception):  # noqa: N818 - a signal between two functions here, not an error
    def __init__(self, workspace_id: int, agent_ids: list[int]):
        super().__init__(agent_ids)
        self.workspace_id, self.agent_ids = workspace_id, agent_ids


def _lock_routing_rows(workspace_id: int, agent_ids: list[int]) -> dict[int, AgentRouting]:
    """Lock the candidates' routing rows in agent order: the same order everywhere, so two
    decisions wait for each other instead of deadlocking. Rows missing (an agent's first automatic
    assignment) are made outside the decision's transaction, so that inserting them never
    interleaves with another decision's locks; the decision then starts again."""
    locked = {r.agent_id: r for r in AgentRouting.objects.select_for_update().filter(agent_id__in=agent_ids)
              .order_by("agent_id")}
    missing = [pk for pk in agent_ids if pk not in locked]
    if missing:
        raise _RoutingRowsMissing(workspace_id, missing)
    return locked


def route_conversation(*, conversation_id: int) -> RoutingResult:
    """Assign one waiting conversation to the agent its queue's strategy picks among the team's
    online members with room in the conversation's channel group and every skill it needs.

    The conversation is locked first, then the candidates' routing rows: concurrent arrivals are
    decided one after another on fresh loads, so nobody goes over capacity."""
    if not selectors.is_routable(conversation_id=conversation_id):  # one cheap read for most events
        return RoutingResult(Outcome.NOT_WAITING)
    for _attempt in range(3):
        try:
            return _decide(conversation_id)
        except _RoutingRowsMissing as missing:
            AgentRouting.objects.bulk_create(
                [AgentRouting(workspace_id=missing.workspace_id, agent_id=pk) for pk in missing.agent_ids],
                ignore_conflicts=True)
    return _decide(conversation_id)  # agents keep coming online: a fourth try, and let it raise


def _decide(conversation_id: int) -> RoutingResult:
    with transaction.atomic():
        conversation = (Conversation.objects.select_for_update(of=("self",)).select_related("customer", "workspace")
                        .filter(pk=conversation_id).first())
        if (conversation is None or conversation.team_id is None or conversation.assignee_id is not None
                or conversation.status not in selectors.WAITING_STATUSES or conversation.merged_into_id):
            return RoutingResult(Outcome.NOT_WAITING)
        queue = selectors.queue_for_team(team_id=conversation.team_id)
        if queue is None or not queue.auto_assign:
            return RoutingResult(Outcome.MANUAL_QUEUE)
        members = selectors.online_team_members(workspace_id=conversation.workspace_id, team_id=conversation.team_id)
        if not members:
            return RoutingResult(Outcome.NOBODY_ONLINE)
        rows = _lock_routing_rows(conversation.workspace_id, [a.pk for a in members])
        group = selectors.group_of(conversation.channel)
        defaults = selectors.routing_settings(workspace_id=conversation.workspace_id)
        loads = selectors.agent_loads(workspace_id=conversation.workspace_id, agent_ids=[a.pk for a in members],
                                      group=group)
        eligible = [a for a in members if loads.get(a.pk, 0) < selectors.capacity_of(rows.get(a.pk), defaults, group)]
        if not eligible:
            return RoutingResult(Outcome.AT_CAPACITY)
        required = selectors.required_skills(conversation=conversation)
        levels: dict[int, dict[int, int]] = {}
        if required:
            levels = selectors.skill_levels(agent_ids=[a.pk for a in eligible], skill_ids=list(required))
            eligible = [a for a in eligible if set(required) <= set(levels.get(a.pk, {}))]
            if not eligible:
                return RoutingResult(Outcome.NO_SKILLED_AGENT)
        chosen = _pick(queue.strategy, eligible, rows, loads, levels)
        conversations.assign_conversation(actor=Actor.system(conversation.workspace), conversation=conversation,
                                          assignee=chosen)
        AgentRouting.objects.filter(pk=rows[chosen.pk].pk).update(last_routed_at=timezone.now(),
                                                                  routed_count=F("routed_count") + 1)
    logger.info("routing: conversation %s to agent %s (%s)", conversation_id, chosen.pk, queue.strategy)
    return RoutingResult(Outcome.ASSIGNED, chosen)


def drain_queue(*, team_id: int, limit: int = DRAIN_LIMIT) -> int:
    """Hand out what waits in a team's queue, in queue order, while agents have room; returns how
    many were assigned. Each conversation is decided in its own transaction."""
    queue = selectors.queue_for_team(team_id=team_id)
    if queue is None or not queue.auto_assign:
        return 0
    waiting = list(selectors.waiting_in_queue(workspace_id=queue.workspace_id, team_id=team_id,
                                              priority_first=queue.priority_first)
                   .values_list("pk", "channel")[:limit])
    full_groups: set[str] = set()
    assigned = 0
    for conversation_id, channel in waiting:
        group = selectors.group_of(channel)
        if group in full_groups:
            continue
        result = route_conversation(conversation_id=conversation_id)
        if result.outcome == Outcome.ASSIGNED:
            assigned += 1
        elif result.outcome == Outcome.NOBODY_ONLINE:
            break
        elif result.outcome == Outcome.AT_CAPACITY:
            full_groups.add(group)
    return assigned


def drain_queues_of_agent(*, agent_id: int) -> int:
    """An agent has room again (came online, finished a conversation): their teams' queues pull."""
    return sum(drain_queue(team_id=team_id) for team_id in selectors.auto_assign_team_ids(agent_id=agent_id))


def requeue_conversations_of(*, agent: Agent) -> list[int]:
    """Hand the agent's unanswered chats back to their queues (they are then routed again, since
    unassigning publishes ConversationAssigned). Each is re-checked under its lock."""
    requeued = []
    actor = Actor.system(agent.workspace)
    for candidate in selectors.requeue_candidates(agent=agent):
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().filter(pk=candidate.pk).first()
            if (conversation is None or conversation.assignee_id != agent.pk or conversation.first_response_at
                    or conversation.status not in selectors.LOAD_STATUSES):
                continue
            conversations.assign_conversation(actor=actor, conversation=conversation, assignee=None)
            requeued.append(conversation.pk)
    if requeued:
        logger.info("routing: agent %s went offline, %s conversations back in queue", agent.pk, len(requeued))
    return requeued


# --- subscribers (events.SUBSCRIBERS, each an async task) ---------------------------------------


def route_after_event(event: events.Event) -> None:
    """A conversation may have entered a queue, or an agent may have freed a place."""
    if isinstance(event, events.ConversationAssigned) and event.assignee_id is not None:
        return
    if isinstance(event, events.ConversationStatusChanged) and event.new_status not in selectors.WAITING_STATUSES:
        assignee_id = Conversation.objects.filter(pk=event.conversation_id).values_list("assignee_id", flat=True).first()
        if assignee_id:
            drain_queues_of_agent(agent_id=assignee_id)
        return
    route_conversation(conversation_id=event.conversation_id)


def route_after_availability_change(event: events.AgentAvailabilityChanged) -> None:
    agent = Agent.objects.select_related("workspace").filter(pk=event.agent_id).first()
    if agent is None:
        return
    if event.availability == Availability.OFFLINE and agent.availability == Availability.OFFLINE:
        requeue_conversations_of(agent=agent)
    elif event.availability == Availability.ONLINE and agent.availability == Availability.ONLINE:
        drain_queues_of_agent(agent_id=agent.pk)


def sweep_queues() -> int:
    """The database is the truth, the queue a doorbell: every minute, each automatic queue with
    waiting conversations pulls again (a lost task, a reassignment that freed a place)."""
    team_ids = (Queue.objects.filter(auto_assign=True, team__conversations__assignee__isnull=True,
                                     team__conversations__status__in=selectors.WAITING_STATUSES)
                .values_list("team_id", flat=True).distinct().order_by("team_id"))
    return sum(drain_queue(team_id=team_id) for team_id in list(team_ids))


# --- settings (supervisors and admins) ----------------------------------------------------------


def _require_manager(actor: Actor) -> None:
    if actor.kind == "system":
        return  # a command or another context acting for the workspace
    if actor.agent is None:
        raise PermissionDenied(_("Your role does not allow this."))
    require_role(actor.agent, Role.SUPERVISOR)


def _capacity(value, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Capacity must be a whole number."), field=field) from None
    if not 0 <= number <= MAX_CAPACITY:
        raise InvalidInput(_("Capacity must be between 0 and %(max)s.") % {"max": MAX_CAPACITY}, field=field)
    return number


def _same_workspace(actor: Actor, obj, field: str) -> None:
    if obj.workspace_id != actor.workspace.pk:
        raise InvalidInput(_("Not found in this workspace."), field=field)


def _after_commit_drain(team_ids: Iterable[int]) -> None:
    from layan import jobs

    for team_id in team_ids:
        transaction.on_commit(lambda t=team_id: jobs.drain_routing_queue(t), robust=True)


@transaction.atomic
def set_routing_defaults(*, actor: Actor, chat_capacity, email_capacity) -> RoutingSettings:
    _require_manager(actor)
    chat = _capacity(chat_capacity, "chat_capacity")
    email = _capacity(email_capacity, "email_capacity")
    if chat is None or email is None:
        raise InvalidInput(_("Give a default capacity for chats and for emails."),
                           field="chat_capacity" if chat is None else "email_capacity")
    current = RoutingSettings.objects.select_for_update().filter(workspace=actor.workspace).first()
    before = {"chat_capacity": current.chat_capacity, "email_capacity": current.email_capacity} if current else {}
    after = {"chat_capacity": chat, "email_capacity": email}
    if current is None:
        try:
            with transaction.atomic():
                current = RoutingSettings.objects.create(workspace=actor.workspace, **after)
        except IntegrityError:  # a concurrent first save
            current = RoutingSettings.objects.select_for_update().get(workspace=actor.workspace)
    if before != after:
        current.chat_capacity, current.email_capacity, current.updated_at = chat, email, timezone.now()
        current.save(update_fields=["chat_capacity", "email_capacity", "updated_at"])
        record_audit(actor=actor, action="routing.defaults_changed", object_type="workspace",
                     object_id=actor.workspace.pk, before=before, after=after)
        _after_commit_drain(Queue.objects.filter(workspace=actor.workspace, auto_assign=True)
                            .values_list("team_id", flat=True))
    return current


@transaction.atomic
def configure_queue(*, actor: Actor, team: Team, strategy: str, auto_assign: bool,
                    priority_first: bool = True) -> Queue:
    _require_manager(actor)
    _same_workspace(actor, team, "team")
    if strategy not in Strategy.values:
        raise InvalidInput(_("Unknown routing strategy."), field="strategy")
    queue, _created = Queue.objects.select_for_update().get_or_create(team=team, defaults={"workspace": actor.workspace})
    before = {"strategy": queue.strategy, "auto_assign": queue.auto_assign, "priority_first": queue.priority_first}
    after = {"strategy": strategy, "auto_assign": bool(auto_assign), "priority_first": bool(priority_first)}
    if before != after or _created:
        queue.strategy, queue.auto_assign, queue.priority_first = strategy, bool(auto_assign), bool(priority_first)
        queue.updated_at = timezone.now()
        queue.save(update_fields=["strategy", "auto_assign", "priority_first", "updated_at"])
        record_audit(actor=actor, action="routing.queue_changed", object_type="team", object_id=team.pk,
                     before=before, after=after)
        if queue.auto_assign:
            _after_commit_drain([team.pk])
    return queue


def _clean_skill_name(kind: str, name: str) -> str:
    name = (name or "").strip().lower()
    if not name:
        raise InvalidInput(_("A skill needs a name."), field="name")
    if len(name) > 64:
        raise InvalidInput(_("A skill name is at most 64 characters."), field="name")
    if kind == SkillKind.LANGUAGE and name not in {code for code, _label in settings.LANGUAGES} and not (
            name.isalpha() and 2 <= len(name) <= 3):
        raise InvalidInput(_("A language skill is named by its language code, such as id or en."), field="name")
    return name


@transaction.atomic
def create_skill(*, actor: Actor, name: str, kind: str = SkillKind.TOPIC) -> Skill:
    _require_manager(actor)
    if kind not in SkillKind.values:
        raise InvalidInput(_("A skill is a language or a product/topic."), field="kind")
    name = _clean_skill_name(kind, name)
    try:
        with transaction.atomic():
            skill = Skill.objects.create(workspace=actor.workspace, kind=kind, name=name)
    except IntegrityError as exc:
        raise Conflict(_("The skill %(name)s already exists.") % {"name": name}, code=ErrorCode.DUPLICATE,
                       field="name") from exc
    record_audit(actor=actor, action="routing.skill_created", object_type="skill", object_id=skill.pk,
                 after={"kind": kind, "name": name})
    return skill


@transaction.atomic
def delete_skill(*, actor: Actor, skill: Skill) -> None:
    _require_manager(actor)
    _same_workspace(actor, skill, "skill")
    record_audit(actor=actor, action="routing.skill_deleted", object_type="skill", object_id=skill.pk,
                 before={"kind": skill.kind, "name": skill.name})
    skill.delete()
    # Conversations that waited for this skill may now be placed.
    _after_commit_drain(Queue.objects.filter(workspace=actor.workspace, auto_assign=True)
                        .values_list("team_id", flat=True))


@transaction.atomic
def set_agent_routing(*, actor: Actor, agent: Agent, chat_capacity=None, email_capacity=None,
                      skill_levels: dict[int, int | None] | None = None) -> AgentRouting:
    """An agent's capacity overrides (None: the workspace default) and skills (skill id -> level
    1-5; None or 0 removes the skill). Skills not named are left as they are."""
    _require_manager(actor)
    _same_workspace(actor, agent, "agent")
    chat = _capacity(chat_capacity, "chat_capacity")
    email = _capacity(email_capacity, "email_capacity")
    row, _created = AgentRouting.objects.select_for_update().get_or_create(
        agent=agent, defaults={"workspace_id": agent.workspace_id})
    before = {"chat_capacity": row.chat_capacity, "email_capacity": row.email_capacity}
    after = {"chat_capacity": chat, "email_capacity": email}
    if before != after:
        row.chat_capacity, row.email_capacity = chat, email
        row.save(update_fields=["chat_capacity", "email_capacity"])
    skill_before, skill_after = {}, {}
    if skill_levels:
        skills = {s.pk: s for s in Skill.objects.filter(workspace=actor.workspace, pk__in=list(skill_levels))}
        unknown = [pk for pk in skill_levels if pk not in skills]
        if unknown:
            raise InvalidInput(_("Skill not found."), field="skills")
        current = {s: lvl for s, lvl in AgentSkill.objects.filter(agent=agent).values_list("skill_id", "level")}
        for skill_id, level in skill_levels.items():
            level = int(level or 0)
            if not 0 <= level <= 5:
                raise InvalidInput(_("A skill level is from 1 to 5."), field="skills")
            old = current.get(skill_id)
            if (old or 0) == level:
                continue
            skill_before[skills[skill_id].name], skill_after[skills[skill_id].name] = old, level or None
            if level == 0:
                AgentSkill.objects.filter(agent=agent, skill_id=skill_id).delete()
            else:
                AgentSkill.objects.update_or_create(agent=agent, skill_id=skill_id, defaults={"level": level})
    if before != after or skill_after:
        record_audit(actor=actor, action="routing.agent_changed", object_type="agent", object_id=agent.pk,
                     before={**before, "skills": skill_before}, after={**after, "skills": skill_after})
        _after_commit_drain(selectors.auto_assign_team_ids(agent_id=agent.pk))
    return row


@transaction.atomic
def set_skill_requirements(*, actor: Actor, skill: Skill, inboxes: Iterable[Inbox] = (),
                           tag_names: Iterable[str] = ()) -> Skill:
    """Which inboxes' conversations, and which tags, need the skill (replaces both lists)."""
    _require_manager(actor)
    _same_workspace(actor, skill, "skill")
    inboxes = list(inboxes)
    for inbox in inboxes:
        _same_workspace(actor, inbox, "inboxes")
    tags = ensure_tags(workspace_id=actor.workspace.pk, names=[n for n in tag_names if n and n.strip()])
    wanted_inboxes, wanted_tags = {i.pk for i in inboxes}, {t.pk for t in tags}
    had_inboxes = set(InboxSkill.objects.filter(skill=skill).values_list("inbox_id", flat=True))
    had_tags = set(TagSkill.objects.filter(skill=skill).values_list("tag_id", flat=True))
    InboxSkill.objects.filter(skill=skill, inbox_id__in=had_inboxes - wanted_inboxes).delete()
    TagSkill.objects.filter(skill=skill, tag_id__in=had_tags - wanted_tags).delete()
    InboxSkill.objects.bulk_create([InboxSkill(skill=skill, inbox_id=pk) for pk in sorted(wanted_inboxes - had_inboxes)],
                                   ignore_conflicts=True)
    TagSkill.objects.bulk_create([TagSkill(skill=skill, tag_id=pk) for pk in sorted(wanted_tags - had_tags)],
                                 ignore_conflicts=True)
    if (had_inboxes, had_tags) != (wanted_inboxes, wanted_tags):
        record_audit(actor=actor, action="routing.skill_requirements_changed", object_type="skill",
                     object_id=skill.pk, before={"inboxes": sorted(had_inboxes), "tags": sorted(had_tags)},
                     after={"inboxes": sorted(wanted_inboxes), "tags": sorted(wanted_tags)})
    return skill


__all__ = ["ChannelGroup", "Outcome", "RoutingResult", "configure_queue", "create_skill", "delete_skill",
           "drain_queue", "drain_queues_of_agent", "requeue_conversations_of", "route_after_availability_change",
           "route_after_event", "route_conversation", "set_agent_routing", "set_routing_defaults",
           "set_skill_requirements", "sweep_queues"]
