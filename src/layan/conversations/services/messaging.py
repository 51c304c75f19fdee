"""Messages in and out: receive from a channel, open a conversation, reply, note, delivery status.

The inbound path is described in docs/flows/inbound.md; replies go through the outbox
(docs/flows/outbox.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Agent, Team, Workspace
from layan.connectors.base import InboundAttachment, InboundMessage
from layan.connectors.email.config import is_own_address, own_addresses
from layan.connectors.models import Inbox, InboxKind
from layan.connectors.services import default_api_inbox
from layan.conversations.models import (
    DELIVERY_RANK,
    AuthorKind,
    Conversation,
    ConversationLink,
    ConversationType,
    DeliveryStatus,
    Direction,
    Follower,
    LinkKind,
    Message,
    Participant,
    ParticipantRole,
    Priority,
    Status,
)
from layan.conversations.sanitise import sanitise_html
from layan.conversations.selectors import default_recipients, thread_copies
from layan.conversations.services.storage import (
    apply_tags,
    audit,
    check_attachments,
    check_text,
    next_conversation_number,
    snapshot,
    store_attachments,
    touch_conversation,
)
from layan.conversations.services.workflow import lock, refuse_if_merged, transition
from layan.conversations.threading import find_conversation
from layan.customers.models import Customer
from layan.customers.normalise import normalise_email
from layan.customers.services import IdentityInput, find_or_create_customer, resolve_identity
from layan.errors import Conflict, ErrorCode, InvalidInput

# Which customer identity a reply on each inbox kind is addressed to.

_MENTION = re.compile(r"(?<![\w@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


@dataclass(frozen=True)
class ReceiveResult:
    message: Message
    conversation: Conversation
    duplicate: bool
    created_conversation: bool = False


def _existing_inbound(inbox: Inbox, provider_message_id: str) -> Message | None:
    return (
        Message.objects.select_related("conversation")
        .filter(inbox=inbox, provider_message_id=provider_message_id)
        .first()
    )


def receive_inbound_message(*, inbox: Inbox, inbound: InboundMessage) -> ReceiveResult:
    """Store one inbound message exactly once and thread it. Safe to call again with the same
    provider message (providers retry): the unique (inbox, provider id) constraint decides."""
    inbound = inbound.without_nul()
    text = check_text(inbound.text)
    attachments = check_attachments(inbound.attachments)
    pmid = inbound.provider_message_id
    if pmid:
        existing = _existing_inbound(inbox, pmid)
        if existing is not None:
            return ReceiveResult(message=existing, conversation=existing.conversation, duplicate=True)
    try:
        with transaction.atomic():
            return _receive(inbox=inbox, inbound=inbound, text=text, attachments=attachments)
    except IntegrityError:
        existing = _existing_inbound(inbox, pmid) if pmid else None
        if existing is None:
            raise
        return ReceiveResult(message=existing, conversation=existing.conversation, duplicate=True)


def _receive(*, inbox: Inbox, inbound: InboundMessage, text: str,
             attachments: list[InboundAttachment]) -> ReceiveResult:
    workspace = inbox.workspace
    actor = Actor.customer(workspace)
    identity = resolve_identity(workspace=workspace, kind=inbound.sender_kind, value=inbound.sender_value,
                                name=inbound.sender_name)
    customer = identity.customer
    if customer.merged_into_id:  # identities move on merge, but be safe with stale rows
        customer = Customer.objects.get(pk=customer.merged_into_id)
    decision = find_conversation(inbox=inbox, customer=customer, inbound=inbound)
    conversation = decision.conversation
    created = conversation is None
    reopened_from = None
    if created:
        conversation = _open_conversation(
            actor=actor, inbox=inbox, customer=customer,
            subject=inbound.subject or _subject_from_text(text),
        )
        if decision.follow_up_of is not None:
            ConversationLink.objects.create(workspace=workspace, source=conversation,
                                            target=decision.follow_up_of, kind=LinkKind.FOLLOW_UP)
    elif conversation.status in (Status.PENDING, Status.SOLVED, Status.ON_HOLD) and not inbound.automatic:
        reopened_from = transition(conversation, Status.OPEN)
        conversation.save(update_fields=["status", "solved_at"])
        audit(actor, "conversation.status_changed", conversation, {"status": reopened_from}, {"status": Status.OPEN})

    message = Message.objects.create(
        workspace=workspace, conversation=conversation, inbox=inbox, direction=Direction.INBOUND,
        author_kind=AuthorKind.CUSTOMER, author_customer=customer, text=text,
        html=sanitise_html(inbound.html), provider_message_id=inbound.provider_message_id or None,
        recipients={"to": [a for a, _n in inbound.to], "cc": [a for a, _n in inbound.cc]},
        sent_at=inbound.sent_at, quoted_text=inbound.quoted_text, metadata=inbound.metadata,
        source_event_id=inbound.source_event_id,
    )
    own = own_addresses(inbox.settings)
    people = [(ParticipantRole.TO, a, n) for a, n in inbound.to] + [(ParticipantRole.CC, a, n) for a, n in inbound.cc]
    if not created and customer.pk != conversation.customer_id and inbound.sender_kind == "email":
        # Someone else on the thread wrote (a CC'd colleague): they stay on the replies from now on.
        people.append((ParticipantRole.CC, identity.value, inbound.sender_name))
    for role, address, name in people:
        address = address.strip().lower()
        if address and not is_own_address(address, own):
            Participant.objects.get_or_create(conversation=conversation, address=address,
                                              defaults={"role": role, "name": name[:200]})
    store_attachments(message, attachments)
    touch_conversation(conversation, customer_message=True)
    if not customer.name and inbound.sender_name:
        Customer.objects.filter(pk=customer.pk, name="").update(name=inbound.sender_name.strip()[:200])

    ids = {"workspace_id": workspace.pk, "conversation_id": conversation.pk}
    if created:
        events.publish(events.ConversationCreated(**ids))
    if reopened_from:
        events.publish(events.ConversationStatusChanged(**ids, old_status=reopened_from, new_status=Status.OPEN))
    events.publish(events.MessageReceived(**ids, message_id=message.pk))
    return ReceiveResult(message=message, conversation=conversation, duplicate=False,
                         created_conversation=created)


def _subject_from_text(text: str) -> str:
    first_line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return first_line[:80]


def _open_conversation(*, actor: Actor, inbox: Inbox, customer: Customer, subject: str,
                       priority: str = Priority.NORMAL, type: str = ConversationType.QUESTION,  # noqa: A002
                       team: Team | None = None, assignee: Agent | None = None,
                       custom_fields: dict | None = None) -> Conversation:
    now = timezone.now()
    conversation = Conversation.objects.create(
        workspace_id=inbox.workspace_id, number=next_conversation_number(inbox.workspace_id),
        subject=(subject or "").strip()[:300], priority=priority, type=type, customer=customer, inbox=inbox,
        channel=inbox.kind, team=team or inbox.default_team, assignee=assignee,
        custom_fields=custom_fields or {}, created_at=now, updated_at=now, last_message_at=now,
    )
    audit(actor, "conversation.created", conversation, after=snapshot(conversation))
    return conversation


@dataclass(frozen=True)
class CreateResult:
    conversation: Conversation
    message: Message
    duplicate: bool


@transaction.atomic
def create_conversation(
    *,
    actor: Actor,
    inbox: Inbox | None = None,
    customer: Customer | None = None,
    customer_name: str = "",
    customer_identities: Sequence[IdentityInput] = (),
    subject: str,
    text: str = "",
    html: str = "",
    author: str = AuthorKind.CUSTOMER,
    priority: str = Priority.NORMAL,
    type: str = ConversationType.QUESTION,  # noqa: A002
    team: Team | None = None,
    assignee: Agent | None = None,
    tags: Iterable[str] = (),
    custom_fields: dict | None = None,
    attachments: Sequence[InboundAttachment] = (),
    idempotency_key: str | None = None,
) -> CreateResult:
    """Open a conversation with its first message: from the customer (a call logged, a form) or
    from an agent (proactive outreach, sent through the outbox).

    The customer is given, or found/created from ``customer_identities`` in the same transaction,
    so that a refused request writes nothing. No inbox means the workspace's API inbox."""
    if idempotency_key:
        # Requests with a key queue on the workspace row (numbering takes that lock anyway), so a
        # concurrent retry finds the first request's conversation instead of colliding with it.
        Workspace.objects.select_for_update().values_list("pk", flat=True).get(pk=actor.workspace.pk)
        earlier = Message.objects.select_related("conversation").filter(
            workspace=actor.workspace, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return CreateResult(conversation=earlier.conversation, message=earlier, duplicate=True)
    if priority not in Priority.values:
        raise InvalidInput(_("Priority must be low, normal, high or urgent."), field="priority")
    if type not in ConversationType.values:
        raise InvalidInput(_("Unknown conversation type."), field="type")
    if author not in (AuthorKind.CUSTOMER, AuthorKind.AGENT):
        raise InvalidInput(_("The first message is from the customer or from an agent."), field="message.author")
    text = check_text(text, field="message.text")
    attachments = check_attachments(attachments)
    if not (text.strip() or html.strip() or attachments):
        raise InvalidInput(_("The message needs text or an attachment."), field="message.text")
    for who, field in ((assignee, "assignee"), (team, "team"), (inbox, "inbox"), (customer, "customer")):
        if who is not None and who.workspace_id != actor.workspace.pk:
            raise InvalidInput(_("Not found in this workspace."), field=field)
    # Opening with an assignee is an assignment: the same checks as assign_conversation().
    if assignee is not None and not assignee.is_active:
        raise InvalidInput(_("That agent is deactivated."), field="assignee")
    if assignee is not None and team is not None and not assignee.teams.filter(pk=team.pk).exists():
        raise InvalidInput(_("%(agent)s is not a member of that team.") % {"agent": assignee.display_name},
                           field="assignee")
    if custom_fields is not None and not isinstance(custom_fields, dict):
        raise InvalidInput(_("Custom fields must be an object."), field="custom_fields")
    if customer is None:
        customer = find_or_create_customer(actor=actor, name=customer_name, identities=customer_identities)
    if customer.merged_into_id:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    if inbox is None:
        inbox = default_api_inbox(workspace=actor.workspace)
    conversation = _open_conversation(
        actor=actor, inbox=inbox, customer=customer, subject=subject or _subject_from_text(text),
        priority=priority, type=type, team=team, assignee=assignee, custom_fields=custom_fields,
    )
    if tags:
        apply_tags(conversation, tags)
    events.publish(events.ConversationCreated(workspace_id=inbox.workspace_id, conversation_id=conversation.pk))
    if author == AuthorKind.AGENT:
        message = _reply(actor=actor, conversation=conversation, text=text, html=html, to=None, cc=(), bcc=(),
                         attachments=attachments, status=None, idempotency_key=idempotency_key)
        return CreateResult(conversation=conversation, message=message, duplicate=False)
    message = Message.objects.create(
        workspace_id=inbox.workspace_id, conversation=conversation, inbox=inbox, direction=Direction.INBOUND,
        author_kind=AuthorKind.CUSTOMER, author_customer=customer, text=text, html=sanitise_html(html),
        idempotency_key=idempotency_key or None,
    )
    store_attachments(message, attachments)
    touch_conversation(conversation, customer_message=True)
    events.publish(events.MessageReceived(workspace_id=inbox.workspace_id, conversation_id=conversation.pk,
                                          message_id=message.pk))
    return CreateResult(conversation=conversation, message=message, duplicate=False)


def _clean_addresses(addresses: Iterable[str], field: str) -> list[str]:
    cleaned = []
    for raw in addresses:
        if "\r" in raw or "\n" in raw:
            raise InvalidInput(_("Addresses cannot contain line breaks."), field=field)
        try:
            address = normalise_email(raw)
        except InvalidInput as exc:  # name the reply's input (to, cc, bcc), not "email"
            raise InvalidInput(exc.message, code=exc.code, field=field) from exc
        if address not in cleaned:
            cleaned.append(address)
    return cleaned


def _reply(*, actor: Actor, conversation: Conversation, text: str, html: str, to: Sequence[str] | None,
           cc: Sequence[str], bcc: Sequence[str], attachments: list[InboundAttachment], status: str | None,
           idempotency_key: str | None, metadata: dict | None = None) -> Message:
    from layan.delivery.services import enqueue_outbound

    if conversation.channel == InboxKind.VOICE:
        # A phone inbox has no text to send: the agent calls back and logs the call.
        raise Conflict(_("This is a phone conversation: call the customer back and log the call instead of "
                         "replying."), code=ErrorCode.NO_TEXT_REPLIES)
    is_email = conversation.channel == InboxKind.EMAIL
    if (cc or bcc) and not is_email:
        raise InvalidInput(_("CC and BCC are only for email conversations."), field="cc" if cc else "bcc")
    if is_email:
        own = own_addresses(conversation.inbox.settings)
        given = {field: _clean_addresses(addresses, field) for field, addresses in
                 (("to", to or ()), ("cc", cc), ("bcc", bcc))}
        for field, addresses in given.items():
            if any(is_own_address(a, own) for a in addresses):
                raise InvalidInput(_("A reply cannot go to this inbox's own address."), field=field)
        to_list = given["to"] or default_recipients(conversation=conversation)
        if not to_list:
            raise InvalidInput(_("The customer has no email address to reply to."), field="to")
        kept_cc = [a for a in thread_copies(conversation=conversation) if a not in to_list]
        cc_list = [a for a in dict.fromkeys([*kept_cc, *given["cc"]]) if a not in to_list]
        bcc_list = [a for a in given["bcc"] if a not in to_list and a not in cc_list]
        for address in cc_list:
            Participant.objects.get_or_create(conversation=conversation, address=address,
                                              defaults={"role": ParticipantRole.CC})
    else:
        to_list, cc_list, bcc_list = default_recipients(conversation=conversation), [], []
    now = timezone.now()
    message = Message.objects.create(
        workspace_id=conversation.workspace_id, conversation=conversation, inbox_id=conversation.inbox_id,
        direction=Direction.OUTBOUND, author_kind=AuthorKind.AGENT if actor.agent else AuthorKind.SYSTEM,
        author_agent=actor.agent, text=text, html=sanitise_html(html),
        recipients={"to": to_list, "cc": cc_list, "bcc": bcc_list},
        idempotency_key=idempotency_key or None, delivery_status=DeliveryStatus.QUEUED, metadata=metadata or {},
    )
    store_attachments(message, attachments)
    item = enqueue_outbound(message=message)
    fields = []
    if conversation.first_response_at is None and actor.agent is not None:
        conversation.first_response_at = now
        fields.append("first_response_at")
    old_status = None
    target = status or (Status.OPEN if conversation.status == Status.NEW else None)
    if target:
        old_status = transition(conversation, target)
        if old_status:
            fields += ["status", "solved_at", "closed_at"]
    if fields:
        conversation.save(update_fields=fields)
    touch_conversation(conversation, customer_message=False)
    # Audit keeps BCC: the only place besides the message itself where it is recorded.
    audit(actor, "conversation.replied", conversation,
          after={"message": message.pk, "to": to_list, "cc": cc_list, "bcc": bcc_list})
    ids = {"workspace_id": conversation.workspace_id, "conversation_id": conversation.pk}
    if old_status:
        audit(actor, "conversation.status_changed", conversation, {"status": old_status},
              {"status": conversation.status})
        events.publish(events.ConversationStatusChanged(**ids, old_status=old_status,
                                                        new_status=conversation.status))
    events.publish(events.ReplyQueued(**ids, message_id=message.pk, outbox_item_id=item.pk))
    return message


@transaction.atomic
def reply_to_conversation(
    *,
    actor: Actor,
    conversation: Conversation,
    text: str = "",
    html: str = "",
    to: Sequence[str] | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    attachments: Sequence[InboundAttachment] = (),
    status: str | None = None,
    idempotency_key: str | None = None,
    template: dict | None = None,
) -> tuple[Message, bool]:
    """Write the reply and its outbox item in one transaction; the send happens after commit.

    ``template={"name", "language", "parameters"}`` sends an approved WhatsApp template instead of
    free text: the message's text is its body with the parameters filled in. On a channel with a
    customer-service window (connectors/window.py) free text is refused once the window closed.

    Returns (message, duplicate): a retried request with the same idempotency key writes nothing."""
    # Lock first: a concurrent retry then waits for the first request and finds its message.
    conversation = lock(conversation)
    if idempotency_key:
        earlier = Message.objects.filter(workspace_id=conversation.workspace_id,
                                         idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.conversation_id != conversation.pk:
                raise Conflict(_("That idempotency key was used for another conversation."),
                               code=ErrorCode.DUPLICATE, field="Idempotency-Key")
            return earlier, True
    metadata = None
    if template is not None:
        text, metadata = _template_reply(conversation, template, text=text, html=html, attachments=attachments)
    text = check_text(text)
    attachments = check_attachments(attachments)
    if not (text.strip() or html.strip() or attachments):
        raise InvalidInput(_("A reply needs text or an attachment."), field="text")
    refuse_if_merged(conversation)
    if conversation.status == Status.CLOSED:
        raise Conflict(_("Conversation #%(n)s is closed; start a new one.") % {"n": conversation.number},
                       code=ErrorCode.CONVERSATION_CLOSED)
    if template is None:
        _refuse_if_window_closed(conversation)
    message = _reply(actor=actor, conversation=conversation, text=text, html=html, to=to, cc=cc, bcc=bcc,
                     attachments=attachments, status=status, idempotency_key=idempotency_key, metadata=metadata)
    return message, False


def _template_reply(conversation: Conversation, template: dict, *, text: str, html: str,
                    attachments: Sequence[InboundAttachment]) -> tuple[str, dict]:
    """(the rendered body, the message's metadata) for a template reply, checked."""
    from layan.connectors.whatsapp.selectors import checked_template

    if conversation.channel != InboxKind.WHATSAPP:
        raise InvalidInput(_("Templates are only for WhatsApp conversations."), field="template")
    if text.strip() or html.strip() or attachments:
        raise InvalidInput(_("A template is sent on its own, without text or attachments."), field="template")
    found, parameters, rendered = checked_template(inbox_id=conversation.inbox_id, template=template)
    return rendered, {"whatsapp": {"template": {"name": found.name, "language": found.language,
                                                "parameters": parameters}}}


def _refuse_if_window_closed(conversation: Conversation) -> None:
    from layan.connectors.window import reply_window

    window = reply_window(channel=conversation.channel, last_customer_message_at=conversation.last_customer_message_at)
    if window is None or window.is_open():
        return
    if conversation.channel != InboxKind.WHATSAPP:
        message = _("The customer's last message is more than 24 hours old, or there is none, so this "
                    "channel refuses free replies until they write again.")
    elif window.closes_at is None:
        message = _("The customer has not written on WhatsApp yet, so only an approved template can be sent.")
    else:
        message = _("The customer last wrote more than 24 hours ago, so WhatsApp only allows an approved "
                    "template until they write again.")
    raise Conflict(message, code=ErrorCode.REPLY_WINDOW_CLOSED, field="text")


def send_automatic_reply(*, conversation: Conversation, to: str, text: str, kind: str) -> Message:
    """A message the system sends on its own (an acknowledgement): through the outbox like any
    reply, but it changes neither the status nor the first-response time. Call it inside the
    transaction that received the message it answers, so both commit or neither."""
    from layan.delivery.services import enqueue_outbound

    message = Message.objects.create(
        workspace_id=conversation.workspace_id, conversation=conversation, inbox_id=conversation.inbox_id,
        direction=Direction.OUTBOUND, author_kind=AuthorKind.SYSTEM, text=text,
        recipients={"to": [to], "cc": [], "bcc": []}, delivery_status=DeliveryStatus.QUEUED,
        metadata={"automatic": kind},
    )
    item = enqueue_outbound(message=message)
    audit(Actor.system(conversation.workspace), "conversation.auto_replied", conversation,
          after={"message": message.pk, "to": [to], "kind": kind})
    events.publish(events.ReplyQueued(workspace_id=conversation.workspace_id, conversation_id=conversation.pk,
                                      message_id=message.pk, outbox_item_id=item.pk))
    return message


def _mentioned_agents(conversation: Conversation, text: str, explicit: Iterable[Agent]) -> list[Agent]:
    found = {a.pk: a for a in explicit}
    # A mention may end a sentence: "@budi." names budi.
    handles = {h.lower().rstrip(".") for h in _MENTION.findall(text or "")}
    if handles:
        for agent in Agent.objects.select_related("user").filter(workspace_id=conversation.workspace_id,
                                                                 is_active=True):
            email = agent.user.email.lower()
            if email in handles or email.split("@")[0] in handles:
                found[agent.pk] = agent
    return list(found.values())


@transaction.atomic
def add_note(*, actor: Actor, conversation: Conversation, text: str, mentions: Iterable[Agent] = (),
             attachments: Sequence[InboundAttachment] = ()) -> Message:
    """An internal note: never sent to the customer. @mentioned agents follow the conversation."""
    text = check_text(text)
    attachments = check_attachments(attachments)
    if not text.strip() and not attachments:
        raise InvalidInput(_("A note needs text."), field="text")
    for agent in mentions:
        if agent.workspace_id != conversation.workspace_id:
            raise InvalidInput(_("Agent not found."), field="mentions")
    conversation = lock(conversation)
    refuse_if_merged(conversation)
    message = Message.objects.create(
        workspace_id=conversation.workspace_id, conversation=conversation, inbox_id=conversation.inbox_id,
        direction=Direction.OUTBOUND, author_kind=AuthorKind.AGENT if actor.agent else AuthorKind.SYSTEM,
        author_agent=actor.agent, is_note=True, text=text,
    )
    store_attachments(message, attachments)
    mentioned = _mentioned_agents(conversation, text, mentions)
    if mentioned:
        message.mentions.set(mentioned)
        Follower.objects.bulk_create([Follower(conversation=conversation, agent=a) for a in mentioned],
                                     ignore_conflicts=True)
    touch_conversation(conversation, customer_message=False)
    audit(actor, "conversation.note_added", conversation,
          after={"message": message.pk, "mentions": [a.pk for a in mentioned]})
    events.publish(events.NoteAdded(workspace_id=conversation.workspace_id, conversation_id=conversation.pk,
                                    message_id=message.pk))
    return message


@transaction.atomic
def requeue_failed_message(*, message_id: int, forget_provider_id: bool = False) -> Message:
    """The one step back from failed: an agent retries the reply (delivery.services.retry_delivery_now).
    ``forget_provider_id`` when the provider had accepted it: the new send gets a new id, and late
    callbacks about the old one find nothing."""
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.delivery_status not in (DeliveryStatus.FAILED, DeliveryStatus.QUEUED):
        return message
    message.delivery_status, message.delivery_error = DeliveryStatus.QUEUED, ""
    fields = ["delivery_status", "delivery_error"]
    if forget_provider_id:
        message.provider_message_id = None
        fields.append("provider_message_id")
    message.save(update_fields=fields)
    events.publish(events.MessageDeliveryChanged(workspace_id=message.workspace_id,
                                                 conversation_id=message.conversation_id,
                                                 message_id=message.pk, status=DeliveryStatus.QUEUED))
    return message


@transaction.atomic
def record_delivery_status(*, message_id: int, status: str, error: str = "",
                           provider_message_id: str | None = None) -> Message:
    """Move a message's delivery status forward only (queued -> sent -> delivered -> read);
    failed is terminal and cannot follow delivered or read. Late or repeated provider callbacks
    are ignored."""
    message = Message.objects.select_for_update().get(pk=message_id)
    current = message.delivery_status
    if current == DeliveryStatus.FAILED or DELIVERY_RANK[status] <= DELIVERY_RANK[current]:
        return message
    if status == DeliveryStatus.FAILED and current in (DeliveryStatus.DELIVERED, DeliveryStatus.READ):
        return message  # it reached the customer: a late failure report cannot undo that
    message.delivery_status = status
    fields = ["delivery_status"]
    if error:
        message.delivery_error = error[:2000]
        fields.append("delivery_error")
    if provider_message_id and not message.provider_message_id:
        message.provider_message_id = provider_message_id
        fields.append("provider_message_id")
    message.save(update_fields=fields)
    events.publish(events.MessageDeliveryChanged(workspace_id=message.workspace_id,
                                                 conversation_id=message.conversation_id,
                                                 message_id=message.pk, status=status))
    return message
