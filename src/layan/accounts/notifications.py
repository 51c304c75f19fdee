"""Notify agents: one row per agent (deduplicated by key when the sender may repeat), a live push
to their screen, and a mail sent once or marked failed. Titles are written in each agent's own
language. Used by service levels, the on-call rotation and automation rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from layan import events
from layan.accounts.models import Agent, Notification

# (title, body) for one agent, called with their language active.
Wording = Callable[[], tuple[str, str]]


def notify_agents(*, workspace_id: int, agent_ids: Iterable[int], kind: str, wording: Wording,
                  conversation_id: int | None = None, url: str = "", dedupe_key: str = "",
                  email: bool = True) -> list[Notification]:
    """Notify each active agent of the workspace among ``agent_ids``; returns the notifications
    made now (an agent already notified under ``dedupe_key`` is skipped)."""
    agents = Agent.objects.filter(workspace_id=workspace_id, pk__in=set(agent_ids), is_active=True).order_by("pk")
    made = []
    for agent in agents:
        with translation.override(agent.language):
            title, body = wording()
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    workspace_id=workspace_id, agent=agent, kind=kind, title=str(title)[:300], body=str(body),
                    conversation_id=conversation_id, url=url, dedupe_key=dedupe_key,
                    email_status="queued" if email and agent.user.email else "skipped")
                Agent.objects.filter(pk=agent.pk).update(unread_notifications=F("unread_notifications") + 1)
        except IntegrityError:
            if not dedupe_key:
                raise
            continue  # already notified under this key
        events.publish(events.AgentNotified(workspace_id=workspace_id, agent_id=agent.pk,
                                            notification_id=notification.pk))
        made.append(notification)
    return made


def mark_notifications_read(*, agent: Agent, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the agent's notifications read (all unread ones when no ids are given)."""
    with transaction.atomic():
        unread = Notification.objects.filter(agent=agent, read_at__isnull=True)
        if notification_ids is not None:
            unread = unread.filter(pk__in=list(notification_ids))
        marked = unread.update(read_at=timezone.now())
        remaining = Notification.objects.filter(agent=agent, read_at__isnull=True).count()
        Agent.objects.filter(pk=agent.pk).update(unread_notifications=remaining)
    agent.unread_notifications = remaining
    return marked


def email_notification(event: events.AgentNotified) -> None:
    """Async subscriber: mail the notification once (claimed by a conditional update), or record why not."""
    claimed = Notification.objects.filter(pk=event.notification_id, email_status="queued").update(
        email_status="sending")
    if not claimed:
        return
    notification = Notification.objects.select_related("agent__user").get(pk=event.notification_id)
    link = f"{settings.LAYAN_BASE_URL}{notification.url}" if notification.url else ""
    text = "\n\n".join(part for part in (notification.body, link) if part)
    try:
        send_mail(subject=notification.title, message=text, from_email=None,
                  recipient_list=[notification.agent.user.email])
    except Exception as exc:  # noqa: BLE001 - any mail failure is recorded on the row
        Notification.objects.filter(pk=notification.pk).update(email_status="failed", email_error=str(exc)[:2000])
        return
    Notification.objects.filter(pk=notification.pk).update(email_status="sent")
