"""A stored API-channel message to a conversation message: the sender's id in the company's system
is an "external" identity, and the email and phone given with it join the same customer, so a
person who also emails or chats is one customer. A thread_id already seen continues its
conversation; otherwise the inbox's threading policy decides."""

from __future__ import annotations

from dataclasses import replace

from layan.connectors.api_channel.parsing import parse_api_message
from layan.connectors.api_channel.selectors import latest_message_of_thread
from layan.connectors.ingress import Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.errors import InvalidInput


def process_api_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.connectors.identities import join_identities
    from layan.conversations.services import receive_inbound_message
    from layan.customers.services import IdentityInput

    try:
        parsed = parse_api_message(raw)
    except ValueError as exc:
        return Outcome(InboundEventStatus.REJECTED, f"not an API-channel message: {exc}")
    inbound = replace(parsed.message, source_event_id=event.pk)
    if parsed.thread_id:
        earlier = latest_message_of_thread(inbox_id=event.inbox_id, thread_id=parsed.thread_id)
        if earlier and earlier != inbound.provider_message_id:
            inbound = replace(inbound, in_reply_to=(earlier,))
    identities = [IdentityInput("external", inbound.sender_value)]
    identities += [IdentityInput(kind, value) for kind, value in (("email", parsed.email), ("phone", parsed.phone))
                   if value]
    try:
        join_identities(workspace=event.inbox.workspace, name=inbound.sender_name, identities=identities)
        receive_inbound_message(inbox=event.inbox, inbound=inbound)
    except InvalidInput as exc:  # an attachment over the size limit, a text too long
        return Outcome(InboundEventStatus.REJECTED, exc.message, inbound.sender_value)
    return Outcome(InboundEventStatus.PROCESSED, sender=inbound.sender_value)
