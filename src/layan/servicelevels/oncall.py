"""The 24/7 emergency line: rotations and overrides (writers), and paging the on-call agent when a
conversation becomes an emergency — in the workspace and by email (notify_agents), by SMS and
WhatsApp through the inboxes' providers, assigned to them, escalated to the next person when
nobody acknowledges. See docs/flows/oncall.md."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Agent, Availability, Role, Team
from layan.accounts.notifications import notify_agents
from layan.accounts.selectors import require_role
from layan.accounts.services import record_audit
from layan.connectors.base import OutboundMessage, SendError
from layan.errors import InvalidInput
from layan.servicelevels.oncall_models import (
    OnCallMember,
    OnCallOverride,
    OnCallPage,
    OnCallPageDelivery,
    OnCallRotation,
    PageChannel,
    PageDeliveryStatus,
    validate_timezone,
)
from layan.servicelevels.oncall_schedule import next_in_rotation, on_call_at
from layan.servicelevels.oncall_selectors import rotation_for_conversation, rotation_schedule

logger = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
SENDING_LEASE = timedelta(minutes=5)  # a send claimed longer ago than this died with its worker


# --- rotations and overrides --------------------------------------------------------------------

def _check_manager(actor: Actor) -> None:
    if actor.agent is not None:
        require_role(actor.agent, Role.SUPERVISOR)


@transaction.atomic
def create_rotation(*, actor: Actor, name: str, starts_on: date, members: list[tuple[Agent, str]],
                    team: Team | None = None, timezone_name: str = "Asia/Jakarta", shift_hours: int = 168,
                    handover_time: time = time(8, 0), emergency_tag: str = "darurat",
                    escalate_after_minutes: int = 15, whatsapp_template: str = "",
                    whatsapp_template_language: str = "id") -> OnCallRotation:
    """A rotation with ``members`` (agent, phone for pages) in turn order."""
    _check_manager(actor)
    if not (name or "").strip():
        raise InvalidInput(_("Give the rotation a name."), field="name")
    try:
        validate_timezone(timezone_name)
    except Exception as exc:
        raise InvalidInput(_("Unknown timezone: %(tz)s") % {"tz": timezone_name}, field="timezone") from exc
    if not 1 <= int(shift_hours) <= 24 * 28:
        raise InvalidInput(_("A shift is 1 hour to 4 weeks long."), field="shift_hours")
    if team is not None and team.workspace_id != actor.workspace.pk:
        raise InvalidInput(_("Team not found."), field="team")
    try:
        with transaction.atomic():
            rotation = OnCallRotation.objects.create(
                workspace=actor.workspace, team=team, name=name.strip()[:120], timezone=timezone_name,
                shift_hours=shift_hours, handover_time=handover_time, starts_on=starts_on,
                emergency_tag=(emergency_tag or "").strip().lower()[:64],
                escalate_after_minutes=max(1, int(escalate_after_minutes)), whatsapp_template=whatsapp_template,
                whatsapp_template_language=whatsapp_template_language)
    except IntegrityError as exc:
        raise InvalidInput(_("That team (or the workspace) already has an on-call rotation."), field="team") from exc
    set_rotation_members(actor=actor, rotation=rotation, members=members)
    record_audit(actor=actor, action="oncall.rotation_created", object_type="oncall_rotation",
                 object_id=rotation.pk, after={"name": rotation.name, "team": team.pk if team else None})
    return rotation


@transaction.atomic
def set_rotation_members(*, actor: Actor, rotation: OnCallRotation, members: list[tuple[Agent, str]]) -> None:
    """Replace the rotation's members with ``members`` (agent, phone), in turn order."""
    from layan.customers.normalise import normalise_phone

    _check_manager(actor)
    seen = set()
    rows = []
    for position, (agent, raw_phone) in enumerate(members):
        if agent.workspace_id != rotation.workspace_id or not agent.is_active:
            raise InvalidInput(_("Agent not found."), field="members")
        if agent.pk in seen:
            raise InvalidInput(_("%(agent)s is in the rotation twice.") % {"agent": agent.display_name},
                               field="members")
        seen.add(agent.pk)
        try:
            phone = normalise_phone(raw_phone) if raw_phone else ""
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="members") from exc
        rows.append(OnCallMember(workspace_id=rotation.workspace_id, rotation=rotation, agent=agent,
                                 position=position, phone=phone))
    before = list(rotation.members.order_by("position").values_list("agent_id", flat=True))
    rotation.members.all().delete()
    OnCallMember.objects.bulk_create(rows)
    record_audit(actor=actor, action="oncall.members_set", object_type="oncall_rotation", object_id=rotation.pk,
                 before={"members": before}, after={"members": [r.agent_id for r in rows]})


@transaction.atomic
def add_override(*, actor: Actor, rotation: OnCallRotation, agent: Agent, starts_at: datetime,
                 ends_at: datetime, note: str = "") -> OnCallOverride:
    """``agent`` covers the rotation from ``starts_at`` until ``ends_at``."""
    _check_manager(actor)
    if agent.workspace_id != rotation.workspace_id or not agent.is_active:
        raise InvalidInput(_("Agent not found."), field="agent")
    if starts_at is None or ends_at is None:
        raise InvalidInput(_("Give when the override starts and ends."), field="starts_at")
    if ends_at <= starts_at:
        raise InvalidInput(_("An override ends after it starts."), field="ends_at")
    if ends_at - starts_at > timedelta(days=90):
        raise InvalidInput(_("An override covers at most 90 days."), field="ends_at")
    override = OnCallOverride.objects.create(
        workspace_id=rotation.workspace_id, rotation=rotation, agent=agent, starts_at=starts_at, ends_at=ends_at,
        note=(note or "").strip()[:200], created_by=actor.agent)
    record_audit(actor=actor, action="oncall.override_added", object_type="oncall_rotation", object_id=rotation.pk,
                 after={"override": override.pk, "agent": agent.pk, "starts_at": starts_at.isoformat(),
                        "ends_at": ends_at.isoformat()})
    return override


@transaction.atomic
def remove_override(*, actor: Actor, override: OnCallOverride) -> None:
    _check_manager(actor)
    record_audit(actor=actor, action="oncall.override_removed", object_type="oncall_rotation",
                 object_id=override.rotation_id,
                 before={"override": override.pk, "agent": override.agent_id,
                         "starts_at": override.starts_at.isoformat(), "ends_at": override.ends_at.isoformat()})
    OnCallOverride.objects.filter(pk=override.pk).delete()


# --- emergencies --------------------------------------------------------------------------------

def emergency_reason(conversation, rotation: OnCallRotation) -> str | None:
    """Why the conversation is an emergency ("urgent" or "tag"), or None when it is not one."""
    if conversation.status in ("solved", "closed") or conversation.merged_into_id:
        return None
    if conversation.priority == "urgent":
        return "urgent"
    if rotation.emergency_tag and conversation.tags.filter(name=rotation.emergency_tag).exists():
        return "tag"
    return None


def page_for_event(event: events.Event) -> None:
    """Async subscriber (ConversationCreated, MessageReceived, ConversationUpdated): page the on-call
    agent when the conversation is — or has just become — an emergency."""
    if isinstance(event, events.ConversationUpdated) and not {"priority", "tags"} & set(event.fields):
        return
    page_emergency(conversation_id=event.conversation_id)


def page_emergency(*, conversation_id: int, at: datetime | None = None) -> OnCallPage | None:
    """Page the on-call agent for an emergency conversation, once: the page row is unique per
    conversation, so a retried or concurrent call writes nothing more. None when there is nothing
    to page (not an emergency, no rotation, nobody on call, already paged)."""
    from layan.conversations.models import Conversation

    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return None
    rotation = rotation_for_conversation(workspace_id=conversation.workspace_id, team_id=conversation.team_id)
    if rotation is None:
        return None
    reason = emergency_reason(conversation, rotation)
    if reason is None or OnCallPage.objects.filter(conversation_id=conversation_id).exists():
        return None
    at = at or timezone.now()
    schedule = rotation_schedule(rotation, start=at, end=at + timedelta(microseconds=1))
    agent_id = on_call_at(schedule, at)
    agent = Agent.objects.filter(pk=agent_id, workspace_id=conversation.workspace_id, is_active=True).first()
    if agent is None:
        logger.warning("emergency conversation %s: nobody is on call in rotation %s", conversation_id, rotation.pk)
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                page = OnCallPage.objects.create(
                    workspace_id=conversation.workspace_id, rotation=rotation, conversation=conversation,
                    agent=agent, reason=reason, created_at=at,
                    escalate_at=at + timedelta(minutes=rotation.escalate_after_minutes))
        except IntegrityError:
            return None  # paged already, by a concurrent run
        actor = Actor.system(conversation.workspace)
        record_audit(actor=actor, action="oncall.paged", object_type="conversation", object_id=conversation.pk,
                     after={"page": page.pk, "agent": agent.pk, "rotation": rotation.pk, "reason": reason})
        _page_agent(page=page, conversation=conversation, agent=agent, level=0)
        if conversation.assignee_id is None:
            from layan.conversations.services import assign_conversation

            assign_conversation(actor=actor, conversation=conversation, assignee=agent)
    return page


def page_url(page: OnCallPage) -> str:
    return reverse("web:oncall-page", args=[page.pk])


def _summary(conversation) -> str:
    from layan.conversations.models import Message

    if conversation.subject:
        return conversation.subject[:80]
    text = (Message.objects.filter(conversation=conversation, direction="inbound").order_by("-pk")
            .values_list("text", flat=True).first() or "")
    text = " ".join(text.split())
    return text[:77] + "..." if len(text) > 80 else text


def page_text(*, conversation, summary: str, url: str) -> str:
    """The SMS/notification wording, in the active language."""
    return _("Layan emergency #%(number)s: %(summary)s %(url)s") % {
        "number": conversation.number, "summary": summary, "url": url}


def _page_agent(*, page: OnCallPage, conversation, agent: Agent, level: int) -> None:
    """Notify ``agent`` in the workspace and by email, and queue the SMS/WhatsApp deliveries."""
    url = page_url(page)
    summary = _summary(conversation)

    def wording():
        title = _("Emergency: conversation #%(number)s needs you now") % {"number": conversation.number}
        if level:
            body = _("You are on call after escalation (nobody acknowledged). %(summary)s") % {"summary": summary}
        else:
            body = _("You are on call. %(summary)s") % {"summary": summary}
        return title, body

    notify_agents(workspace_id=page.workspace_id, agent_ids=[agent.pk], kind="on_call", wording=wording,
                  conversation_id=conversation.pk, url=url, dedupe_key=f"oncall:{page.pk}:{level}")
    member = OnCallMember.objects.filter(rotation_id=page.rotation_id, agent=agent).first()
    if member is None or not member.phone:
        return
    with translation.override(agent.language):
        text = page_text(conversation=conversation, summary=summary, url=f"{settings.LAYAN_BASE_URL}{url}")
    made = []
    for channel, inbox in _paging_inboxes(page.workspace_id):
        try:
            with transaction.atomic():
                made.append(OnCallPageDelivery.objects.create(
                    workspace_id=page.workspace_id, page=page, agent=agent, level=level, channel=channel,
                    inbox=inbox, to=member.phone, text=text))
        except IntegrityError:
            continue
    for delivery in made:
        transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk), robust=True)


def _paging_inboxes(workspace_id: int):
    """(channel, inbox) for the workspace's first connected SMS inbox and WhatsApp inbox."""
    from layan.connectors.models import Inbox
    from layan.connectors.selectors import inbox_config

    found = []
    for channel in (PageChannel.SMS, PageChannel.WHATSAPP):
        for inbox in Inbox.objects.filter(workspace_id=workspace_id, kind=channel, is_active=True).order_by("pk"):
            config = inbox_config(inbox=inbox)
            connected = config is not None and (channel != PageChannel.WHATSAPP or config.phone_number_id)
            if connected:
                found.append((channel, inbox))
                break
    return found


def _enqueue(delivery_id: int) -> None:
    from layan import jobs

    jobs.send_oncall_page(delivery_id)


# --- SMS and WhatsApp pages ---------------------------------------------------------------------

def send_page_delivery(*, delivery_id: int) -> str:
    """Send one page delivery: claimed by a conditional update (so it goes out once), then sent
    through the inbox's adapter. Retryable errors leave it queued for a later attempt (the sweeper
    re-drives it) until MAX_DELIVERY_ATTEMPTS; others fail it with the reason. Returns the status."""
    now = timezone.now()
    claimed = OnCallPageDelivery.objects.filter(
        pk=delivery_id, status=PageDeliveryStatus.QUEUED, next_attempt_at__lte=now).update(
        status=PageDeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
    delivery = OnCallPageDelivery.objects.select_related("page__rotation", "page__conversation").get(pk=delivery_id)
    if not claimed:
        return delivery.status
    try:
        provider_id = _send(delivery)
    except SendError as exc:
        if exc.retryable and delivery.attempts < MAX_DELIVERY_ATTEMPTS:
            delay = max(exc.retry_after or 0, RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1))
            _finish(delivery, status=PageDeliveryStatus.QUEUED, error=exc.reason,
                    next_attempt_at=timezone.now() + timedelta(seconds=delay))
            return PageDeliveryStatus.QUEUED
        _finish(delivery, status=PageDeliveryStatus.FAILED, error=exc.reason)
        return PageDeliveryStatus.FAILED
    _finish(delivery, status=PageDeliveryStatus.SENT, error="", provider_message_id=provider_id)
    return PageDeliveryStatus.SENT


def _finish(delivery: OnCallPageDelivery, **fields) -> None:
    OnCallPageDelivery.objects.filter(pk=delivery.pk, status=PageDeliveryStatus.SENDING).update(
        updated_at=timezone.now(), **fields)


def _send(delivery: OnCallPageDelivery) -> str:
    conversation = delivery.page.conversation
    common = {"inbox_id": delivery.inbox_id, "conversation_id": conversation.pk, "message_id": 0,
              "html": "", "subject": "", "author_name": "Layan", "conversation_number": conversation.number,
              "automatic": True, "recipients": {"to": [delivery.to]}}
    if delivery.channel == PageChannel.SMS:
        from layan.connectors.sms.adapter import SmsAdapter

        return SmsAdapter().send(OutboundMessage(text=delivery.text, **common)).provider_message_id
    from layan.connectors.whatsapp.adapter import WhatsAppAdapter

    template = _approved_template(delivery)
    parameters = [f"#{conversation.number}", _summary(conversation) or "-"][:template.parameter_count]
    message = OutboundMessage(text="", metadata={"whatsapp": {"template": {
        "name": template.name, "language": template.language, "parameters": parameters}}}, **common)
    return WhatsAppAdapter().send(message).provider_message_id


def _approved_template(delivery: OnCallPageDelivery):
    from layan.connectors.whatsapp.models import TemplateStatus, WhatsAppTemplate

    rotation = delivery.page.rotation
    if not rotation.whatsapp_template:
        raise SendError(_("The rotation names no WhatsApp template: outside the 24-hour window WhatsApp only "
                          "takes an approved template."), retryable=False)
    template = WhatsAppTemplate.objects.filter(
        inbox_id=delivery.inbox_id, name=rotation.whatsapp_template,
        language=rotation.whatsapp_template_language).first()
    if template is None or template.status != TemplateStatus.APPROVED:
        raise SendError(_("The WhatsApp template %(name)s (%(language)s) is not approved for this inbox.")
                        % {"name": rotation.whatsapp_template, "language": rotation.whatsapp_template_language},
                        retryable=False)
    return template


def redrive_page_deliveries(*, now: datetime | None = None) -> int:
    """Sweeper: re-send due queued deliveries, and take back sends whose worker died (at least once)."""
    now = now or timezone.now()
    OnCallPageDelivery.objects.filter(status=PageDeliveryStatus.SENDING, updated_at__lt=now - SENDING_LEASE).update(
        status=PageDeliveryStatus.QUEUED, next_attempt_at=now)
    due = list(OnCallPageDelivery.objects.filter(status=PageDeliveryStatus.QUEUED, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:500])
    for pk in due:
        _enqueue(pk)
    return len(due)


# --- acknowledgement and escalation -------------------------------------------------------------

@transaction.atomic
def acknowledge_page(*, agent: Agent, page: OnCallPage) -> bool:
    """The agent takes the emergency: escalation stops. False when it was acknowledged already."""
    if page.workspace_id != agent.workspace_id:
        raise InvalidInput(_("Page not found."), field="page")
    now = timezone.now()
    done = OnCallPage.objects.filter(pk=page.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=agent, escalate_at=None)
    if done:
        record_audit(actor=Actor.for_agent(agent), action="oncall.acknowledged", object_type="conversation",
                     object_id=page.conversation_id, after={"page": page.pk})
        page.acknowledged_at, page.acknowledged_by, page.escalate_at = now, agent, None
    return bool(done)


def escalate_due_pages(*, now: datetime | None = None) -> int:
    """Sweeper: page the next person of the rotation for each unacknowledged page whose paged agent
    is not online when its time is up. Returns how many escalated."""
    now = now or timezone.now()
    due = list(OnCallPage.objects.filter(acknowledged_at__isnull=True, escalate_at__lte=now)
               .order_by("escalate_at").values_list("pk", flat=True)[:200])
    return sum(1 for pk in due if _escalate(page_id=pk, now=now))


@transaction.atomic
def _escalate(*, page_id: int, now: datetime) -> bool:
    page = (OnCallPage.objects.select_for_update().select_related("rotation", "conversation__workspace")
            .filter(pk=page_id, acknowledged_at__isnull=True, escalate_at__lte=now).first())
    if page is None:
        return False  # acknowledged or escalated by a concurrent sweep
    rotation = page.rotation
    wait = timedelta(minutes=rotation.escalate_after_minutes)
    paged = Agent.objects.filter(pk=page.agent_id).first()
    if paged is not None and paged.is_active and paged.availability == Availability.ONLINE:
        page.escalate_at = now + wait  # at their screen: look again later
        page.save(update_fields=["escalate_at"])
        return False
    schedule = rotation_schedule(rotation, start=now, end=now + timedelta(microseconds=1))
    if page.level + 1 >= len(schedule.member_ids):
        page.escalate_at = None  # everyone in the rotation was paged
        page.save(update_fields=["escalate_at"])
        return False
    next_id = next_in_rotation(schedule, page.agent_id)
    successor = Agent.objects.filter(pk=next_id, workspace_id=page.workspace_id, is_active=True).first()
    if successor is None:
        return False
    previous = page.agent_id
    page.agent, page.level, page.escalate_at = successor, page.level + 1, now + wait
    page.save(update_fields=["agent", "level", "escalate_at"])
    conversation = page.conversation
    actor = Actor.system(conversation.workspace)
    record_audit(actor=actor, action="oncall.escalated", object_type="conversation", object_id=conversation.pk,
                 before={"agent": previous}, after={"agent": successor.pk, "level": page.level})
    _page_agent(page=page, conversation=conversation, agent=successor, level=page.level)
    if conversation.assignee_id in (None, previous):
        from layan.conversations.services import assign_conversation

        assign_conversation(actor=actor, conversation=conversation, assignee=successor)
    return True


__all__ = ["acknowledge_page", "add_override", "create_rotation", "emergency_reason", "escalate_due_pages",
           "page_emergency", "page_for_event", "redrive_page_deliveries", "remove_override", "send_page_delivery",
           "set_rotation_members"]
