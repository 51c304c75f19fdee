"""Reads the Telegram adapter needs."""

from layan.conversations.models import Direction, Message


def last_customer_message_id(*, conversation_id: int, before_message_id: int) -> str | None:
    """The provider id of the customer's latest message before a reply: what the reply answers."""
    return (Message.objects.filter(conversation_id=conversation_id, pk__lt=before_message_id,
                                   direction=Direction.INBOUND, is_note=False, provider_message_id__isnull=False)
            .order_by("-id").values_list("provider_message_id", flat=True).first())
