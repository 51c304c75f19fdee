"""Which agent membership a logged-in browser session acts as."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from layan import errors
from layan.accounts.models import Agent
from layan.accounts.selectors import agents_for_user, require_role

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


def session_agent_with_role(request, role: str) -> Agent:
    """The session's agent for a page that needs at least ``role``: 404 without one, 403 below it."""
    agent = session_agent(request)
    if agent is None:
        raise Http404
    try:
        require_role(agent, role)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    return agent
