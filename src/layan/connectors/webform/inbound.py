"""A stored web-form submission to a conversation: spam is kept as IGNORED with its reason and
never becomes a message; a person's submission opens a new conversation (web-form inboxes start
one per submission) from the customer their email address (or phone number) names."""

from __future__ import annotations

from dataclasses import replace

from layan.connectors.ingress import Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.webform.parsing import (
    FormErrors,
    clean_submission,
    parse_envelope,
    to_inbound,
)
from layan.errors import InvalidInput


def process_webform_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.connectors.identities import join_identities
    from layan.conversations.services import receive_inbound_message
    from layan.customers.services import IdentityInput

    try:
        stored = parse_envelope(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return Outcome(InboundEventStatus.REJECTED, f"not a web-form submission: {exc}")
    if stored.spam:
        return Outcome(InboundEventStatus.IGNORED, stored.spam)
    try:
        # The view checked these fields already; checking again keeps a hand-made event honest.
        submission = clean_submission(stored.values, shown=tuple(stored.values))
    except FormErrors as exc:
        return Outcome(InboundEventStatus.REJECTED, str(exc))
    inbound = replace(to_inbound(stored, submission=submission), source_event_id=event.pk)
    identities = [IdentityInput(inbound.sender_kind, inbound.sender_value)]
    if submission.email and submission.phone:
        identities.append(IdentityInput("phone", submission.phone))
    try:
        join_identities(workspace=event.inbox.workspace, name=submission.name, identities=identities)
    except InvalidInput as exc:
        return Outcome(InboundEventStatus.REJECTED, exc.message, inbound.sender_value)
    receive_inbound_message(inbox=event.inbox, inbound=inbound)
    return Outcome(InboundEventStatus.PROCESSED, sender=inbound.sender_value)
