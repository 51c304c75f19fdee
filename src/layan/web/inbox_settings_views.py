"""Admins' inbox settings: the list of inboxes, a new inbox, and each inbox's page with the webhook
URL to give the provider (ready to copy), its channel config form and whether each secret's
environment variable is set. Thin, as views.py: parse, access_*, one service, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from layan import errors
from layan.accounts.actors import Actor
from layan.accounts.models import Role
from layan.connectors.models import InboxKind
from layan.connectors.registry import config_model_for
from layan.connectors.selectors import (
    access_inbox_by_public_id,
    inbox_config,
    list_inboxes,
    secret_statuses,
    webhook_url,
)
from layan.connectors.services import configure_inbox, create_inbox
from layan.web.session import session_agent_with_role


def _admin_or_403(request):
    return session_agent_with_role(request, Role.ADMIN)


@login_required
@require_http_methods(["GET"])
def inbox_list(request):
    agent = _admin_or_403(request)
    inboxes = [(inbox, webhook_url(inbox=inbox)) for inbox in list_inboxes(agent=agent)]
    return render(request, "web/settings/inboxes.html", {
        "agent": agent, "inboxes": inboxes, "kinds": InboxKind.choices})


@login_required
@require_POST
def inbox_create(request):
    agent = _admin_or_403(request)
    try:
        inbox = create_inbox(actor=Actor.for_agent(agent), kind=request.POST.get("kind", ""),
                             name=request.POST.get("name", ""))
    except (errors.InvalidInput, errors.Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("web:settings-inboxes")
    messages.success(request, _("Inbox %(name)s created. Give the provider its webhook URL below.") % {
        "name": inbox.name})
    return redirect("web:settings-inbox", public_id=inbox.public_id)


def _config_form(model, data=None, instance=None):
    form_class = forms.modelform_factory(model, fields=model.form_fields())
    return form_class(data=data, instance=instance)


@login_required
@require_http_methods(["GET", "POST"])
def inbox_page(request, public_id: str):
    agent = _admin_or_403(request)
    try:
        inbox = access_inbox_by_public_id(agent=agent, public_id=public_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    model = config_model_for(inbox.kind)
    config = inbox_config(inbox=inbox)
    form = _config_form(model, instance=config) if model is not None else None
    status = 200
    if request.method == "POST" and model is not None:
        form = _config_form(model, data=request.POST, instance=config)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in model.form_fields()}
            try:
                configure_inbox(actor=Actor.for_agent(agent), inbox=inbox, values=values)
            except errors.InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("web:settings-inbox", public_id=inbox.public_id)
        status = 400
    return render(request, "web/settings/inbox.html", {
        "agent": agent, "inbox": inbox, "webhook_url": webhook_url(inbox=inbox), "form": form,
        "secrets": secret_statuses(config=config) if config is not None else [],
        "doc": f"docs/channels/{inbox.kind}.md",
    }, status=status)
