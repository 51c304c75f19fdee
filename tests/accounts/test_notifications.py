"""Notifying agents: one row per agent in their own language, deduplicated by key, counted on the
agent for the header badge, pushed live, mailed once (or the failure kept); the page lists them
and "mark all as read" clears the count."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.models import Agent, Notification
from layan.accounts.notifications import mark_notifications_read, notify_agents


def _wording():
    return _("Notifications"), "Siti · Paket belum sampai"


def _notify(world, agents, **kwargs):
    return notify_agents(workspace_id=world.workspace.pk, agent_ids=[a.pk for a in agents], kind="sla_warning",
                         wording=_wording, url="/c/41/", **kwargs)


def test_each_agent_gets_one_notification_counted_on_them(world, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = _notify(world, [world.agent, world.admin])

    assert [n.agent_id for n in made] == sorted([world.agent.pk, world.admin.pk])
    assert Agent.objects.get(pk=world.agent.pk).unread_notifications == 1
    assert [e for e in published if isinstance(e, events.AgentNotified)] == [
        events.AgentNotified(workspace_id=world.workspace.pk, agent_id=n.agent_id, notification_id=n.pk) for n in made]


def test_the_same_key_notifies_an_agent_once(world):
    first = _notify(world, [world.agent], dedupe_key="sla:41:first_response:warning")
    again = _notify(world, [world.agent], dedupe_key="sla:41:first_response:warning")

    assert (len(first), again) == (1, [])
    assert Notification.objects.count() == 1
    assert Agent.objects.get(pk=world.agent.pk).unread_notifications == 1


def test_agents_of_another_workspace_are_never_notified(world, other_world):
    assert _notify(world, [other_world.agent]) == []
    assert not Notification.objects.exists()


def test_the_wording_follows_each_agents_language(world):
    Agent.objects.filter(pk=world.agent.pk).update(language="en")
    Agent.objects.filter(pk=world.admin.pk).update(language="id")

    made = {n.agent_id: n.title for n in _notify(world, [world.agent, world.admin])}

    assert made[world.agent.pk] == "Notifications"
    assert made[world.admin.pk] == "Notifikasi"


def test_the_mail_goes_once_with_the_link(world, django_capture_on_commit_callbacks, settings):
    settings.LAYAN_BASE_URL = "https://layan.toko.id"
    with django_capture_on_commit_callbacks(execute=True):
        (made,) = _notify(world, [world.agent])

    (sent,) = mail.outbox
    assert sent.to == [world.agent.user.email]
    assert sent.body == "Siti · Paket belum sampai\n\nhttps://layan.toko.id/c/41/"
    made.refresh_from_db()
    assert made.email_status == "sent"
    from layan.accounts.notifications import email_notification

    email_notification(events.AgentNotified(workspace_id=world.workspace.pk, agent_id=world.agent.pk,
                                            notification_id=made.pk))
    assert len(mail.outbox) == 1  # a repeated task sends nothing more


def test_a_mail_that_cannot_be_sent_is_marked_failed_with_the_reason(world, settings,
                                                                   django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        (made,) = _notify(world, [world.agent])

    made.refresh_from_db()
    assert made.email_status == "failed"
    assert made.email_error


def test_the_page_lists_them_and_mark_all_as_read_clears_the_badge(world, other_world):
    _notify(world, [world.agent])
    client = Client()
    client.force_login(world.agent.user)

    page = client.get("/me/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-unread-notifications="1"' in page
    assert '<a href="/c/41/">' in page

    assert client.post("/me/notifications/read").status_code == 302
    assert Agent.objects.get(pk=world.agent.pk).unread_notifications == 0
    assert Notification.objects.get().read_at is not None
    page = client.get("/me/notifications/").content.decode()
    assert 'data-unread-notifications="0" hidden' in page


def test_an_agent_sees_only_their_own_notifications(world):
    _notify(world, [world.admin])
    client = Client()
    client.force_login(world.agent.user)

    assert "/c/41/" not in client.get("/me/notifications/").content.decode()
    mark_notifications_read(agent=world.agent)
    assert Notification.objects.get().read_at is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_pages_need_a_login(db, method):
    response = getattr(Client(), method)("/me/notifications/" if method == "get" else "/me/notifications/read")
    assert response.status_code == 302
