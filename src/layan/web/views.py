"""Agent workspace pages. Thin: read through selectors, call one service, render."""

import re
import uuid

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from layan.accounts.actors import Actor
from layan.accounts.selectors import agents_for_user
from layan.connectors.models import InboxKind
from layan.conversations.models import ACTIVE_STATUSES, Status
from layan.conversations.selectors import (
    ConversationFilters,
    access_conversation_by_number,
    conversation_messages,
    default_recipients,
    list_conversations,
    thread_copies,
)
from layan.conversations.services import reply_to_conversation
from layan.errors import LayanError, NotFound
from layan.web.session import SESSION_WORKSPACE_KEY, session_agent

_ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")


@login_required
@require_GET
def home(request):
    agent = session_agent(request)
    context = {"agent": agent, "memberships": agents_for_user(request.user)}
    if agent is not None:
        recent = list_conversations(agent=agent, filters=ConversationFilters(status=ACTIVE_STATUSES))
        context["conversations"] = list(recent.order_by("-id")[:25])
    return render(request, "web/home.html", context)


def _conversation_or_404(agent, number: int):
    if agent is None:
        raise Http404
    try:
        return access_conversation_by_number(agent=agent, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _addresses(value: str) -> list[str]:
    return [a for a in _ADDRESS_SEPARATORS.split(value or "") if a]


@login_required
@require_http_methods(["GET", "POST"])
def conversation_page(request, number: int):
    """The thread and the composer. A POST sends the reply (To/CC/BCC on email), then redirects;
    a refused reply shows the page again with the reason and everything typed kept."""
    agent = session_agent(request)
    conversation = _conversation_or_404(agent, number)
    is_email = conversation.channel == InboxKind.EMAIL
    composer = {"to": ", ".join(default_recipients(conversation=conversation)),
                "cc": ", ".join(thread_copies(conversation=conversation)), "bcc": "", "text": "",
                "key": uuid.uuid4().hex}
    error = None
    if request.method == "POST":
        composer = {name: request.POST.get(name, "") for name in ("to", "cc", "bcc", "text", "key")}
        try:
            reply_to_conversation(
                actor=Actor.for_agent(agent), conversation=conversation, text=composer["text"],
                to=_addresses(composer["to"]) if is_email else None,
                cc=_addresses(composer["cc"]) if is_email else (),
                bcc=_addresses(composer["bcc"]) if is_email else (),
                status=Status.SOLVED if request.POST.get("action") == "send_solve" else None,
                # The form's own key: a double click or a resent form writes the reply once.
                idempotency_key=f"web:{agent.pk}:{composer['key']}"[:128] if composer["key"] else None)
        except LayanError as exc:
            error = exc
        else:
            return redirect("web:conversation", number=conversation.number)
    context = {"agent": agent, "conversation": conversation, "is_email": is_email, "composer": composer,
               "error": error, "messages": conversation_messages(conversation=conversation)}
    return render(request, "web/conversation.html", context, status=error.status if error else 200)


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
