"""API v1: calls. Log a call an agent made or took (it goes on the customer's timeline), and list
a customer's calls (logged ones and those Twilio reported)."""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from layan.api import render
from layan.api.pagination import paginate
from layan.api.schemas import ERRORS, CallIn, CallOut, CallPage
from layan.connectors.voice.selectors import access_call, list_calls
from layan.connectors.voice.services import log_call
from layan.conversations.selectors import access_conversation
from layan.customers.selectors import access_customer

router = Router(tags=["calls"])


class CallQuery(Schema):
    customer: int | None = None
    cursor: str | None = None
    limit: int | None = None


@router.post("", response={201: CallOut, **ERRORS}, summary="Log a call (it goes on the customer's timeline)")
def create(request, payload: CallIn):
    agent = request.agent
    customer = access_customer(agent=agent, customer_id=payload.customer_id)
    conversation = (access_conversation(agent=agent, conversation_id=payload.conversation_id)
                    if payload.conversation_id is not None else None)
    call = log_call(actor=request.actor, customer=customer, conversation=conversation, direction=payload.direction,
                    number=payload.number, duration_seconds=payload.duration_seconds, outcome=payload.outcome,
                    notes=payload.notes)
    return Status(201, render.call_out(access_call(agent=agent, call_id=call.pk)))


@router.get("", response={200: CallPage, **ERRORS}, summary="List calls, newest first (?customer= for one customer's)")
def list_(request, query: Query[CallQuery]):
    # Like every list filter: another workspace's customer finds nothing (no 404 that confirms it exists).
    rows, next_cursor = paginate(list_calls(agent=request.agent, customer_id=query.customer), cursor=query.cursor,
                                 limit=query.limit)
    return {"items": [render.call_out(c) for c in rows], "next_cursor": next_cursor}


@router.get("/{int:call_id}", response={200: CallOut, **ERRORS}, summary="Get a call")
def get(request, call_id: int):
    return render.call_out(access_call(agent=request.agent, call_id=call_id))
