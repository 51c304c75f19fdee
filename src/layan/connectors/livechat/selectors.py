"""Reads for the widget. Every read is scoped to one visitor: the conversations of the customer who
holds the visitor's livechat identity, in this inbox. An id outside that scope reads as absent."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from layan.connectors.livechat.sessions import Visitor
from layan.connectors.models import Inbox, InboxKind
from layan.conversations.models import Attachment, Conversation, Direction, Message
from layan.customers.models import Identity, IdentityKind

HISTORY_LIMIT = 200
PROVIDER_PREFIX = "lc:"


def livechat_inbox(*, public_id: str) -> Inbox | None:
    return Inbox.objects.select_related("workspace").filter(
        public_id=public_id, kind=InboxKind.LIVECHAT, is_active=True).first()


def email_inbox(*, workspace_id: int, public_id: str) -> Inbox | None:
    qs = Inbox.objects.filter(workspace_id=workspace_id, kind=InboxKind.EMAIL, is_active=True)
    return qs.filter(public_id=public_id).first() if public_id else qs.order_by("id").first()


def visitor_conversations(*, inbox: Inbox, visitor: Visitor) -> QuerySet[Conversation]:
    if visitor.inbox_public_id != inbox.public_id:
        return Conversation.objects.none()
    holder = Identity.objects.filter(workspace_id=inbox.workspace_id, kind=IdentityKind.LIVECHAT,
                                     value=visitor.identity).values("customer_id")
    return Conversation.objects.filter(workspace_id=inbox.workspace_id, inbox=inbox, customer_id__in=holder)


def visitor_messages(*, inbox: Inbox, visitor: Visitor, after_id: int = 0) -> list[Message]:
    """The visitor's chat history, oldest first (the latest HISTORY_LIMIT), never internal notes."""
    qs = (Message.objects.filter(conversation__in=visitor_conversations(inbox=inbox, visitor=visitor),
                                 is_note=False, id__gt=after_id)
          .select_related("author_agent")
          .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
          .order_by("-id"))
    return list(reversed(qs[:HISTORY_LIMIT]))


def visitor_message(*, inbox: Inbox, visitor: Visitor, message_id: int) -> Message | None:
    return (Message.objects.select_related("author_agent").prefetch_related("attachments")
            .filter(pk=message_id, is_note=False,
                    conversation__in=visitor_conversations(inbox=inbox, visitor=visitor)).first())


def visitor_outbound_message_ids(*, inbox: Inbox, visitor: Visitor, message_ids: list[int]) -> list[int]:
    return list(Message.objects.filter(
        pk__in=message_ids, direction=Direction.OUTBOUND, is_note=False,
        conversation__in=visitor_conversations(inbox=inbox, visitor=visitor)).values_list("pk", flat=True))


def visitor_attachment(*, inbox: Inbox, visitor: Visitor, attachment_id: int) -> Attachment | None:
    return Attachment.objects.filter(
        pk=attachment_id, message__is_note=False,
        message__conversation__in=visitor_conversations(inbox=inbox, visitor=visitor)).first()


def visitor_has_written(*, inbox: Inbox, visitor: Visitor) -> bool:
    return visitor_conversations(inbox=inbox, visitor=visitor).exists()


def message_by_client_id(*, inbox: Inbox, provider_message_id: str) -> Message | None:
    return Message.objects.filter(inbox=inbox, provider_message_id=provider_message_id).first()


def serialise_message(message: Message) -> dict:
    """A message as the widget shows it: plain text only (the widget inserts it as text)."""
    client_id = None
    if message.direction == Direction.INBOUND and (message.provider_message_id or "").startswith(PROVIDER_PREFIX):
        client_id = message.provider_message_id.rsplit(":", 1)[-1]
    author = ""
    if message.direction == Direction.OUTBOUND:
        author = message.author_agent.display_name if message.author_agent else ""
    return {
        "id": message.pk,
        "client_id": client_id,
        "from": "customer" if message.direction == Direction.INBOUND else "agent",
        "author": author,
        "text": message.text,
        "status": message.delivery_status,
        "at": message.created_at.isoformat(),
        "attachments": [{"id": a.pk, "filename": a.filename, "size": a.size, "content_type": a.content_type}
                        for a in message.attachments.all()],
    }


def livechat_identity_values(*, customer_id: int) -> list[str]:
    return list(Identity.objects.filter(customer_id=customer_id, kind=IdentityKind.LIVECHAT)
                .order_by("id").values_list("value", flat=True))
