"""Reads for conversations, and the access rule every view goes through.

Admins and supervisors see every conversation of their workspace. Agents see conversations of
their teams, conversations with no team, ones assigned to them and ones they follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.accounts.selectors import agent_team_ids
from layan.connectors.models import InboundEvent, InboxKind
from layan.conversations.models import (
    Attachment,
    Conversation,
    ConversationLink,
    ConversationTag,
    Follower,
    Message,
    Participant,
    ReadMarker,
)
from layan.customers.models import Identity
from layan.errors import NotFound


def visible_conversations(agent: Agent) -> QuerySet[Conversation]:
    qs = Conversation.objects.filter(workspace_id=agent.workspace_id)
    if agent.is_supervisor_or_admin:
        return qs
    teams = agent_team_ids(agent)
    follows = Follower.objects.filter(conversation=OuterRef("pk"), agent=agent)
    return qs.filter(Q(team__isnull=True) | Q(team_id__in=teams) | Q(assignee=agent) | Exists(follows))


@dataclass(frozen=True)
class ConversationFilters:
    status: tuple[str, ...] = ()
    assignee: int | None = None
    unassigned: bool = False
    team: int | None = None
    teams: tuple[int, ...] = ()  # any of these teams (an agent's "my teams" view)
    inbox: int | None = None
    channel: tuple[str, ...] = ()
    mentioning: int | None = None  # an agent mentioned in the conversation's notes
    priority: tuple[str, ...] = ()
    tag: str = ""
    customer: int | None = None
    q: str = ""
    include_merged: bool = False


def filters_condition(*, agent: Agent, filters: ConversationFilters) -> Q:
    """The filters as one condition over the agent's visible conversations (for lists and counts)."""
    condition = Q()
    if not filters.include_merged:
        condition &= Q(merged_into__isnull=True)
    if filters.status:
        condition &= Q(status__in=filters.status)
    if filters.unassigned:
        condition &= Q(assignee__isnull=True)
    elif filters.assignee is not None:
        condition &= Q(assignee_id=filters.assignee)
    if filters.team is not None:
        condition &= Q(team_id=filters.team)
    if filters.teams:
        condition &= Q(team_id__in=filters.teams)
    if filters.channel:
        condition &= Q(channel__in=filters.channel)
    if filters.mentioning is not None:
        condition &= Q(Exists(Message.mentions.through.objects.filter(message__conversation=OuterRef("pk"),
                                                                      agent_id=filters.mentioning)))
    if filters.inbox is not None:
        condition &= Q(inbox_id=filters.inbox)
    if filters.priority:
        condition &= Q(priority__in=filters.priority)
    if filters.customer is not None:
        condition &= Q(customer_id=filters.customer)
    if filters.tag:
        condition &= Q(Exists(ConversationTag.objects.filter(
            conversation=OuterRef("pk"), tag__name=filters.tag.strip().lower(), tag__workspace_id=agent.workspace_id)))
    if filters.q:
        text = filters.q.strip()
        # Interim text search (substring) until layan.search indexes conversations.
        matches = Q(subject__icontains=text) | Q(
            Exists(Message.objects.filter(conversation=OuterRef("pk"), text__icontains=text)))
        if text.lstrip("#").isdigit():
            matches |= Q(number=int(text.lstrip("#")))
        condition &= matches
    return condition


def list_conversations(*, agent: Agent, filters: ConversationFilters) -> QuerySet[Conversation]:
    return with_list_relations(visible_conversations(agent).filter(filters_condition(agent=agent, filters=filters)))


def count_conversations(*, agent: Agent, filters_by_name: dict[str, ConversationFilters]) -> dict[str, int]:
    """How many visible conversations match each named set of filters. Plain filters are counted
    together in one pass over the conversations; a filter with a subquery (mentions, tag, text)
    is counted on its own, where the database can start from the subquery's side (measured in
    benchmarks/inbox_list.py: one pass with a per-row subquery is the slowest of all)."""
    visible = visible_conversations(agent)
    plain = {name: f for name, f in filters_by_name.items() if f.mentioning is None and not f.tag and not f.q}
    counts = visible.aggregate(**{name: Count("pk", filter=filters_condition(agent=agent, filters=f))
                                  for name, f in plain.items()}) if plain else {}
    for name, f in filters_by_name.items():
        if name not in plain:
            counts[name] = visible.filter(filters_condition(agent=agent, filters=f)).count()
    return counts


def with_read_state(qs: QuerySet[Conversation], agent: Agent) -> QuerySet[Conversation]:
    """Annotate ``is_unread``: the customer wrote since the agent last opened the conversation."""
    read_at = ReadMarker.objects.filter(conversation=OuterRef("pk"), agent=agent).values("read_at")[:1]
    return qs.annotate(read_at=Subquery(read_at)).annotate(is_unread=Case(
        When(Q(last_customer_message_at__isnull=False)
             & (Q(read_at__isnull=True) | Q(last_customer_message_at__gt=F("read_at"))), then=True),
        default=False, output_field=BooleanField()))


def with_list_relations(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    return qs.select_related("customer", "assignee", "team", "inbox").prefetch_related("tags")


def access_conversation(*, agent: Agent, conversation_id: int) -> Conversation:
    conversation = with_list_relations(visible_conversations(agent)).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(_("Conversation not found."), field="conversation")
    return conversation


def conversation_after_change(*, agent: Agent, conversation_id: int) -> Conversation:
    """The conversation ``agent`` has just opened or changed, to answer that request with.

    Only for the response to a change the caller was allowed to make (on a conversation from
    ``access_conversation``, or one they opened): the change may have taken the conversation out
    of their sight (handed to another team, unfollowed), and its result is still theirs to see.
    Every later request goes through ``access_conversation`` again."""
    return with_list_relations(Conversation.objects.filter(workspace_id=agent.workspace_id)).get(pk=conversation_id)


def access_conversation_by_number(*, agent: Agent, number: int) -> Conversation:
    conversation = with_list_relations(visible_conversations(agent)).filter(number=number).first()
    if conversation is None:
        raise NotFound(_("Conversation not found."), field="conversation")
    return conversation


def conversation_messages(*, conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation=conversation)
        # outbox_item (delivery): a reply's attempts and next try, shown on the message
        .select_related("author_agent", "author_customer", "inbox", "outbox_item")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")), "mentions")
        .order_by("id")
    )


def access_message(*, agent: Agent, message_id: int) -> Message:
    message = (
        Message.objects.select_related("author_agent", "author_customer", "outbox_item")
        .prefetch_related("attachments", "mentions")
        .filter(pk=message_id, conversation__in=visible_conversations(agent))
        .first()
    )
    if message is None:
        raise NotFound(_("Message not found."), field="message")
    return message


def access_message_source(*, agent: Agent, message_id: int) -> InboundEvent:
    """The raw event a visible message was made from."""
    event = InboundEvent.objects.filter(
        pk__in=Message.objects.filter(pk=message_id, conversation__in=visible_conversations(agent))
        .values("source_event_id")).first()
    if event is None:
        raise NotFound(_("Message source not found."), field="message")
    return event


def access_attachment(*, agent: Agent, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.filter(
        pk=attachment_id, message__conversation__in=visible_conversations(agent)).first()
    if attachment is None:
        raise NotFound(_("Attachment not found."), field="attachment")
    return attachment


def access_link(*, conversation: Conversation, link_id: int) -> ConversationLink:
    """A link touching ``conversation`` (already access-checked), from either end."""
    link = ConversationLink.objects.select_related("source").filter(
        Q(source=conversation) | Q(target=conversation), pk=link_id).first()
    if link is None:
        raise NotFound(_("Link not found."), field="link")
    return link


def thread_provider_ids(*, conversation_id: int, before_message_id: int, limit: int = 20) -> tuple[str, ...]:
    """The provider ids (email Message-IDs, ...) of a conversation's messages before one, oldest
    first: what a reply answers. Long threads keep the first id and the latest ones, as mail
    clients trim References."""
    ids = list(Message.objects.filter(conversation_id=conversation_id, pk__lt=before_message_id,
                                      provider_message_id__isnull=False, is_note=False)
               .order_by("id").values_list("provider_message_id", flat=True))
    if len(ids) > limit:
        ids = [ids[0], *ids[-(limit - 1):]]
    return tuple(ids)


# Which of the customer's identities a reply on each channel goes to.
REPLY_IDENTITY_KIND = {
    InboxKind.EMAIL: "email",
    InboxKind.WHATSAPP: "whatsapp",
    InboxKind.SMS: "phone",
    InboxKind.VOICE: "phone",
    InboxKind.TELEGRAM: "telegram",
    InboxKind.MESSENGER: "messenger",
    InboxKind.INSTAGRAM: "instagram",
    InboxKind.LIVECHAT: "livechat",
    InboxKind.WEBFORM: "email",
    InboxKind.API: "external",
}


def default_recipients(*, conversation: Conversation) -> list[str]:
    """Where a reply goes unless the agent says otherwise: the customer's identity for the
    conversation's channel (verified first)."""
    kind = REPLY_IDENTITY_KIND.get(conversation.channel)
    if kind is None:
        return []
    value = (
        Identity.objects.filter(customer_id=conversation.customer_id, kind=kind)
        .order_by("-verified", "id").values_list("value", flat=True).first()
    )
    return [value] if value else []


def thread_copies(*, conversation: Conversation) -> list[str]:
    """The people a reply copies (CC) by default: the thread's participants."""
    return list(Participant.objects.filter(conversation=conversation, role__in=["to", "cc"])
                .order_by("id").values_list("address", flat=True))


def customer_identities(*, customer_id: int) -> list[Identity]:
    return list(Identity.objects.filter(customer_id=customer_id).order_by("kind", "id"))


def other_conversations_of_customer(*, agent: Agent, conversation: Conversation, limit: int = 10) -> list[Conversation]:
    """The customer's other conversations the agent may see, latest first."""
    return list(visible_conversations(agent).filter(customer_id=conversation.customer_id)
                .exclude(pk=conversation.pk).order_by("-id")[:limit])


def message_id_for_provider_id(*, inbox_id: int, provider_message_id: str) -> int | None:
    """The message a provider's status callback is about (the id the provider gave it)."""
    return (Message.objects.filter(inbox_id=inbox_id, provider_message_id=provider_message_id)
            .values_list("pk", flat=True).first())


def replies_awaiting_receipt(*, inbox_id: int, identity_kind: str, identity_value: str,
                             sent_until=None, up_to_message_id: int | None = None) -> list[int]:
    """Our sent (or delivered) replies to one customer identity in an inbox, written up to a time
    or up to one message: what a chat provider's watermark receipt ("everything before this was
    read") moves forward."""
    from layan.conversations.models import DeliveryStatus, Direction

    replies = Message.objects.filter(
        inbox_id=inbox_id, direction=Direction.OUTBOUND, is_note=False,
        delivery_status__in=[DeliveryStatus.SENT, DeliveryStatus.DELIVERED],
        conversation__customer__identities__kind=identity_kind,
        conversation__customer__identities__value=identity_value)
    if sent_until is not None:
        replies = replies.filter(created_at__lte=sent_until)
    if up_to_message_id is not None:
        replies = replies.filter(pk__lte=up_to_message_id)
    return list(replies.order_by("id").values_list("pk", flat=True).distinct())
