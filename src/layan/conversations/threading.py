"""One threading policy for every channel: which conversation does an inbound message join?

In order: the ids of messages it answers (email In-Reply-To/References, a provider's reply
context), then a conversation number the channel carried (a ticket token), then the inbox's
policy for the customer's open conversation. See docs/flows/threading.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from layan.connectors.base import InboundMessage
from layan.connectors.models import Inbox, ThreadingPolicy
from layan.conversations.models import ACTIVE_STATUSES, Conversation, Message, Participant, Status
from layan.customers.models import Customer, Identity


@dataclass(frozen=True)
class ThreadDecision:
    conversation: Conversation | None  # join this one (locked for update), or start a new one
    follow_up_of: Conversation | None = None  # when starting anew because the old one is closed


def _follow_merges(conversation: Conversation) -> Conversation:
    seen = set()
    while conversation.merged_into_id and conversation.pk not in seen:
        seen.add(conversation.pk)
        conversation = Conversation.objects.select_for_update().get(pk=conversation.merged_into_id)
    return conversation


def _still_joinable(inbox: Inbox, conversation: Conversation) -> bool:
    if conversation.status in ACTIVE_STATUSES:
        return True
    if conversation.status == Status.SOLVED and conversation.solved_at is not None:
        return timezone.now() - conversation.solved_at <= timedelta(days=inbox.reopen_window_days)
    return False


def _is_participant(conversation: Conversation, customer: Customer) -> bool:
    # Participants are recorded by address (a CC'd person may not be a customer yet), so the
    # sender's identities are matched against the addresses too.
    addresses = Identity.objects.filter(customer=customer).values("value")
    return Participant.objects.filter(conversation=conversation).filter(
        Q(customer=customer) | Q(address__in=addresses)).exists()


def _decide(inbox: Inbox, found: Conversation | None) -> ThreadDecision | None:
    if found is None:
        return None
    found = _follow_merges(found)
    if _still_joinable(inbox, found):
        return ThreadDecision(conversation=found)
    return ThreadDecision(conversation=None, follow_up_of=found)


def find_conversation(*, inbox: Inbox, customer: Customer, inbound: InboundMessage) -> ThreadDecision:
    locked = Conversation.objects.select_for_update()
    workspace_id = inbox.workspace_id

    if inbound.in_reply_to:
        parent = (
            Message.objects.filter(workspace_id=workspace_id, provider_message_id__in=inbound.in_reply_to)
            .order_by("-id").values_list("conversation_id", flat=True).first()
        )
        decision = _decide(inbox, locked.filter(pk=parent).first() if parent else None)
        if decision:
            return decision

    if inbound.conversation_number is not None:
        candidate = locked.filter(workspace_id=workspace_id, number=inbound.conversation_number).first()
        # A number alone is guessable: only the conversation's customer or participants may use it,
        # unless it came signed (a per-conversation reply address), which only a recipient can know.
        if candidate is not None and (inbound.conversation_number_signed or candidate.customer_id == customer.pk
                                      or _is_participant(candidate, customer)):
            decision = _decide(inbox, candidate)
            if decision:
                return decision

    if inbox.threading_policy == ThreadingPolicy.REUSE_OPEN:
        latest = locked.filter(customer=customer, inbox=inbox, merged_into__isnull=True).order_by("-id").first()
        if latest is not None and _still_joinable(inbox, latest):
            return ThreadDecision(conversation=latest)
        if latest is not None:
            return ThreadDecision(conversation=None, follow_up_of=latest)
    return ThreadDecision(conversation=None)
