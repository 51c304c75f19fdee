"""Which agent membership a logged-in browser session acts as."""

from __future__ import annotations

from layan.accounts.models import Agent
from layan.accounts.selectors import agents_for_user

SESSION_WORKSPACE_KEY = "layan_workspace_id"


def session_agent(request) -> Agent | None:
    """The active membership of the session's user in the session's workspace (or their first)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = agents_for_user(user).select_related("user")
    wanted = request.session.get(SESSION_WORKSPACE_KEY)
    agent = memberships.filter(workspace_id=wanted).first() if wanted else None
    return agent or memberships.first()
