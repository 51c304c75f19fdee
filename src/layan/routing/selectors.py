"""Reads for routing: who may take a conversation, how loaded they are, what waits in a queue,
and what the settings page shows. The rules are explained in docs/flows/routing.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from layan.accounts.models import Agent, AuditEntry, Availability, Role, Tag, Team
from layan.connectors.models import Inbox
from layan.conversations.models import Conversation, ConversationTag, Priority, Status
from layan.customers.models import Tier
from layan.errors import NotFound
from layan.routing.models import (
    CHANNEL_GROUP_OF,
    DEFAULT_CAPACITY,
    AgentRouting,
    AgentSkill,
    ChannelGroup,
    InboxSkill,
    Queue,
    RoutingSettings,
    Skill,
    SkillKind,
    TagSkill,
    channels_of_group,
)

# A conversation waits in its team's queue while it is new or open and nobody has it.
WAITING_STATUSES = (Status.NEW, Status.OPEN)
# Load: what an agent is working on now. Pending (waiting on the customer) and on-hold (waiting on
# a third party) conversations stay theirs but take no place, as in the best helpdesks.
LOAD_STATUSES = (Status.NEW, Status.OPEN)


def group_of(channel: str) -> str:
    return CHANNEL_GROUP_OF.get(channel, ChannelGroup.EMAIL)


def routing_settings(*, workspace_id: int) -> RoutingSettings:
    """The workspace's defaults (an unsaved row with the built-in defaults if none was saved)."""
    found = RoutingSettings.objects.filter(workspace_id=workspace_id).first()
    return found or RoutingSettings(workspace_id=workspace_id)


def queue_for_team(*, team_id: int) -> Queue | None:
    return Queue.objects.filter(team_id=team_id).first()


def capacity_of(row: AgentRouting | None, defaults: RoutingSettings, group: str) -> int:
    override = getattr(row, f"{group}_capacity", None) if row is not None else None
    if override is not None:
        return override
    return getattr(defaults, f"{group}_capacity", DEFAULT_CAPACITY[group])


def queue_order(qs: QuerySet[Conversation], *, priority_first: bool) -> QuerySet[Conversation]:
    """Urgent first, then VIP customers and high priority, then the rest; oldest wait first within
    each. Without ``priority_first`` strictly the oldest wait first."""
    qs = qs.annotate(waiting_since=Coalesce("last_customer_message_at", "created_at"))
    if not priority_first:
        return qs.order_by("waiting_since", "id")
    return qs.annotate(queue_rank=Case(
        When(priority=Priority.URGENT, then=Value(0)),
        When(Q(customer__tier=Tier.VIP) | Q(priority=Priority.HIGH), then=Value(1)),
        default=Value(2), output_field=IntegerField(),
    )).order_by("queue_rank", "waiting_since", "id")


def waiting_in_queue(*, workspace_id: int, team_id: int, priority_first: bool = True) -> QuerySet[Conversation]:
    return queue_order(
        Conversation.objects.filter(workspace_id=workspace_id, team_id=team_id, assignee__isnull=True,
                                    status__in=WAITING_STATUSES, merged_into__isnull=True),
        priority_first=priority_first,
    )


def is_routable(*, conversation_id: int) -> bool:
    """Whether the conversation waits in a queue that assigns automatically (checked again under lock)."""
    return Conversation.objects.filter(pk=conversation_id, team__isnull=False, assignee__isnull=True,
                                       status__in=WAITING_STATUSES, merged_into__isnull=True,
                                       team__queue__auto_assign=True).exists()


def required_skills(*, conversation: Conversation) -> dict[int, Skill]:
    """What the conversation needs from its agent, in one query: its customer's language (when
    the workspace keeps that language as a skill), the inbox's skills and its tags' skills."""
    tag_ids = ConversationTag.objects.filter(conversation_id=conversation.pk).values("tag_id")
    language = conversation.customer.language if conversation.customer_id else ""
    skills = Skill.objects.filter(workspace_id=conversation.workspace_id).filter(
        Q(kind=SkillKind.LANGUAGE, name=language)
        | Q(pk__in=InboxSkill.objects.filter(inbox_id=conversation.inbox_id).values("skill_id"))
        | Q(pk__in=TagSkill.objects.filter(tag_id__in=tag_ids).values("skill_id"))
    )
    return {s.pk: s for s in skills}


def online_team_members(*, workspace_id: int, team_id: int) -> list[Agent]:
    """The team's active members who are online now, in id order (the order their rows are locked)."""
    return list(Agent.objects.filter(workspace_id=workspace_id, is_active=True, user__is_active=True,
                                     availability=Availability.ONLINE, teams__id=team_id).order_by("id"))


def agent_loads(*, workspace_id: int, agent_ids: list[int], group: str) -> dict[int, int]:
    """How many conversations of ``group`` each agent holds now (see LOAD_STATUSES)."""
    rows = (Conversation.objects.filter(workspace_id=workspace_id, assignee_id__in=agent_ids,
                                        status__in=LOAD_STATUSES, channel__in=channels_of_group(group))
            .values("assignee_id").annotate(n=Count("id")).order_by())
    return {row["assignee_id"]: row["n"] for row in rows}


def skill_levels(*, agent_ids: list[int], skill_ids: list[int]) -> dict[int, dict[int, int]]:
    """agent id -> {skill id: level} for the given skills."""
    levels: dict[int, dict[int, int]] = {}
    for agent_id, skill_id, level in AgentSkill.objects.filter(agent_id__in=agent_ids, skill_id__in=skill_ids) \
            .values_list("agent_id", "skill_id", "level"):
        levels.setdefault(agent_id, {})[skill_id] = level
    return levels


def manually_assigned(*, conversation_ids: list[int]) -> set[int]:
    """The conversations whose current assignment a person made (the last assignment in their audit
    trail is an agent's): routing never takes those away from their assignee."""
    last_actor = (AuditEntry.objects.filter(workspace_id=OuterRef("workspace_id"), object_type="conversation",
                                            object_id=Cast(OuterRef("pk"), output_field=CharField()),
                                            action__in=("conversation.assigned", "conversation.created"))
                  .order_by("-id").values("actor_kind")[:1])
    return set(Conversation.objects.filter(pk__in=conversation_ids).annotate(last_actor=Subquery(last_actor))
               .filter(last_actor="agent").values_list("pk", flat=True))


def requeue_candidates(*, agent: Agent) -> list[Conversation]:
    """An agent going offline hands back the chats nobody has answered yet, in teams whose queue
    assigns automatically; what a person assigned to them by hand stays theirs."""
    candidates = list(
        Conversation.objects.filter(workspace_id=agent.workspace_id, assignee_id=agent.pk, status__in=LOAD_STATUSES,
                                    channel__in=channels_of_group(ChannelGroup.CHAT), first_response_at__isnull=True,
                                    merged_into__isnull=True, team__queue__auto_assign=True)
        .order_by("id")
    )
    pinned = manually_assigned(conversation_ids=[c.pk for c in candidates]) if candidates else set()
    return [c for c in candidates if c.pk not in pinned]


def auto_assign_team_ids(*, agent_id: int) -> list[int]:
    return list(Queue.objects.filter(team__members__id=agent_id, auto_assign=True)
                .order_by("team_id").values_list("team_id", flat=True))


# --- the settings page -------------------------------------------------------------------------


@dataclass
class AgentRow:
    agent: Agent
    routing: AgentRouting | None
    levels: dict[int, int] = field(default_factory=dict)
    loads: dict[str, int] = field(default_factory=dict)


@dataclass
class RoutingOverview:
    settings: RoutingSettings
    teams: list[tuple[Team, Queue | None, int]]  # team, its queue (None: defaults), waiting count
    skills: list[Skill]
    agents: list[AgentRow]
    inboxes: list[Inbox]
    tags: list[Tag]


def routing_overview(*, agent: Agent) -> RoutingOverview:
    """Everything the routing settings page shows, in a fixed number of queries."""
    ws = agent.workspace_id
    waiting = dict(Conversation.objects.filter(workspace_id=ws, assignee__isnull=True, team__isnull=False,
                                               status__in=WAITING_STATUSES, merged_into__isnull=True)
                   .values("team_id").annotate(n=Count("id")).order_by().values_list("team_id", "n"))
    queues = {q.team_id: q for q in Queue.objects.filter(workspace_id=ws)}
    teams = [(t, queues.get(t.pk), waiting.get(t.pk, 0)) for t in Team.objects.filter(workspace_id=ws).order_by("name")]
    skills = list(Skill.objects.filter(workspace_id=ws).order_by("kind", "name").prefetch_related(
        Prefetch("inboxes", queryset=InboxSkill.objects.order_by("inbox_id")),
        Prefetch("tags", queryset=TagSkill.objects.select_related("tag").order_by("tag__name"))))
    agents = list(Agent.objects.filter(workspace_id=ws, is_active=True).select_related("routing").order_by("display_name", "id"))
    levels: dict[int, dict[int, int]] = {}
    for agent_id, skill_id, level in AgentSkill.objects.filter(agent__workspace_id=ws).values_list(
            "agent_id", "skill_id", "level"):
        levels.setdefault(agent_id, {})[skill_id] = level
    loads: dict[int, dict[str, int]] = {}
    for group in ChannelGroup.values:
        for agent_id, n in agent_loads(workspace_id=ws, agent_ids=[a.pk for a in agents], group=group).items():
            loads.setdefault(agent_id, {})[group] = n
    rows = [AgentRow(agent=a, routing=getattr(a, "routing", None), levels=levels.get(a.pk, {}),
                     loads=loads.get(a.pk, {})) for a in agents]
    return RoutingOverview(
        settings=routing_settings(workspace_id=ws), teams=teams, skills=skills, agents=rows,
        inboxes=list(Inbox.objects.filter(workspace_id=ws).order_by("name")),
        tags=list(Tag.objects.filter(workspace_id=ws).order_by("name")),
    )


def access_skill(*, agent: Agent, skill_id: int) -> Skill:
    found = Skill.objects.filter(workspace_id=agent.workspace_id, pk=skill_id).first()
    if found is None:
        raise NotFound(_("Skill not found."), field="skill")
    return found


def can_manage_routing(agent: Agent) -> bool:
    return agent.role in (Role.ADMIN, Role.SUPERVISOR)
