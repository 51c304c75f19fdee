"""Variables in canned replies and rule texts: ``{{customer.first_name}}``, ``{{conversation.number}}``
and the rest of VARIABLES, plus the older ``{customer_name}`` placeholders. One pass, so a value
that itself looks like a variable is never expanded; a missing value renders as an empty string
(or the fallback written after a pipe: ``{{customer.first_name|Kakak}}``), never "None"."""

from __future__ import annotations

import re
from collections.abc import Callable

from layan.accounts.models import Agent
from layan.conversations.models import Conversation


def _first_word(name: str) -> str:
    return name.strip().split()[0] if name and name.strip() else ""


def _text(value) -> str:
    return "" if value is None else str(value).strip()


# name -> value for a conversation and (maybe) an agent
VARIABLES: dict[str, Callable[[Conversation, Agent | None], str]] = {
    "customer.name": lambda c, a: _text(c.customer.name),
    "customer.first_name": lambda c, a: _first_word(c.customer.name),
    "customer.tier": lambda c, a: c.customer.get_tier_display() if c.customer.tier else "",
    "conversation.number": lambda c, a: str(c.number),
    "conversation.subject": lambda c, a: _text(c.subject),
    "conversation.status": lambda c, a: c.get_status_display(),
    "conversation.priority": lambda c, a: c.get_priority_display(),
    "conversation.team": lambda c, a: c.team.name if c.team_id else "",
    "conversation.assignee": lambda c, a: c.assignee.display_name if c.assignee_id else "",
    "agent.name": lambda c, a: _text(a.display_name) if a else "",
    "agent.first_name": lambda c, a: _first_word(a.display_name) if a else "",
    "workspace.name": lambda c, a: _text(c.workspace.name),
}
# The placeholders canned replies had before variables; kept working.
LEGACY = {"customer_name": "customer.name", "agent_name": "agent.name", "conversation_number": "conversation.number"}

_PATTERN = re.compile(
    r"\{\{\s*(?P<name>[a-z_]+\.[a-z_]+)\s*(?:\|(?P<fallback>[^}]*))?\}\}"
    r"|\{(?P<legacy>" + "|".join(LEGACY) + r")\}"
)


def render_variables(text: str, *, conversation: Conversation, agent: Agent | None) -> str:
    """``text`` with every known variable filled for ``conversation``; unknown names stay as written."""

    def fill(match: re.Match) -> str:
        name = match.group("name") or LEGACY[match.group("legacy")]
        value_of = VARIABLES.get(name)
        if value_of is None:
            return match.group(0)
        value = value_of(conversation, agent)
        if not value and match.group("fallback") is not None:
            return match.group("fallback").strip()
        return value

    return _PATTERN.sub(fill, text or "")
