"""API authentication: bearer tokens for programs, the session (with CSRF) for the browser."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from layan.accounts.actors import Actor
from layan.accounts.selectors import active_agent_for_token
from layan.accounts.services import touch_api_token
from layan.web.session import session_agent


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = active_agent_for_token(token)
        if found is None:
            return None
        agent, api_token = found
        touch_api_token(token=api_token)
        request.agent = agent
        request.actor = Actor.for_agent(agent, api_token)
        return agent


class SessionAgentAuth(SessionAuth):
    """The browser session. CSRF is checked only when the session has an agent: a request with
    neither a valid token nor a session is unauthenticated (401), not a failed CSRF check (403)."""

    def __call__(self, request):
        request.session_agent = session_agent(request)
        if request.session_agent is None:
            return None
        return super().__call__(request)  # the CSRF check (403 when it fails), then authenticate()

    def authenticate(self, request, key):
        agent = request.session_agent
        request.agent = agent
        request.actor = Actor.for_agent(agent)
        return agent


AUTH = [BearerTokenAuth(), SessionAgentAuth()]
