"""The widget's HTTP side: the script, the session, "leave a message", attachments, agent typing.

Visitor endpoints answer cross-origin requests only from the inbox's allowed origins (CORS with
that origin, never "*"), carry no cookies and are authenticated by the session token. Thin: parse,
check, one service or selector, answer.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.http import FileResponse, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from layan.accounts.selectors import agents_online
from layan.connectors.livechat import ratelimit, services
from layan.connectors.livechat import selectors as livechat
from layan.connectors.livechat.config import widget_config
from layan.connectors.livechat.sessions import issue_token, read_token, start_session
from layan.conversations.selectors import access_conversation
from layan.errors import LayanError
from layan.web.session import session_agent

WIDGET_JS = Path(__file__).parent / "static" / "layan" / "widget.js"


@lru_cache(maxsize=1)
def _widget_source() -> bytes:
    return WIDGET_JS.read_bytes()


def widget_js(request):
    response = HttpResponse(_widget_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"  # the script itself is public
    return response


def _error(code, message, status, field=None, origin=None):
    response = JsonResponse({"error": {"code": str(code), "message": str(message), "field": field}}, status=status)
    return _cors(response, origin)


def _cors(response, origin):
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Layan-Widget-Token"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def visitor_endpoint(view):
    """Find the livechat inbox, refuse origins it does not allow, answer preflights, map errors."""

    @csrf_exempt
    def wrapped(request, public_id, *args, **kwargs):
        inbox = livechat.livechat_inbox(public_id=public_id)
        origin = request.headers.get("Origin", "")
        if inbox is None:
            return _error("not_found", _("This chat is not available."), 404)
        if not widget_config(inbox.settings).allows_origin(origin):
            return _error("origin_not_allowed", _("This website may not use this chat."), 403)
        if request.method == "OPTIONS":
            return _cors(HttpResponse(status=204), origin)
        try:
            return _cors(view(request, inbox, *args, **kwargs), origin)
        except ratelimit.RateLimited as exc:
            response = _error(exc.code, exc.message, 429, origin=origin)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except LayanError as exc:
            return _error(exc.code, exc.message, exc.status, exc.field, origin)

    return wrapped


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise LayanError(_("The request body must be a JSON object."), code="malformed_json")
    return body


@visitor_endpoint
def session(request, inbox):
    """POST {token?, user_id?, user_hash?}: the visitor's token (kept, or new) and the widget's settings."""
    if request.method != "POST":
        return _error("method_not_allowed", _("Use POST."), 405)
    body = _json_body(request)
    config = widget_config(inbox.settings)
    ratelimit.hit("session", _client_ip(request), limit=int(config.rate_limit["sessions_per_hour"]), window=3600)
    visitor = start_session(inbox_public_id=inbox.public_id, config=config, token=body.get("token"),
                            user_id=body.get("user_id"), signature=body.get("user_hash"))
    public = {**config.public(), "agents_online": agents_online(workspace_id=inbox.workspace_id,
                                                                team_id=inbox.default_team_id)}
    return JsonResponse({"token": issue_token(visitor), "verified": visitor.verified, "config": public,
                         "socket": f"/ws/widget/{inbox.public_id}/"})


def _visitor(request, inbox, token=None):
    visitor = read_token(token or request.headers.get("X-Layan-Widget-Token"), inbox_public_id=inbox.public_id)
    if visitor is None:
        raise LayanError(_("The chat session is not valid; start a new one."), code="not_authenticated")
    return visitor


@visitor_endpoint
def leave_message(request, inbox):
    """POST {token, client_id, name, email, text}: outside office hours, a message for email."""
    if request.method != "POST":
        return _error("method_not_allowed", _("Use POST."), 405)
    body = _json_body(request)
    visitor = _visitor(request, inbox, body.get("token"))
    conversation = services.leave_message(inbox=inbox, visitor=visitor, client_id=body.get("client_id"),
                                          name=body.get("name"), email=body.get("email"), text=body.get("text"),
                                          ip=_client_ip(request))
    return JsonResponse({"status": "ok", "number": conversation.number}, status=201)


@visitor_endpoint
def attachment(request, inbox, attachment_id):
    """GET with the token header: a file of the visitor's own conversation (404 for anyone else's)."""
    found = livechat.visitor_attachment(inbox=inbox, visitor=_visitor(request, inbox), attachment_id=attachment_id)
    if found is None:
        return _error("not_found", _("File not found."), 404)
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def agent_typing(request, conversation_id):
    """POST from the agent page (session and CSRF): show "<agent> is typing" in the widget."""
    agent = session_agent(request)
    if agent is None:
        return _error("not_authenticated", _("Please sign in."), 401)
    try:
        conversation = access_conversation(agent=agent, conversation_id=conversation_id)
    except LayanError as exc:
        return _error(exc.code, exc.message, exc.status, exc.field)
    sent = services.push_agent_typing(conversation=conversation, agent_name=agent.display_name)
    return JsonResponse({"status": "ok", "visitors": sent})
