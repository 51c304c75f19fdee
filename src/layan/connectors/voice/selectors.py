"""Reads for calls. A call is seen by whoever may see the conversation it is on (a call not yet
on any conversation, still ringing, by supervisors and admins)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.connectors.voice.models import Call
from layan.conversations.selectors import visible_conversations
from layan.errors import NotFound


def visible_calls(agent: Agent) -> QuerySet[Call]:
    calls = Call.objects.filter(workspace_id=agent.workspace_id)
    if agent.is_supervisor_or_admin:
        return calls
    return calls.filter(Q(conversation__in=visible_conversations(agent))
                        | Q(callback_conversation__in=visible_conversations(agent)))


def list_calls(*, agent: Agent, customer_id: int | None = None) -> QuerySet[Call]:
    calls = visible_calls(agent)
    if customer_id is not None:
        calls = calls.filter(customer_id=customer_id)
    return calls.select_related("agent", "conversation", "callback_conversation")


def access_call(*, agent: Agent, call_id: int) -> Call:
    call = list_calls(agent=agent).filter(pk=call_id).first()
    if call is None:
        raise NotFound(_("Call not found."), field="call")
    return call
