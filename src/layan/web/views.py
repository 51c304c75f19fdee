"""Agent workspace pages. Thin: read through selectors, call one service, render."""

import re
import uuid
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.db import connection
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from layan.accounts.actors import Actor
from layan.accounts.models import Availability
from layan.accounts.selectors import (
    access_agent,
    access_team,
    agents_for_user,
    audit_trail,
    list_agents,
    list_teams,
)
from layan.accounts.services import set_availability, update_profile
from layan.api.pagination import paginate
from layan.connectors.base import InboundAttachment
from layan.connectors.models import InboxKind
from layan.connectors.sms.segments import summary as sms_summary
from layan.connectors.whatsapp.selectors import approved_templates
from layan.connectors.window import reply_window
from layan.conversations.models import ConversationType, Priority, Status
from layan.conversations.selectors import (
    access_attachment,
    access_conversation,
    access_conversation_by_number,
    access_message,
    conversation_messages,
    count_conversations,
    customer_identities,
    default_recipients,
    list_conversations,
    other_conversations_of_customer,
    thread_copies,
    with_read_state,
)
from layan.conversations.services import (
    UNSET,
    add_note,
    assign_conversation,
    change_status,
    edit_conversation,
    mark_read,
    merge_conversations,
    reply_to_conversation,
    tag,
)
from layan.delivery.services import retry_delivery_now
from layan.errors import InvalidInput, LayanError, NotFound
from layan.servicelevels.selectors import conversation_clocks, with_service_level
from layan.web.calls import call_panel
from layan.web.inbox import (
    PAGE_SIZE,
    PAGINATION_SORTS,
    SORTS,
    VIEWS,
    parse_inbox_query,
    view_filters,
)
from layan.web.selectors import access_saved_view, saved_views
from layan.web.services import delete_view, save_view
from layan.web.session import SESSION_WORKSPACE_KEY, session_agent

MAX_COMPOSER_FILES = 10
AUDIT_SHOWN = 30  # the latest changes on the page; the API has the whole trail
_ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")


@login_required
@require_GET
def home(request):
    """The inbox: a view (mine, unassigned, my teams, all, mentions), narrowed by status, priority,
    channel, tag and text, in pages of 50 by cursor. ``?fragment=rows`` answers the rows alone
    (the "more" button and live refreshes)."""
    agent = session_agent(request)
    if agent is None:  # logged in, but not a member of any workspace
        return render(request, "web/home.html", {"agent": None})
    query = parse_inbox_query(request.GET, agent)
    try:
        rows, next_cursor = paginate(
            with_service_level(with_read_state(list_conversations(agent=agent, filters=query.filters), agent)),
            cursor=query.cursor, limit=PAGE_SIZE, sort=query.sort, sorts=PAGINATION_SORTS)
    except LayanError:  # a stale or mangled cursor: start from the top
        return redirect(reverse("web:home") + query.url(cursor=None))
    context = {"agent": agent, "query": query, "rows": rows, "now": timezone.now(),
               "next_url": query.url(cursor=next_cursor, fragment="rows") if next_cursor else None}
    if request.GET.get("fragment") == "rows":
        return render(request, "web/_inbox_rows.html", context)
    return render(request, "web/inbox.html", {
        **context, "memberships": agents_for_user(request.user), "saved_views": saved_views(agent=agent),
        "views": [(v, label, None) for v, label in VIEWS.items()], "sorts": SORTS.items(),
        "statuses": Status.choices, "priorities": Priority.choices, "channels": InboxKind.choices,
        "agents": list_agents(agent=agent), "bulk_statuses": Status.choices})


@login_required
@require_GET
def inbox_counts(request):
    """The views with their counts (see count_conversations); the inbox loads them after its rows,
    so the list never waits for counting, and live updates refresh them."""
    agent = session_agent(request)
    if agent is None:
        raise Http404
    counts = count_conversations(agent=agent, filters_by_name={v: view_filters(v, agent) for v in VIEWS})
    current = request.GET.get("view") if request.GET.get("view") in VIEWS else None
    return render(request, "web/_inbox_views.html", {
        "views": [(v, label, counts[v]) for v, label in VIEWS.items()], "query": {"view": current}})


def _back_to_inbox(request):
    target = request.POST.get("next") or reverse("web:home")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("web:home")
    return redirect(target)


@login_required
@require_POST
def inbox_bulk(request):
    """One action on the selected conversations: assign (to me, to an agent, nobody), a status, a
    tag. Each goes through the same access check and service as one at a time; what cannot be done
    (an illegal transition) is reported by conversation number, the rest is done."""
    agent = session_agent(request)
    if agent is None:
        raise Http404
    actor = Actor.for_agent(agent)
    action = request.POST.get("action", "")
    ids = [int(v) for v in request.POST.getlist("conversation") if v.isdigit()][:PAGE_SIZE]
    if not ids:
        messages.warning(request, _("Select at least one conversation."))
        return _back_to_inbox(request)
    assignee = UNSET
    if action == "assign":
        target = request.POST.get("assignee", "")
        assignee = None if target == "none" else agent if target == "me" else _agent_or_none(agent, target)
        if assignee is UNSET:
            messages.error(request, _("Choose whom to assign to."))
            return _back_to_inbox(request)
    if action == "merge":
        return _merge_selected(request, agent, actor, ids)
    done, refused = 0, []
    for pk in ids:
        try:
            conversation = access_conversation(agent=agent, conversation_id=pk)
            if action == "assign":
                assign_conversation(actor=actor, conversation=conversation, assignee=assignee)
            elif action == "status":
                change_status(actor=actor, conversation=conversation, status=request.POST.get("status", ""))
            elif action == "tag":
                tag(actor=actor, conversation=conversation, add=[request.POST.get("tag", "")])
            else:
                messages.error(request, _("Unknown action."))
                return _back_to_inbox(request)
            done += 1
        except NotFound:
            continue  # not theirs to see: as if it had not been selected
        except LayanError as exc:
            refused.append(f"#{conversation.number}: {exc.message}")
    if done:
        messages.success(request, ngettext("%(n)d conversation changed.", "%(n)d conversations changed.", done)
                         % {"n": done})
    for line in refused:
        messages.error(request, line)
    return _back_to_inbox(request)


@login_required
@require_POST
def inbox_save_view(request):
    """Keep the inbox as it is now (view, filters, sort) under a name in the sidebar."""
    agent = session_agent(request)
    if agent is None:
        raise Http404
    query = parse_inbox_query(QueryDict(request.POST.get("query", "")), agent)
    try:
        view = save_view(agent=agent, name=request.POST.get("name", ""), query=query)
    except LayanError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("web:home") + query.url())
    return redirect(reverse("web:home") + "?" + view.query)


@login_required
@require_POST
def inbox_delete_view(request, view_id: int):
    agent = session_agent(request)
    if agent is None:
        raise Http404
    try:
        delete_view(view=access_saved_view(agent=agent, view_id=view_id))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return redirect("web:home")


def _merge_selected(request, agent, actor, ids: list[int]):
    """Merge the selected conversations into the oldest of them (its number is the one that stays)."""
    selected = []
    for pk in ids:
        try:
            selected.append(access_conversation(agent=agent, conversation_id=pk))
        except NotFound:
            continue
    if len(selected) < 2:
        messages.warning(request, _("Select at least two conversations to merge."))
        return _back_to_inbox(request)
    target, *sources = sorted(selected, key=lambda c: c.number)
    merged = []
    for source in sources:
        try:
            target = merge_conversations(actor=actor, source=source, target=target)
            merged.append(f"#{source.number}")
        except LayanError as exc:
            messages.error(request, f"#{source.number}: {exc.message}")
    if merged:
        messages.success(request, _("Merged %(sources)s into #%(target)s.") % {
            "sources": ", ".join(merged), "target": target.number})
    return _back_to_inbox(request)


def _agent_or_none(agent, value: str):
    try:
        return access_agent(agent=agent, agent_id=int(value))
    except (ValueError, NotFound):
        return UNSET


def _conversation_or_404(agent, number: int):
    if agent is None:
        raise Http404
    try:
        return access_conversation_by_number(agent=agent, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _addresses(value: str) -> list[str]:
    return [a for a in _ADDRESS_SEPARATORS.split(value or "") if a]


def _window_context(agent, conversation) -> dict:
    """The customer-service window of a WhatsApp, Messenger or Instagram conversation (until when a
    free reply may go, in the viewer's timezone) and the approved templates a closed one allows."""
    window = reply_window(channel=conversation.channel, last_customer_message_at=conversation.last_customer_message_at)
    if window is None:
        return {}
    label = ""
    if window.closes_at is not None:
        zone = ZoneInfo(agent.timezone or settings.TIME_ZONE)
        closes, now = window.closes_at.astimezone(zone), timezone.now().astimezone(zone)
        label = date_format(closes, "H:i" if closes.date() == now.date() else "j M H:i")
    is_whatsapp = conversation.channel == InboxKind.WHATSAPP
    return {"reply_window": window, "window_open": window.is_open(), "window_closes": label,
            "is_whatsapp": is_whatsapp,
            "wa_templates": list(approved_templates(inbox_id=conversation.inbox_id)) if is_whatsapp else [],
            "can_sync_templates": is_whatsapp and agent.is_admin}


def _page_context(agent, conversation, **extra) -> dict:
    identities = customer_identities(customer_id=conversation.customer_id)
    is_sms = conversation.channel == InboxKind.SMS
    return {**_window_context(agent, conversation),
            "agent": agent, "conversation": conversation, "is_email": conversation.channel == InboxKind.EMAIL,
            "is_sms": is_sms, "sms_counter": sms_summary((extra.get("composer") or {}).get("text", "")) if is_sms else "",
            "messages": conversation_messages(conversation=conversation),
            "service_clocks": conversation_clocks(conversation=conversation), "now": timezone.now(),
            "customer_identities": identities, **call_panel(identities=identities, conversation=conversation),
            "other_conversations": other_conversations_of_customer(agent=agent, conversation=conversation),
            "agents": list_agents(agent=agent), "teams": list_teams(agent=agent), "statuses": Status.choices,
            "priorities": Priority.choices, "types": ConversationType.choices, "preview_types": PREVIEW_TYPES,
            "tags": ", ".join(t.name for t in conversation.tags.all()),
            "custom_fields": custom_fields_text(conversation.custom_fields or {}),
            "audit": list(audit_trail(agent=agent, object_type="conversation", object_id=conversation.pk)
                          .order_by("-id")[:AUDIT_SHOWN]), **extra}


def _new_composer(conversation) -> dict:
    return {"to": ", ".join(default_recipients(conversation=conversation)),
            "cc": ", ".join(thread_copies(conversation=conversation)), "bcc": "", "text": "",
            "key": uuid.uuid4().hex}


@login_required
@require_http_methods(["GET", "POST"])
def conversation_page(request, number: int):
    """The thread, the composer and the side panel. A POST sends the reply (To/CC/BCC on email),
    then redirects; a refused reply shows the page again with the reason and everything typed kept.
    ``?fragment=thread`` answers the thread alone (live refreshes)."""
    agent = session_agent(request)
    conversation = _conversation_or_404(agent, number)
    is_email = conversation.channel == InboxKind.EMAIL
    if request.method == "GET":
        mark_read(agent=agent, conversation=conversation)
        if request.GET.get("fragment") == "thread":
            return render(request, "web/_thread.html", _page_context(agent, conversation))
        return render(request, "web/conversation.html",
                      _page_context(agent, conversation, composer=_new_composer(conversation),
                                    flash=list(get_messages(request))))
    if request.POST.get("action") == "send_template":
        return _send_template(request, agent, conversation)
    composer = {name: request.POST.get(name, "") for name in ("to", "cc", "bcc", "text", "key")}
    try:
        files = request.FILES.getlist("attachments")
        if len(files) > MAX_COMPOSER_FILES:
            raise InvalidInput(_("Attach at most %(n)s files to one reply.") % {"n": MAX_COMPOSER_FILES},
                               field="attachments")
        reply_to_conversation(
            actor=Actor.for_agent(agent), conversation=conversation, text=composer["text"],
            attachments=[InboundAttachment(filename=f.name, content_type=f.content_type or "application/octet-stream",
                                           content=f.read()) for f in files],
            to=_addresses(composer["to"]) if is_email else None,
            cc=_addresses(composer["cc"]) if is_email else (),
            bcc=_addresses(composer["bcc"]) if is_email else (),
            status=Status.SOLVED if request.POST.get("action") == "send_solve" else None,
            # The form's own key: a double click or a resent form writes the reply once.
            idempotency_key=f"web:{agent.pk}:{composer['key']}"[:128] if composer["key"] else None)
    except LayanError as exc:
        return render(request, "web/conversation.html",
                      _page_context(agent, conversation, composer=composer, error=exc), status=exc.status)
    return redirect("web:conversation", number=conversation.number)


def _send_template(request, agent, conversation):
    """The composer's template picker: an approved WhatsApp template and its parameters."""
    chosen = request.POST.get("template", "")
    name, _sep, language = chosen.partition("|")
    parameters = request.POST.getlist("template_parameter")
    key = request.POST.get("key", "")
    try:
        reply_to_conversation(
            actor=Actor.for_agent(agent), conversation=conversation,
            template={"name": name, "language": language, "parameters": parameters},
            idempotency_key=f"web:{agent.pk}:{key}"[:128] if key else None)
    except LayanError as exc:
        return render(request, "web/conversation.html",
                      _page_context(agent, conversation, composer=_new_composer(conversation), template_error=exc,
                                    template_chosen=chosen, template_parameters=parameters), status=exc.status)
    return redirect("web:conversation", number=conversation.number)


@login_required
@require_POST
def conversation_note(request, number: int):
    """An internal note; @name mentions the agent (they follow the conversation)."""
    agent = session_agent(request)
    conversation = _conversation_or_404(agent, number)
    text = request.POST.get("note", "")
    try:
        add_note(actor=Actor.for_agent(agent), conversation=conversation, text=text)
    except LayanError as exc:
        return render(request, "web/conversation.html",
                      _page_context(agent, conversation, composer=_new_composer(conversation), note_error=exc,
                                    note_text=text), status=exc.status)
    return redirect("web:conversation", number=conversation.number)


@login_required
@require_POST
def conversation_details(request, number: int):
    """Status, priority, type, assignment and tags from the side panel, all or nothing."""
    agent = session_agent(request)
    conversation = _conversation_or_404(agent, number)
    try:
        assignee = _chosen(request.POST.get("assignee", ""), lambda pk: access_agent(agent=agent, agent_id=pk))
        team = _chosen(request.POST.get("team", ""), lambda pk: access_team(agent=agent, team_id=pk))
        fields = _custom_fields(request.POST.get("custom_fields", ""), conversation.custom_fields)
        edit_conversation(
            actor=Actor.for_agent(agent), conversation=conversation, status=request.POST.get("status") or None,
            priority=request.POST.get("priority") or UNSET, type=request.POST.get("type") or UNSET,
            tags=[t for t in _ADDRESS_SEPARATORS.split(request.POST.get("tags", "")) if t],
            assignee=assignee, team=team, custom_fields=fields)
    except LayanError as exc:
        return render(request, "web/conversation.html",
                      _page_context(agent, conversation, composer=_new_composer(conversation), details_error=exc,
                                    custom_fields=request.POST.get("custom_fields", ""),
                                    tags=request.POST.get("tags", "")),
                      status=exc.status)
    return redirect("web:conversation", number=conversation.number)


def _custom_fields(text: str, current: dict) -> dict:
    """"name: value" lines as the conversation's custom fields; a line taken out removes its field."""
    fields: dict = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise InvalidInput(_('Line %(n)s: write each field as "name: value".') % {"n": number},
                               field="custom_fields")
        fields[name.strip()[:64]] = value.strip()[:500]
    return {**dict.fromkeys(set(current) - set(fields)), **fields}


def custom_fields_text(fields: dict) -> str:
    return "\n".join(f"{name}: {value}" for name, value in sorted(fields.items()))


def _chosen(value: str, access):
    """A select's value: "" for nobody, else an id that must pass the access check."""
    if not value:
        return None
    if not value.isdigit():
        raise NotFound(_("Not found."))
    return access(int(value))


# Images a browser may show inline. SVG is not among them: it can carry script.
PREVIEW_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@login_required
@require_GET
def attachment_preview(request, attachment_id: int):
    """An image attachment shown inline in the thread; anything else only downloads (the API)."""
    agent = session_agent(request)
    if agent is None:
        raise Http404
    try:
        attachment = access_attachment(agent=agent, attachment_id=attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if attachment.content_type not in PREVIEW_TYPES:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# The timezones offered first: Indonesia's three, then the rest of the world.
INDONESIAN_TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The agent's own name, language, timezone and availability."""
    agent = session_agent(request)
    if agent is None:
        raise Http404
    form = {"display_name": agent.display_name, "language": agent.language, "timezone": agent.timezone}
    error = None
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in form}
        try:
            update_profile(actor=Actor.for_agent(agent), agent=agent, display_name=form["display_name"],
                           language=form["language"], timezone_name=form["timezone"])
        except LayanError as exc:
            error = exc
        else:
            messages.success(request, _("Your profile is saved."))
            response = redirect("web:profile")
            # The interface follows the language chosen here, as the header's switch does.
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form["language"], samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
            return response
    timezones = [*INDONESIAN_TIMEZONES, *sorted(available_timezones() - set(INDONESIAN_TIMEZONES))]
    return render(request, "web/profile.html", {
        "agent": agent, "form": form, "error": error, "languages": settings.LANGUAGES, "timezones": timezones,
        "availabilities": Availability.choices}, status=error.status if error else 200)


@login_required
@require_POST
def availability(request):
    agent = session_agent(request)
    if agent is None:
        raise Http404
    try:
        set_availability(actor=Actor.for_agent(agent), agent=agent, availability=request.POST.get("availability", ""))
    except LayanError as exc:
        messages.error(request, exc.message)
    return _back_to_inbox(request)


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


@login_required
@require_POST
def message_retry(request, number: int, message_id: int):
    """"Retry now" on a reply that waits for its next attempt or has failed."""
    agent = session_agent(request)
    conversation = _conversation_or_404(agent, number)
    try:
        message = access_message(agent=agent, message_id=message_id)
        if message.conversation_id != conversation.pk:
            raise Http404
        retry_delivery_now(actor=Actor.for_agent(agent), message=message)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except LayanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Trying to send the reply again."))
    return redirect(reverse("web:conversation", args=[conversation.number]) + f"#m{message_id}")
