"""API v1: automation rules (supervisors and admins), their run log, and macros (every agent lists
and applies them; supervisors and admins keep them)."""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from layan.accounts.models import Role
from layan.accounts.selectors import require_role
from layan.api.pagination import paginate
from layan.api.schemas import (
    ERRORS,
    MacroAppliedOut,
    MacroApplyIn,
    MacroIn,
    MacroOut,
    MacroPage,
    MacroPatch,
    RuleIn,
    RuleOut,
    RulePage,
    RulePatch,
    RuleRunPage,
)
from layan.automation import services
from layan.automation.selectors import (
    access_macro,
    access_rule,
    macros_for,
    rules_for,
    runs_of_rule,
)
from layan.conversations.selectors import access_conversation

rules_router = Router(tags=["automation rules"])
macros_router = Router(tags=["macros"])


class PageQuery(Schema):
    cursor: str | None = None
    limit: int | None = None


@rules_router.get("", response={200: RulePage, **ERRORS}, summary="List the workspace's rules (supervisor or admin)")
def list_rules(request, query: Query[PageQuery]):
    rows, next_cursor = paginate(rules_for(request.agent), cursor=query.cursor, limit=query.limit, sort="created")
    return {"items": rows, "next_cursor": next_cursor}


@rules_router.post("", response={201: RuleOut, **ERRORS}, summary="Create a rule (supervisor or admin)")
def create_rule(request, payload: RuleIn):
    require_role(request.agent, Role.SUPERVISOR)
    rule = services.create_rule(actor=request.actor, **payload.model_dump())
    return Status(201, rule)


@rules_router.get("/{int:rule_id}", response={200: RuleOut, **ERRORS}, summary="Get a rule")
def get_rule(request, rule_id: int):
    return access_rule(agent=request.agent, rule_id=rule_id)


@rules_router.patch("/{int:rule_id}", response={200: RuleOut, **ERRORS}, summary="Change a rule")
def update_rule(request, rule_id: int, payload: RulePatch):
    rule = access_rule(agent=request.agent, rule_id=rule_id)
    changes = {k: getattr(payload, k) for k in payload.model_fields_set
               if getattr(payload, k) is not None or k == "delay_minutes"}
    return services.update_rule(actor=request.actor, rule=rule, **changes)


@rules_router.delete("/{int:rule_id}", response={204: None, **ERRORS}, summary="Delete a rule")
def delete_rule(request, rule_id: int):
    services.delete_rule(actor=request.actor, rule=access_rule(agent=request.agent, rule_id=rule_id))
    return Status(204, None)


@rules_router.get("/{int:rule_id}/runs", response={200: RuleRunPage, **ERRORS},
                  summary="The rule's run log, newest first: conversation, event, actions done, error")
def list_runs(request, rule_id: int, query: Query[PageQuery]):
    rule = access_rule(agent=request.agent, rule_id=rule_id)
    rows, next_cursor = paginate(runs_of_rule(rule), cursor=query.cursor, limit=query.limit, sort="-created")
    return {"items": rows, "next_cursor": next_cursor}


@macros_router.get("", response={200: MacroPage, **ERRORS}, summary="List the workspace's macros")
def list_macros(request, query: Query[PageQuery]):
    rows, next_cursor = paginate(macros_for(request.agent), cursor=query.cursor, limit=query.limit, sort="created")
    return {"items": rows, "next_cursor": next_cursor}


@macros_router.post("", response={201: MacroOut, **ERRORS}, summary="Create a macro (supervisor or admin)")
def create_macro(request, payload: MacroIn):
    require_role(request.agent, Role.SUPERVISOR)
    return Status(201, services.create_macro(actor=request.actor, **payload.model_dump()))


@macros_router.get("/{int:macro_id}", response={200: MacroOut, **ERRORS}, summary="Get a macro")
def get_macro(request, macro_id: int):
    return access_macro(agent=request.agent, macro_id=macro_id)


@macros_router.patch("/{int:macro_id}", response={200: MacroOut, **ERRORS},
                     summary="Change a macro (supervisor or admin)")
def update_macro(request, macro_id: int, payload: MacroPatch):
    require_role(request.agent, Role.SUPERVISOR)
    macro = access_macro(agent=request.agent, macro_id=macro_id)
    changes = {k: getattr(payload, k) for k in payload.model_fields_set if getattr(payload, k) is not None}
    return services.update_macro(actor=request.actor, macro=macro, **changes)


@macros_router.delete("/{int:macro_id}", response={204: None, **ERRORS}, summary="Delete a macro (supervisor or admin)")
def delete_macro(request, macro_id: int):
    require_role(request.agent, Role.SUPERVISOR)
    services.delete_macro(actor=request.actor, macro=access_macro(agent=request.agent, macro_id=macro_id))
    return Status(204, None)


@macros_router.post("/{int:macro_id}/apply", response={200: MacroAppliedOut, **ERRORS},
                    summary="Apply the macro's actions to a conversation, as the caller")
def apply_macro(request, macro_id: int, payload: MacroApplyIn):
    macro = access_macro(agent=request.agent, macro_id=macro_id)
    conversation = access_conversation(agent=request.agent, conversation_id=payload.conversation_id)
    done = services.apply_macro(actor=request.actor, macro=macro, conversation=conversation)
    return {"conversation_id": conversation.pk, "actions_done": done}
