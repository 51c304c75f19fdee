"""Live figures per queue (team) for the contact-center page: waiting, longest wait, in progress,
agents available, service levels met today. Reads only, in a fixed number of queries however many teams there are. See
docs/flows/contact-center.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, F, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import ngettext

from layan.accounts.models import Agent, Availability, Team, TeamMembership
from layan.conversations.models import AuthorKind, Conversation, Direction, Message, Status
from layan.servicelevels.selectors import attainment_by_team

# Work in a queue: conversations nobody has parked (pending on the customer, on hold) or finished.
LIVE_STATUSES = (Status.NEW, Status.OPEN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class QueueFigures:
    team_id: int | None  # None: conversations in no team
    name: str
    waiting: int  # new or open, in the team, assigned to nobody
    waiting_since: datetime | None  # the customer's first unanswered message among the waiting
    in_progress: int  # new or open, assigned to an agent
    agents_online: int  # active members of the team who are online now
    agents: int  # active members of the team
    sla_met: int = 0  # service-level targets met today (servicelevels.selectors.attainment_by_team)
    sla_missed: int = 0  # and breached today

    @property
    def sla_attainment(self) -> int | None:
        """Per cent of today's settled targets that were met; None when none was settled."""
        settled = self.sla_met + self.sla_missed
        return round(100 * self.sla_met / settled) if settled else None

    def longest_wait_seconds(self, now: datetime) -> int | None:
        if self.waiting_since is None:
            return None
        return max(0, int((now - self.waiting_since).total_seconds()))


def _waiting_since():
    """The first customer message after the last reply to them (a note is no reply), per conversation."""
    last_reply = (
        Message.objects.filter(conversation=OuterRef(OuterRef("pk")), direction=Direction.OUTBOUND, is_note=False,
                               author_kind__in=(AuthorKind.AGENT, AuthorKind.BOT))
        .order_by("-created_at").values("created_at")[:1]
    )
    return Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), direction=Direction.INBOUND,
                               created_at__gt=Coalesce(Subquery(last_reply), Value(_EPOCH)))
        .order_by("created_at").values("created_at")[:1]
    )


def queue_figures(*, workspace_id: int, today_since: datetime) -> list[QueueFigures]:
    """Every team of the workspace, by name, then "no team" if any live conversation has none.

    Five queries: the teams, the conversation counts grouped by team, the members grouped by team,
    and the service-level targets met and missed since ``today_since`` (local midnight).
    """
    teams = list(Team.objects.filter(workspace_id=workspace_id).order_by("name").values_list("id", "name"))
    unassigned = Q(assignee__isnull=True)
    counts = {
        row["team_id"]: row for row in
        Conversation.objects.filter(workspace_id=workspace_id, status__in=LIVE_STATUSES, merged_into__isnull=True)
        .annotate(waiting_since=_waiting_since())
        .values("team_id")
        .annotate(waiting=Count("id", filter=unassigned), in_progress=Count("id", filter=~unassigned),
                  oldest=Min(F("waiting_since"), filter=unassigned))
        .order_by()
    }
    members = {
        row["team_id"]: row for row in
        TeamMembership.objects.filter(team__workspace_id=workspace_id, agent__is_active=True)
        .values("team_id")
        .annotate(online=Count("id", filter=Q(agent__availability=Availability.ONLINE)), total=Count("id"))
        .order_by()
    }
    attainment = attainment_by_team(workspace_id=workspace_id, since=today_since)
    figures = []
    for team_id, name in [*teams, (None, None)]:
        row = counts.get(team_id, {})
        met, missed = attainment.get(team_id, (0, 0))
        if team_id is None and not row and not met + missed:
            continue
        staff = members.get(team_id, {})
        figures.append(QueueFigures(
            team_id=team_id, name=name or "", waiting=row.get("waiting", 0), waiting_since=row.get("oldest"),
            in_progress=row.get("in_progress", 0), agents_online=staff.get("online", 0), agents=staff.get("total", 0),
            sla_met=met, sla_missed=missed,
        ))
    return figures


@dataclass(frozen=True)
class Overview:
    queues: list[QueueFigures]
    total: QueueFigures  # all queues; agents counted once each, however many teams they are in


def contact_center_overview(*, workspace_id: int, today_since: datetime) -> Overview:
    """The queues and their sum. Six queries in all, whatever the number of teams."""
    queues = queue_figures(workspace_id=workspace_id, today_since=today_since)
    staff = Agent.objects.filter(workspace_id=workspace_id, is_active=True).aggregate(
        online=Count("id", filter=Q(availability=Availability.ONLINE)), total=Count("id"))
    since = [q.waiting_since for q in queues if q.waiting_since is not None]
    total = QueueFigures(team_id=None, name="", waiting=sum(q.waiting for q in queues),
                         waiting_since=min(since) if since else None,
                         in_progress=sum(q.in_progress for q in queues),
                         agents_online=staff["online"], agents=staff["total"],
                         sla_met=sum(q.sla_met for q in queues), sla_missed=sum(q.sla_missed for q in queues))
    return Overview(queues=queues, total=total)


def format_wait(seconds: int | None) -> str:
    """A wait as a clock: "4:05" (minutes), "1:04:05" (hours), "2 days 1:04:05"; "" for none."""
    if seconds is None:
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}:{secs:02d}" if hours or days else f"{minutes}:{secs:02d}"
    if days:
        return ngettext("%(days)d day %(clock)s", "%(days)d days %(clock)s", days) % {"days": days, "clock": clock}
    return clock
