"""The agent's notifications: their latest, and "mark all as read" (a POST: reading a page writes nothing)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from layan.accounts.notifications import mark_notifications_read
from layan.accounts.selectors import agent_notifications
from layan.web.session import session_agent


@login_required
@require_GET
def notification_list(request):
    agent = session_agent(request)
    if agent is None:
        raise Http404
    return render(request, "web/notifications.html", {"agent": agent, "notifications": agent_notifications(agent=agent)})


@login_required
@require_POST
def notifications_read(request):
    agent = session_agent(request)
    if agent is None:
        raise Http404
    mark_notifications_read(agent=agent)
    return redirect("web:notifications")
