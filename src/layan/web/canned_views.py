"""The reply composer's canned-reply lookup: what the agent typed after "/", answered as JSON
with each answer already filled in for the conversation. Thin, as views.py: parse, access_*,
render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from layan import errors
from layan.automation.selectors import canned_replies_for, render_canned_reply
from layan.conversations.selectors import access_conversation_by_number
from layan.web.session import session_agent

MAX_QUERY_LENGTH = 200
LANGUAGES = ("id", "en")


@login_required
@require_GET
def canned_lookup(request):
    """``GET /canned/?q=<text>&conversation=<number>[&language=id|en]``:
    ``{"items": [{"id", "shortcut", "title", "text"}]}``, best 20 first, ``text`` rendered for that
    conversation. 404 for a conversation the agent may not see (or no valid number)."""
    agent = session_agent(request)
    if agent is None:
        raise Http404
    try:
        conversation = access_conversation_by_number(agent=agent, number=int(request.GET.get("conversation", "")))
    except ValueError as exc:
        raise Http404 from exc
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    language = request.GET.get("language", "")
    replies = canned_replies_for(agent=agent, q=request.GET.get("q", "")[:MAX_QUERY_LENGTH],
                                 language=language if language in LANGUAGES else "")
    items = [{"id": reply.pk, "shortcut": reply.shortcut, "title": reply.title,
              "text": render_canned_reply(canned_reply=reply, conversation=conversation, agent=agent)}
             for reply in replies]
    return JsonResponse({"items": items})
