"""Supervisors' automation settings (rules with their run log, macros) and the macro menu of the
conversation page. Thin, as views.py: parse, access_*, one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from layan import errors
from layan.accounts.actors import Actor
from layan.accounts.models import Role
from layan.automation import services
from layan.automation.forms import choices, definitions_from_post, rows_from_definitions
from layan.automation.models import RuleEvent, TimeAnchor
from layan.automation.selectors import (
    access_macro,
    access_rule,
    macros_for,
    rules_for,
    runs_of_rule,
)
from layan.conversations.selectors import access_conversation_by_number
from layan.web.session import session_agent, session_agent_with_role

RUNS_SHOWN = 100


def _editor_or_403(request):
    return session_agent_with_role(request, Role.SUPERVISOR)


def _rule_or_404(agent, rule_id):
    try:
        return access_rule(agent=agent, rule_id=rule_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


def _macro_or_404(agent, macro_id):
    try:
        return access_macro(agent=agent, macro_id=macro_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


def _int_or_none(value: str):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise errors.InvalidInput(_("Give a whole number."), field="delay_minutes") from exc


def _rule_fields(agent, post) -> dict:
    conditions, actions = definitions_from_post(agent.workspace, post)
    position = _int_or_none(post.get("position", ""))
    fields = {"name": post.get("name", ""), "event": post.get("event", ""), "conditions": conditions,
              "actions": actions, "stop_processing": post.get("stop_processing") == "on",
              "is_active": post.get("is_active") == "on", "time_anchor": post.get("time_anchor", ""),
              "delay_minutes": _int_or_none(post.get("delay_minutes", ""))}
    if position is not None:
        fields["position"] = position
    return fields


def _rule_form(request, agent, *, rule=None, error=None, status=200):
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("name", "event", "position", "delay_minutes", "time_anchor")}
        values["stop_processing"] = request.POST.get("stop_processing") == "on"
        values["is_active"] = request.POST.get("is_active") == "on"
        rows = {
            "all_rows": [(i, {n: request.POST.get(f"all-{i}-{n}", "") for n in ("field", "operator", "value")})
                         for i in range(5)],
            "any_rows": [(i, {n: request.POST.get(f"any-{i}-{n}", "") for n in ("field", "operator", "value")})
                         for i in range(3)],
            "action_rows": [(i, {n: request.POST.get(f"action-{i}-{n}", "") for n in ("type", "value", "detail")})
                            for i in range(6)],
        }
    elif rule is not None:
        values = {"name": rule.name, "event": rule.event, "position": rule.position,
                  "delay_minutes": rule.delay_minutes or "", "time_anchor": rule.time_anchor,
                  "stop_processing": rule.stop_processing, "is_active": rule.is_active}
        rows = rows_from_definitions(rule.conditions, rule.actions)
    else:
        values = {"name": "", "event": RuleEvent.CONVERSATION_CREATED, "position": "", "delay_minutes": "",
                  "time_anchor": "", "stop_processing": False, "is_active": True}
        rows = rows_from_definitions({}, [])
    return render(request, "web/settings/automation_rule.html", {
        "agent": agent, "rule": rule, "values": values, "error": error, "events": RuleEvent.choices,
        "anchors": TimeAnchor.choices, **rows, **choices()}, status=status)


@login_required
@require_http_methods(["GET"])
def rule_list(request):
    agent = _editor_or_403(request)
    return render(request, "web/settings/automation.html", {
        "agent": agent, "rules": list(rules_for(agent)), "macros": list(macros_for(agent)),
        "flash": list(messages.get_messages(request))})


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request):
    agent = _editor_or_403(request)
    if request.method == "GET":
        return _rule_form(request, agent)
    try:
        rule = services.create_rule(actor=Actor.for_agent(agent), **_rule_fields(agent, request.POST))
    except errors.LayanError as exc:
        return _rule_form(request, agent, error=exc, status=exc.status)
    messages.success(request, _("Rule %(name)s created.") % {"name": rule.name})
    return redirect("web:settings-automation")


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, rule_id: int):
    agent = _editor_or_403(request)
    rule = _rule_or_404(agent, rule_id)
    if request.method == "GET":
        return _rule_form(request, agent, rule=rule)
    try:
        services.update_rule(actor=Actor.for_agent(agent), rule=rule, **_rule_fields(agent, request.POST))
    except errors.LayanError as exc:
        return _rule_form(request, agent, rule=rule, error=exc, status=exc.status)
    messages.success(request, _("Rule %(name)s saved.") % {"name": rule.name})
    return redirect("web:settings-automation")


@login_required
@require_POST
def rule_toggle(request, rule_id: int):
    agent = _editor_or_403(request)
    rule = _rule_or_404(agent, rule_id)
    services.update_rule(actor=Actor.for_agent(agent), rule=rule, is_active=not rule.is_active)
    return redirect("web:settings-automation")


@login_required
@require_POST
def rule_delete(request, rule_id: int):
    agent = _editor_or_403(request)
    rule = _rule_or_404(agent, rule_id)
    services.delete_rule(actor=Actor.for_agent(agent), rule=rule)
    messages.success(request, _("Rule %(name)s deleted.") % {"name": rule.name})
    return redirect("web:settings-automation")


@login_required
@require_http_methods(["GET"])
def rule_runs(request, rule_id: int):
    agent = _editor_or_403(request)
    rule = _rule_or_404(agent, rule_id)
    runs = list(runs_of_rule(rule).order_by("-created_at", "-pk")[:RUNS_SHOWN])
    return render(request, "web/settings/automation_runs.html", {"agent": agent, "rule": rule, "runs": runs})


# --- macros ----------------------------------------------------------------------------------

def _macro_form(request, agent, *, macro=None, error=None, status=200):
    if request.method == "POST":
        values = {"name": request.POST.get("name", ""), "is_active": request.POST.get("is_active") == "on"}
        rows = {"action_rows": [(i, {n: request.POST.get(f"action-{i}-{n}", "") for n in ("type", "value", "detail")})
                                for i in range(6)]}
    elif macro is not None:
        values = {"name": macro.name, "is_active": macro.is_active}
        rows = rows_from_definitions({}, macro.actions)
    else:
        values = {"name": "", "is_active": True}
        rows = rows_from_definitions({}, [])
    return render(request, "web/settings/automation_macro.html", {
        "agent": agent, "macro": macro, "values": values, "error": error,
        "action_rows": rows["action_rows"], **choices()}, status=status)


def _macro_fields(agent, post) -> dict:
    _conditions, actions = definitions_from_post(agent.workspace, post)
    return {"name": post.get("name", ""), "actions": actions, "is_active": post.get("is_active") == "on"}


@login_required
@require_http_methods(["GET", "POST"])
def macro_create(request):
    agent = _editor_or_403(request)
    if request.method == "GET":
        return _macro_form(request, agent)
    try:
        macro = services.create_macro(actor=Actor.for_agent(agent), **_macro_fields(agent, request.POST))
    except errors.LayanError as exc:
        return _macro_form(request, agent, error=exc, status=exc.status)
    messages.success(request, _("Macro %(name)s created.") % {"name": macro.name})
    return redirect("web:settings-automation")


@login_required
@require_http_methods(["GET", "POST"])
def macro_edit(request, macro_id: int):
    agent = _editor_or_403(request)
    macro = _macro_or_404(agent, macro_id)
    if request.method == "GET":
        return _macro_form(request, agent, macro=macro)
    try:
        services.update_macro(actor=Actor.for_agent(agent), macro=macro, **_macro_fields(agent, request.POST))
    except errors.LayanError as exc:
        return _macro_form(request, agent, macro=macro, error=exc, status=exc.status)
    messages.success(request, _("Macro %(name)s saved.") % {"name": macro.name})
    return redirect("web:settings-automation")


@login_required
@require_POST
def macro_toggle(request, macro_id: int):
    agent = _editor_or_403(request)
    macro = _macro_or_404(agent, macro_id)
    services.update_macro(actor=Actor.for_agent(agent), macro=macro, is_active=not macro.is_active)
    return redirect("web:settings-automation")


@login_required
@require_POST
def macro_delete(request, macro_id: int):
    agent = _editor_or_403(request)
    macro = _macro_or_404(agent, macro_id)
    services.delete_macro(actor=Actor.for_agent(agent), macro=macro)
    messages.success(request, _("Macro %(name)s deleted.") % {"name": macro.name})
    return redirect("web:settings-automation")


# --- the conversation page's macro menu -------------------------------------------------------

def _conversation_or_404(agent, number: int):
    if agent is None:
        raise Http404
    try:
        return access_conversation_by_number(agent=agent, number=number)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_http_methods(["GET"])
def conversation_macros(request, number: int):
    """The menu, loaded by the page after it renders (so the page's own queries stay as pinned);
    without JavaScript the same menu is a page of its own."""
    agent = session_agent(request)
    conversation = _conversation_or_404(agent, number)
    context = {"agent": agent, "conversation": conversation, "macros": list(macros_for(agent, active_only=True))}
    template = "web/_macro_menu.html" if request.headers.get("HX-Request") else "web/conversation_macros.html"
    return render(request, template, context)


@login_required
@require_POST
def conversation_macro_apply(request, number: int):
    agent = session_agent(request)
    conversation = _conversation_or_404(agent, number)
    try:
        macro_id = int(request.POST.get("macro", ""))
    except ValueError as exc:
        raise Http404 from exc
    macro = _macro_or_404(agent, macro_id)
    try:
        services.apply_macro(actor=Actor.for_agent(agent), macro=macro, conversation=conversation)
    except errors.LayanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Macro %(name)s applied.") % {"name": macro.name})
    return redirect("web:conversation", number=conversation.number)
