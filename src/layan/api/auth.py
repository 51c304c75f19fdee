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
    def authenticate(self, request, key):
        agent = session_agent(request)
        if agent is None:
            return None
        request.agent = agent
        request.actor = Actor.for_agent(agent)
        return agent


AUTH = [BearerTokenAuth(), SessionAgentAuth()]
