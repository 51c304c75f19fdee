"""API v1: conversations, their messages, notes, assignment, tags, followers, links, merge."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from layan.accounts.selectors import access_agent, access_team, audit_trail
from layan.api import render
from layan.api.pagination import paginate
from layan.api.schemas import (
    ERRORS,
    AssignIn,
    AuditOut,
    ConversationDetailOut,
    ConversationIn,
    ConversationOut,
    ConversationPage,
    ConversationPatch,
    FollowerIn,
    LinkIn,
    MergeIn,
    MessageOut,
    MessagePage,
    NoteIn,
    ReplyIn,
    TagsIn,
    TimeEntryOut,
    TimeIn,
)
from layan.connectors.selectors import access_inbox
from layan.conversations import services
from layan.conversations.selectors import (
    ConversationFilters,
    access_attachment,
    access_conversation,
    access_link,
    access_message,
    access_message_source,
    conversation_after_change,
    conversation_messages,
    list_conversations,
)
from layan.customers.selectors import access_customer
from layan.delivery.services import retry_delivery_now
from layan.errors import InvalidInput

router = Router(tags=["conversations"])


class ConversationQuery(Schema):
    status: str | None = Field(None, description="comma-separated statuses, e.g. new,open")
    assignee: str | None = Field(None, description="agent id, 'me' or 'none'")
    team: int | None = None
    inbox: int | None = None
    priority: str | None = Field(None, description="comma-separated priorities")
    tag: str | None = None
    customer: int | None = None
    q: str | None = Field(None, max_length=200, description="text in the subject or messages, or #number")
    sort: str = Field("-created", description="-created, created, -updated or updated")
    cursor: str | None = None
    limit: int | None = None


def _csv(value: str | None, allowed: set[str], field: str) -> tuple[str, ...]:
    if not value:
        return ()
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise InvalidInput(_("Unknown value: %(v)s") % {"v": unknown[0]}, field=field)
    return items


def _detail(request, conversation_id: int) -> dict:
    return render.conversation_detail_out(access_conversation(agent=request.agent, conversation_id=conversation_id))


def _changed(request, conversation_id: int) -> dict:
    # A change may take the conversation out of the caller's sight (another team, unfollowed):
    # the change happened, so they get its result rather than a 404.
    return render.conversation_detail_out(conversation_after_change(agent=request.agent,
                                                                    conversation_id=conversation_id))


@router.get("", response={200: ConversationPage, **ERRORS}, summary="List conversations")
def list_(request, query: Query[ConversationQuery]):
    agent = request.agent
    assignee, unassigned = None, False
    if query.assignee == "me":
        assignee = agent.pk
    elif query.assignee == "none":
        unassigned = True
    elif query.assignee:
        if not query.assignee.isdigit():
            raise InvalidInput(_("assignee is an agent id, 'me' or 'none'."), field="assignee")
        assignee = int(query.assignee)
    filters = ConversationFilters(
        status=_csv(query.status, {"new", "open", "pending", "on_hold", "solved", "closed"}, "status"),
        priority=_csv(query.priority, {"low", "normal", "high", "urgent"}, "priority"),
        assignee=assignee, unassigned=unassigned, team=query.team, inbox=query.inbox, tag=query.tag or "",
        customer=query.customer, q=query.q or "",
    )
    rows, next_cursor = paginate(list_conversations(agent=agent, filters=filters), cursor=query.cursor,
                                 limit=query.limit, sort=query.sort)
    return {"items": [render.conversation_out(c) for c in rows], "next_cursor": next_cursor}


@router.post("", response={200: ConversationOut, 201: ConversationOut, **ERRORS}, summary="Create a conversation")
def create(request, payload: ConversationIn, idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128)):
    agent = request.agent
    inbox = access_inbox(agent=agent, inbox_id=payload.inbox) if payload.inbox else None
    team = access_team(agent=agent, team_id=payload.team) if payload.team else None
    assignee = access_agent(agent=agent, agent_id=payload.assignee) if payload.assignee else None
    lookup = payload.customer
    customer = access_customer(agent=agent, customer_id=lookup.id) if lookup.id is not None else None
    result = services.create_conversation(
        actor=request.actor, inbox=inbox, customer=customer, customer_name=lookup.name,
        customer_identities=lookup.identities(), subject=payload.subject, text=payload.message.text,
        html=payload.message.html, author=payload.message.author, priority=payload.priority, type=payload.type,
        team=team, assignee=assignee, tags=payload.tags, custom_fields=payload.custom_fields,
        attachments=[a.decode() for a in payload.message.attachments], idempotency_key=idempotency_key,
    )
    if result.duplicate:  # the key may have opened a conversation this caller does not see
        conversation = access_conversation(agent=agent, conversation_id=result.conversation.pk)
    else:
        conversation = conversation_after_change(agent=agent, conversation_id=result.conversation.pk)
    return Status((200 if result.duplicate else 201), render.conversation_out(conversation))


@router.get("/{int:conversation_id}", response={200: ConversationDetailOut, **ERRORS}, summary="Get a conversation")
def get(request, conversation_id: int):
    return _detail(request, conversation_id)


@router.patch("/{int:conversation_id}", response={200: ConversationDetailOut, **ERRORS},
              summary="Update subject, status, priority, type, tags or custom fields")
def update(request, conversation_id: int, payload: ConversationPatch):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    changes = {k: getattr(payload, k) for k in payload.model_fields_set if getattr(payload, k) is not None}
    services.edit_conversation(actor=request.actor, conversation=conversation, **changes)
    return _changed(request, conversation_id)


@router.get("/{int:conversation_id}/messages", response={200: MessagePage, **ERRORS}, summary="The thread")
def messages(request, conversation_id: int, cursor: str | None = None, limit: int | None = None):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    rows, next_cursor = paginate(conversation_messages(conversation=conversation), cursor=cursor, limit=limit,
                                 sort="created")
    return {"items": [render.message_out(m) for m in rows], "next_cursor": next_cursor}


@router.post("/{int:conversation_id}/reply", response={200: MessageOut, 201: MessageOut, **ERRORS},
             summary="Reply to the customer on the conversation's channel")
def reply(request, conversation_id: int, payload: ReplyIn,
          idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=128)):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    message, duplicate = services.reply_to_conversation(
        actor=request.actor, conversation=conversation, text=payload.text, html=payload.html, to=payload.to,
        cc=payload.cc, bcc=payload.bcc, attachments=[a.decode() for a in payload.attachments],
        status=payload.status, idempotency_key=idempotency_key,
        template=payload.template.model_dump() if payload.template is not None else None,
    )
    # The reply as this request wrote it: a worker may already be sending it, and a re-read would
    # answer whichever status it has reached by then.
    return Status((200 if duplicate else 201), render.message_out(message))


@router.post("/{int:conversation_id}/notes", response={201: MessageOut, **ERRORS}, summary="Add an internal note")
def note(request, conversation_id: int, payload: NoteIn):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    mentions = [access_agent(agent=request.agent, agent_id=pk) for pk in payload.mention_ids]
    message = services.add_note(actor=request.actor, conversation=conversation, text=payload.text,
                                mentions=mentions)
    return Status(201, render.message_out(access_message(agent=request.agent, message_id=message.pk)))


@router.post("/{int:conversation_id}/assign", response={200: ConversationDetailOut, **ERRORS},
             summary="Assign to an agent and/or a team; null unassigns, an omitted key stays")
def assign(request, conversation_id: int, payload: AssignIn):
    agent = request.agent
    conversation = access_conversation(agent=agent, conversation_id=conversation_id)
    given = payload.model_fields_set
    if not given:
        raise InvalidInput(_("Send assignee and/or team."), field="assignee")
    kwargs = {}
    if "assignee" in given:
        kwargs["assignee"] = access_agent(agent=agent, agent_id=payload.assignee) if payload.assignee else None
    if "team" in given:
        kwargs["team"] = access_team(agent=agent, team_id=payload.team) if payload.team else None
    services.assign_conversation(actor=request.actor, conversation=conversation, **kwargs)
    return _changed(request, conversation_id)


@router.post("/{int:conversation_id}/merge", response={200: ConversationDetailOut, **ERRORS},
             summary="Merge another conversation (source_id) into this one")
def merge(request, conversation_id: int, payload: MergeIn):
    target = access_conversation(agent=request.agent, conversation_id=conversation_id)
    source = access_conversation(agent=request.agent, conversation_id=payload.source_id)
    services.merge_conversations(actor=request.actor, source=source, target=target)
    return _changed(request, conversation_id)


@router.post("/{int:conversation_id}/tags", response={200: ConversationDetailOut, **ERRORS},
             summary="Add and remove tags")
def tags(request, conversation_id: int, payload: TagsIn):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    services.tag(actor=request.actor, conversation=conversation, add=payload.add, remove=payload.remove)
    return _changed(request, conversation_id)


@router.post("/{int:conversation_id}/followers", response={200: ConversationDetailOut, **ERRORS},
             summary="Add a follower")
def follow(request, conversation_id: int, payload: FollowerIn):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    follower = access_agent(agent=request.agent, agent_id=payload.agent_id)
    services.add_follower(actor=request.actor, conversation=conversation, agent=follower)
    return _changed(request, conversation_id)


@router.delete("/{int:conversation_id}/followers/{int:agent_id}", response={200: ConversationDetailOut, **ERRORS},
               summary="Remove a follower")
def unfollow(request, conversation_id: int, agent_id: int):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    follower = access_agent(agent=request.agent, agent_id=agent_id)
    services.remove_follower(actor=request.actor, conversation=conversation, agent=follower)
    return _changed(request, conversation_id)


@router.delete("/{int:conversation_id}/participants/{address}", response={200: ConversationDetailOut, **ERRORS},
               summary="Take a person off the thread (later replies no longer copy them)")
def remove_participant(request, conversation_id: int, address: str):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    services.remove_participant(actor=request.actor, conversation=conversation, address=address)
    return _changed(request, conversation_id)


@router.post("/{int:conversation_id}/links", response={200: ConversationDetailOut, **ERRORS},
             summary="Link to another conversation (child, related, duplicate, follow-up)")
def link(request, conversation_id: int, payload: LinkIn):
    source = access_conversation(agent=request.agent, conversation_id=conversation_id)
    target = access_conversation(agent=request.agent, conversation_id=payload.target_id)
    services.link_conversations(actor=request.actor, source=source, target=target, kind=payload.kind)
    return _changed(request, conversation_id)


@router.delete("/{int:conversation_id}/links/{int:link_id}", response={200: ConversationDetailOut, **ERRORS},
               summary="Remove a link")
def unlink(request, conversation_id: int, link_id: int):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    services.unlink_conversations(actor=request.actor, link=access_link(conversation=conversation, link_id=link_id))
    return _changed(request, conversation_id)


@router.post("/{int:conversation_id}/time", response={201: TimeEntryOut, **ERRORS}, summary="Log time spent")
def log_time(request, conversation_id: int, payload: TimeIn):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    entry = services.log_time(actor=request.actor, conversation=conversation, seconds=payload.seconds,
                              note=payload.note)
    return Status(201, entry)


@router.get("/{int:conversation_id}/time", response={200: list[TimeEntryOut], **ERRORS}, summary="Time spent")
def time_entries(request, conversation_id: int):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    return list(conversation.time_entries.order_by("id"))


@router.get("/{int:conversation_id}/audit", response={200: list[AuditOut], **ERRORS}, summary="Audit trail")
def audit(request, conversation_id: int):
    conversation = access_conversation(agent=request.agent, conversation_id=conversation_id)
    return list(audit_trail(agent=request.agent, object_type="conversation", object_id=conversation.pk))


messages_router = Router(tags=["messages"])


@messages_router.get("/messages/{int:message_id}", response={200: MessageOut, **ERRORS}, summary="Get a message")
def get_message(request, message_id: int):
    return render.message_out(access_message(agent=request.agent, message_id=message_id))


@messages_router.post("/messages/{int:message_id}/retry", response={200: MessageOut, **ERRORS},
                      summary="Retry a reply now: one waiting for its next attempt, or one that failed")
def retry_message(request, message_id: int):
    message = access_message(agent=request.agent, message_id=message_id)
    retry_delivery_now(actor=request.actor, message=message)
    return render.message_out(access_message(agent=request.agent, message_id=message_id))


@messages_router.get("/attachments/{int:attachment_id}/download", url_name="download_attachment",
                     summary="Download an attachment", response={200: None, **ERRORS})
def download_attachment(request, attachment_id: int):
    attachment = access_attachment(agent=request.agent, attachment_id=attachment_id)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@messages_router.get("/messages/{int:message_id}/source", url_name="download_message_source",
                     summary="The message as it was received (for email, the raw .eml)", response={200: None, **ERRORS})
def download_message_source(request, message_id: int):
    event = access_message_source(agent=request.agent, message_id=message_id)
    response = FileResponse(event.payload.open("rb"), as_attachment=True, filename=f"message-{message_id}.eml",
                            content_type="message/rfc822")
    response["X-Content-Type-Options"] = "nosniff"
    return response
