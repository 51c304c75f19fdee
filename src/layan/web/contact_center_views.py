"""The contact-center page for supervisors and admins: each queue live (refreshed over the agent
WebSocket and every 10 s) and the staffing forecast for the coming week. Thin: role check, the
routing selectors, render. See docs/flows/contact-center.md."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from layan.accounts.models import Role
from layan.routing.forecast import staffing_forecast
from layan.routing.live import contact_center_overview, format_wait
from layan.web.session import session_agent_with_role


def _supervisor_or_403(request):
    return session_agent_with_role(request, Role.SUPERVISOR)


def _live_context(agent) -> dict:
    now = timezone.now()
    # "Today" is the workspace's day: its office's midnight, whoever looks.
    midnight = now.astimezone(ZoneInfo(agent.workspace.timezone)).replace(hour=0, minute=0, second=0, microsecond=0)
    overview = contact_center_overview(workspace_id=agent.workspace_id, today_since=midnight)
    rows = [(queue, format_wait(queue.longest_wait_seconds(now))) for queue in overview.queues]
    return {"agent": agent, "rows": rows, "total": overview.total,
            "total_wait": format_wait(overview.total.longest_wait_seconds(now)), "as_of": now}


@login_required
@require_GET
def contact_center(request):
    agent = _supervisor_or_403(request)
    forecast = staffing_forecast(workspace=agent.workspace)
    return render(request, "web/contact_center.html", {**_live_context(agent), "forecast": forecast})


@login_required
@require_GET
def contact_center_queues(request):
    """The live rows alone, for the page to swap in."""
    agent = _supervisor_or_403(request)
    return render(request, "web/_contact_center_queues.html", _live_context(agent))
