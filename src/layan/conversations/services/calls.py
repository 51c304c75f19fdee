"""Phone calls on the timeline: a call (logged by an agent or reported by the phone provider) is a
message in a conversation, and a missed call opens a task to call the customer back. The calls
themselves live in connectors/voice; these are the conversation writes they need."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Team
from layan.connectors.base import InboundMessage
from layan.connectors.models import Inbox
from layan.conversations.models import (
    AuthorKind,
    Conversation,
    ConversationLink,
    ConversationType,
    Direction,
    LinkKind,
    Message,
    Priority,
    Status,
)
from layan.conversations.services.messaging import _open_conversation
from layan.conversations.services.storage import audit, touch_conversation
from layan.conversations.services.workflow import lock, refuse_if_merged, transition
from layan.conversations.threading import find_conversation
from layan.customers.models import Customer
from layan.errors import Conflict, ErrorCode, InvalidInput


@transaction.atomic
def record_call_message(*, actor: Actor, inbox: Inbox, customer: Customer, number: str, direction: str,
                        text: str, metadata: dict, conversation: Conversation | None = None) -> Message:
    """Write a call as a message: into ``conversation`` when given, else into the customer's
    conversation in ``inbox`` as the inbox's threading policy finds it (the open one), or a new
    one. An agent's call is theirs; a call the provider reported is the customer's when they
    called in, the system's when the business called out. Nothing is sent."""
    if direction not in Direction.values:
        raise InvalidInput(_("A call is inbound or outbound."), field="direction")
    if customer.merged_into_id:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    created = False
    if conversation is not None:
        conversation = lock(conversation)
        refuse_if_merged(conversation)
        if conversation.status == Status.CLOSED:
            raise Conflict(_("Conversation #%(n)s is closed; start a new one.") % {"n": conversation.number},
                           code=ErrorCode.CONVERSATION_CLOSED, field="conversation")
    else:
        decision = find_conversation(inbox=inbox, customer=customer, inbound=InboundMessage(
            sender_kind="phone", sender_value=number, provider_message_id=None))
        conversation = decision.conversation
        if conversation is None:
            created = True
            conversation = _open_conversation(actor=actor, inbox=inbox, customer=customer, subject=text)
            if decision.follow_up_of is not None:
                ConversationLink.objects.create(workspace_id=inbox.workspace_id, source=conversation,
                                                target=decision.follow_up_of, kind=LinkKind.FOLLOW_UP)
    if actor.agent is not None:
        author_kind = AuthorKind.AGENT
    elif direction == Direction.INBOUND:
        author_kind = AuthorKind.CUSTOMER
    else:
        author_kind = AuthorKind.SYSTEM
    message = Message.objects.create(
        workspace_id=conversation.workspace_id, conversation=conversation, inbox_id=conversation.inbox_id,
        direction=direction, author_kind=author_kind, author_agent=actor.agent,
        author_customer=customer if author_kind == AuthorKind.CUSTOMER else None, text=text, metadata=metadata,
    )
    # A call is a conversation with the customer: an inbound one reopens a waiting conversation,
    # and an agent's call answers it.
    reopens = direction == Direction.INBOUND and conversation.status in (Status.PENDING, Status.SOLVED,
                                                                          Status.ON_HOLD)
    answers = actor.agent is not None and conversation.status == Status.NEW
    old_status = transition(conversation, Status.OPEN) if reopens or answers else None
    fields = ["status", "solved_at", "closed_at"] if old_status else []
    if actor.agent is not None and conversation.first_response_at is None:
        conversation.first_response_at = timezone.now()
        fields.append("first_response_at")
    if fields:
        conversation.save(update_fields=fields)
    touch_conversation(conversation, customer_message=direction == Direction.INBOUND)
    audit(actor, "conversation.call_recorded", conversation, after={"message": message.pk, **metadata})
    ids = {"workspace_id": conversation.workspace_id, "conversation_id": conversation.pk}
    if created:
        events.publish(events.ConversationCreated(**ids))
    if old_status:
        audit(actor, "conversation.status_changed", conversation, {"status": old_status},
              {"status": conversation.status})
        events.publish(events.ConversationStatusChanged(**ids, old_status=old_status, new_status=conversation.status))
    events.publish(events.MessageReceived(**ids, message_id=message.pk))
    return message


@transaction.atomic
def amend_call_message(*, message_id: int, text: str, metadata: dict) -> Message:
    """The call's message after the provider told more (a voicemail left once the call ended)."""
    message = Message.objects.select_for_update().get(pk=message_id)
    message.text = text
    message.metadata = {**(message.metadata or {}), **metadata}
    message.save(update_fields=["text", "metadata"])
    events.publish(events.ConversationUpdated(workspace_id=message.workspace_id,
                                              conversation_id=message.conversation_id, fields=("messages",)))
    return message


@transaction.atomic
def open_task_conversation(*, actor: Actor, inbox: Inbox, customer: Customer, subject: str, note: str,
                           team: Team | None = None, priority: str = Priority.HIGH) -> Conversation:
    """A task for the team (a conversation of type task: call a customer back), with ``note``
    explaining it as its first, internal message. Nothing is sent to the customer."""
    if customer.merged_into_id:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    conversation = _open_conversation(actor=actor, inbox=inbox, customer=customer, subject=subject,
                                      priority=priority, type=ConversationType.TASK, team=team)
    message = Message.objects.create(
        workspace_id=conversation.workspace_id, conversation=conversation, inbox_id=inbox.pk,
        direction=Direction.OUTBOUND, author_kind=AuthorKind.SYSTEM, is_note=True, text=note,
    )
    touch_conversation(conversation, customer_message=False)
    ids = {"workspace_id": conversation.workspace_id, "conversation_id": conversation.pk}
    events.publish(events.ConversationCreated(**ids))
    events.publish(events.NoteAdded(**ids, message_id=message.pk))
    return conversation
