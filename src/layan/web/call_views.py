"""Logging a call from the agent workspace: the "Log a call" forms of the conversation page and
the customer page. Thin: parse, access_*, log_call, redirect; a refused form is shown again with
the reason and what was typed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layan.accounts.actors import Actor
from layan.connectors.voice.services import log_call
from layan.conversations.selectors import customer_identities
from layan.errors import InvalidInput, LayanError
from layan.web.calls import call_panel
from layan.web.session import session_agent

FORM_FIELDS = ("direction", "number", "minutes", "seconds", "outcome", "notes")


def _form(post) -> dict:
    return {name: post.get(name, "").strip() for name in FORM_FIELDS}


def _duration(form: dict) -> int:
    minutes, seconds = form["minutes"] or "0", form["seconds"] or "0"
    if not (minutes.isdigit() and seconds.isdigit()) or len(minutes) > 5 or len(seconds) > 5:
        raise InvalidInput(_("Give the duration in whole minutes and seconds."), field="duration_seconds")
    return int(minutes) * 60 + int(seconds)


def _log(agent, form: dict, *, customer, conversation=None):
    return log_call(actor=Actor.for_agent(agent), customer=customer, conversation=conversation,
                    direction=form["direction"], number=form["number"], duration_seconds=_duration(form),
                    outcome=form["outcome"], notes=form["notes"])


@login_required
@require_POST
def conversation_log_call(request, number: int):
    from layan.web.views import _conversation_or_404, _new_composer, _page_context

    agent = session_agent(request)
    conversation = _conversation_or_404(agent, number)
    form = _form(request.POST)
    try:
        _log(agent, form, customer=conversation.customer, conversation=conversation)
    except LayanError as exc:
        context = _page_context(agent, conversation, composer=_new_composer(conversation))
        panel = call_panel(identities=context["customer_identities"], conversation=conversation, form=form, error=exc)
        return render(request, "web/conversation.html", {**context, **panel}, status=exc.status)
    return redirect("web:conversation", number=conversation.number)


@login_required
@require_POST
def customer_log_call(request, customer_id: int):
    from layan.web.customer_views import _customer_or_404, _profile

    agent = session_agent(request)
    if agent is None:
        raise Http404
    customer = _customer_or_404(agent, customer_id)
    if customer.merged_into_id:
        return redirect("web:customer", customer_id=customer.merged_into_id)
    form = _form(request.POST)
    try:
        call = _log(agent, form, customer=customer)
    except LayanError as exc:
        return _profile(request, agent, customer, status=exc.status,
                        **call_panel(identities=customer_identities(customer_id=customer.pk), form=form, error=exc))
    messages.success(request, _("Call logged in conversation #%(n)s.") % {"n": call.conversation.number})
    return redirect("web:customer", customer_id=customer.pk)
