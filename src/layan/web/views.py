"""Agent workspace pages. Thin: read through selectors, render."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layan.accounts.selectors import agents_for_user
from layan.conversations.models import ACTIVE_STATUSES
from layan.conversations.selectors import ConversationFilters, list_conversations
from layan.web.session import SESSION_WORKSPACE_KEY, session_agent


@login_required
@require_GET
def home(request):
    agent = session_agent(request)
    context = {"agent": agent, "memberships": agents_for_user(request.user)}
    if agent is not None:
        recent = list_conversations(agent=agent, filters=ConversationFilters(status=ACTIVE_STATUSES))
        context["conversations"] = list(recent.order_by("-id")[:25])
    return render(request, "web/home.html", context)


@login_required
@require_POST
def switch_workspace(request):
    try:
        workspace_id = int(request.POST.get("workspace", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Choose a workspace."))
    if agents_for_user(request.user).filter(workspace_id=workspace_id).exists():
        request.session[SESSION_WORKSPACE_KEY] = workspace_id
    return redirect("web:home")


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
