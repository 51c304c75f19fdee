"""Turn models into API v1 response dicts. Callers load relations up front (no N+1)."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse

from layan.accounts.models import Agent, Team
from layan.connectors.models import Inbox
from layan.conversations.models import Conversation, Message
from layan.customers.models import Customer


def agent_ref(agent: Agent | None) -> dict | None:
    return {"id": agent.pk, "display_name": agent.display_name} if agent else None


def agent_out(agent: Agent) -> dict:
    return {
        "id": agent.pk, "email": agent.user.email, "display_name": agent.display_name, "role": agent.role,
        "language": agent.language, "timezone": agent.timezone, "is_active": agent.is_active,
        "team_ids": sorted(t.pk for t in agent.teams.all()),
    }


def team_out(team: Team) -> dict:
    return {"id": team.pk, "name": team.name, "description": team.description,
            "member_ids": sorted(m.pk for m in team.members.all())}


def inbox_out(inbox: Inbox) -> dict:
    return {
        "id": inbox.pk, "kind": inbox.kind, "name": inbox.name, "public_id": inbox.public_id,
        "default_team_id": inbox.default_team_id, "threading_policy": inbox.threading_policy,
        "reopen_window_days": inbox.reopen_window_days, "is_active": inbox.is_active,
    }


def customer_out(customer: Customer) -> dict:
    return {
        "id": customer.pk, "name": customer.name, "language": customer.language, "timezone": customer.timezone,
        "tier": customer.tier, "tags": sorted(t.name for t in customer.tags.all()),
        "attributes": customer.attributes, "consent": customer.consent,
        "preferred_channel": customer.preferred_channel, "notes": customer.notes,
        "merged_into_id": customer.merged_into_id,
        "identities": [
            {"id": i.pk, "kind": i.kind, "value": i.value, "display_value": i.display_value, "verified": i.verified}
            for i in sorted(customer.identities.all(), key=lambda i: i.pk)
        ],
        "created_at": customer.created_at, "updated_at": customer.updated_at,
    }


def conversation_out(c: Conversation) -> dict:
    return {
        "id": c.pk, "number": c.number, "subject": c.subject, "status": c.status, "priority": c.priority,
        "type": c.type, "channel": c.channel,
        "customer": {"id": c.customer.pk, "name": c.customer.name, "tier": c.customer.tier},
        "inbox": {"id": c.inbox.pk, "name": c.inbox.name, "kind": c.inbox.kind},
        "team": {"id": c.team.pk, "name": c.team.name} if c.team else None,
        "assignee": agent_ref(c.assignee),
        "tags": sorted(t.name for t in c.tags.all()),
        "custom_fields": c.custom_fields, "merged_into_id": c.merged_into_id, "message_count": c.message_count,
        "created_at": c.created_at, "updated_at": c.updated_at, "last_message_at": c.last_message_at,
        "last_customer_message_at": c.last_customer_message_at, "first_response_at": c.first_response_at,
        "solved_at": c.solved_at, "closed_at": c.closed_at,
    }


def conversation_detail_out(c: Conversation) -> dict:
    return {
        **conversation_out(c),
        "follower_ids": sorted(c.followers.values_list("id", flat=True)),
        "participants": [
            {"role": p.role, "address": p.address, "name": p.name}
            for p in c.participants.order_by("id")
        ],
        "links": [
            {"id": link.pk, "kind": link.kind, "target_id": link.target_id, "direction": "out"}
            for link in c.links_out.order_by("id")
        ] + [
            {"id": link.pk, "kind": link.kind, "target_id": link.source_id, "direction": "in"}
            for link in c.links_in.order_by("id")
        ],
    }


def _delivery_progress(m: Message) -> dict:
    try:
        item = m.outbox_item
    except ObjectDoesNotExist:  # inbound messages, notes
        return {"delivery_attempts": None, "next_attempt_at": None}
    return {"delivery_attempts": item.attempts, "next_attempt_at": item.next_attempt_at if item.retrying else None}


def message_out(m: Message) -> dict:
    recipients = m.recipients or {}
    return {
        "id": m.pk, "conversation_id": m.conversation_id, "direction": m.direction, "author_kind": m.author_kind,
        "author_agent": agent_ref(m.author_agent), "author_customer_id": m.author_customer_id,
        "is_note": m.is_note, "text": m.text, "html": m.html,
        "to": recipients.get("to", []), "cc": recipients.get("cc", []), "bcc": recipients.get("bcc", []),
        "mention_ids": sorted(a.pk for a in m.mentions.all()),
        "delivery_status": m.delivery_status, "delivery_error": m.delivery_error,
        "provider_message_id": m.provider_message_id,
        **_delivery_progress(m),
        "attachments": [
            {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size,
             "inline": a.inline, "url": reverse("api-v1:download_attachment", args=[a.pk])}
            for a in m.attachments.all()
        ],
        "quoted_text": m.quoted_text, "metadata": m.metadata or {},
        "source_url": reverse("api-v1:download_message_source", args=[m.pk]) if m.source_event_id else None,
        "sent_at": m.sent_at, "created_at": m.created_at,
    }


def call_out(call) -> dict:
    """A call (connectors/voice); its agent and conversation loaded with it."""
    return {
        "id": call.pk, "customer_id": call.customer_id, "conversation_id": call.conversation_id,
        "conversation_number": call.conversation.number if call.conversation_id else None,
        "message_id": call.message_id, "agent": agent_ref(call.agent), "direction": call.direction,
        "number": call.number, "outcome": call.outcome, "provider_status": call.provider_status,
        "duration_seconds": call.duration_seconds, "notes": call.notes, "recording_url": call.recording_url,
        "callback_conversation_id": call.callback_conversation_id, "started_at": call.started_at,
        "answered_at": call.answered_at, "ended_at": call.ended_at,
    }
