"""Reads for API-channel inboxes: settings, and which conversation a company's thread id is."""

from __future__ import annotations

from layan.connectors.api_channel.models import ApiChannelConfig
from layan.connectors.models import Inbox


def api_channel_config(*, inbox: Inbox) -> ApiChannelConfig | None:
    return ApiChannelConfig.objects.filter(inbox=inbox).first()


def latest_message_of_thread(*, inbox_id: int, thread_id: str) -> str | None:
    """The provider id of the latest message the company sent with ``thread_id``: a new message
    of that thread answers it, and so joins its conversation."""
    from layan.conversations.models import Message

    return (Message.objects.filter(inbox_id=inbox_id, metadata__api__thread_id=thread_id,
                                   provider_message_id__isnull=False)
            .order_by("-id").values_list("provider_message_id", flat=True).first())


def thread_of_conversation(*, conversation_id: int) -> str | None:
    """The company's thread id for a conversation (from its latest message that carried one)."""
    from layan.conversations.models import Message

    found = (Message.objects.filter(conversation_id=conversation_id, metadata__api__thread_id__isnull=False)
             .order_by("-id").values_list("metadata__api__thread_id", flat=True).first())
    return str(found) if found else None
