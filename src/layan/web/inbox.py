"""The inbox's views (mine, unassigned, my teams, all, mentions) and its query string: which
conversations a request asks for, in which order, from which cursor. Parsing only; the reads
are conversations.selectors'."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Agent
from layan.accounts.selectors import agent_team_ids
from layan.api.pagination import SORTS as API_SORTS
from layan.connectors.models import InboxKind
from layan.conversations.models import ACTIVE_STATUSES, Priority, Status
from layan.conversations.selectors import ConversationFilters

VIEWS = {
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "teams": _("My teams"),
    "all": _("All"),
    "mentions": _("Mentions"),
}
SORTS = {
    "-updated": _("Latest activity"),
    "updated": _("Longest waiting"),
    "-created": _("Newest"),
    "created": _("Oldest"),
    "sla": _("Time to breach"),
}
# Orders beyond the API's: "sla" is the due time annotated by servicelevels.selectors.with_service_level.
PAGINATION_SORTS = {**API_SORTS, "sla": ("sla_due", False)}
PAGE_SIZE = 50


def view_filters(view: str, agent: Agent) -> ConversationFilters:
    """A view's own filters; each shows open work (new, open, pending, on hold) unless narrowed."""
    active = tuple(ACTIVE_STATUSES)
    if view == "mine":
        return ConversationFilters(status=active, assignee=agent.pk)
    if view == "unassigned":
        return ConversationFilters(status=active, unassigned=True)
    if view == "teams":
        # No team: no conversation can match (an empty tuple would mean "any team").
        return ConversationFilters(status=active, teams=tuple(agent_team_ids(agent)) or (0,))
    if view == "mentions":
        return ConversationFilters(mentioning=agent.pk)
    return ConversationFilters(status=active)


def _choices(raw: list[str], allowed) -> tuple[str, ...]:
    values = [v for item in raw for v in item.split(",") if v]
    return tuple(dict.fromkeys(v for v in values if v in allowed))


@dataclass(frozen=True)
class InboxQuery:
    view: str
    filters: ConversationFilters
    sort: str
    cursor: str | None
    params: dict  # the narrowing parameters as given (for links that keep them)

    def url(self, **changes) -> str:
        """This query's URL with some parameters changed (None drops one)."""
        params = {"view": self.view, **self.params, "sort": self.sort, **changes}
        return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "", ())}, doseq=True)


def parse_inbox_query(query, agent: Agent) -> InboxQuery:
    """The inbox query from a request's GET parameters; unknown values are dropped, not errors:
    a stale bookmark still shows an inbox."""
    # "All" open work first: until routing assigns conversations, most wait unassigned.
    view = query.get("view") if query.get("view") in VIEWS else "all"
    filters = view_filters(view, agent)
    params: dict = {}
    status = _choices(query.getlist("status"), Status.values)
    if status:
        filters = replace(filters, status=status)
        params["status"] = ",".join(status)
    priority = _choices(query.getlist("priority"), Priority.values)
    if priority:
        filters = replace(filters, priority=priority)
        params["priority"] = ",".join(priority)
    channel = _choices(query.getlist("channel"), InboxKind.values)
    if channel:
        filters = replace(filters, channel=channel)
        params["channel"] = ",".join(channel)
    tag = (query.get("tag") or "").strip()[:64]
    if tag:
        filters = replace(filters, tag=tag)
        params["tag"] = tag
    text = (query.get("q") or "").strip()[:200]
    if text:
        filters = replace(filters, q=text)
        params["q"] = text
    sort = query.get("sort") if query.get("sort") in SORTS else "-updated"
    return InboxQuery(view=view, filters=filters, sort=sort, cursor=query.get("cursor") or None, params=params)
