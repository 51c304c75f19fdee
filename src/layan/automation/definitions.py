"""What a rule's conditions and a rule's or macro's actions may say, and checking them.

Conditions: ``{"all": [condition, ...], "any": [condition, ...]}`` — every ``all`` condition and
(when ``any`` is not empty) at least one ``any`` condition must hold. A condition is
``{"field", "operator", "value"}``. Actions: a list of ``{"type", ...}``, done in order.
Everything is checked here, before it is stored, against the workspace (ids of teams, agents,
inboxes and canned replies must be its own). See docs/flows/automation.md."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from layan.accounts.models import Agent, Team, Workspace
from layan.connectors.models import Inbox, InboxKind
from layan.conversations.models import ConversationType, Priority, Status
from layan.customers.models import Tier
from layan.errors import InvalidInput, NotFound

MAX_CONDITIONS = 50
MAX_ACTIONS = 20
MAX_TEXT = 10_000

# field -> (operators, kind of value)
CHOICE_FIELDS = {
    "status": Status.values,
    "old_status": Status.values,
    "priority": Priority.values,
    "type": ConversationType.values,
    "channel": InboxKind.values,
    "customer_tier": Tier.values,
    "sla_metric": ["first_response", "next_response", "resolution"],
    # the conversation team's business calendar, else the workspace default (none: always within)
    "business_hours": ["within", "outside"],
}
ID_FIELDS = {"inbox", "team"}  # an id of the workspace's, or null for "none"
TEXT_FIELDS = {"subject", "text"}  # text: the message of the event, else the customer's latest
CONDITION_FIELDS = [*CHOICE_FIELDS, *ID_FIELDS, "assignee", "tags", *TEXT_FIELDS]
OPERATORS = {
    **{name: ("is", "is_not") for name in (*CHOICE_FIELDS, *ID_FIELDS, "assignee")},
    "tags": ("has", "has_not"),
    "subject": ("contains", "not_contains"),
    "text": ("contains", "not_contains"),
}

ACTION_TYPES = ("set_status", "set_priority", "set_type", "assign_team", "assign_agent", "add_tags",
                "remove_tags", "reply_canned", "add_note", "notify", "webhook")
ACTION_CHOICES = {"set_status": Status.values, "set_priority": Priority.values, "set_type": ConversationType.values}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _strings(value, field: str, *, lower: bool = True) -> list[str]:
    items = _as_list(value)
    if not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise InvalidInput(_("Give a word or a list of words."), field=field)
    if any(len(v) > 200 for v in items):
        raise InvalidInput(_("A word is at most 200 characters."), field=field)
    return [v.strip().lower() if lower else v.strip() for v in items]


def _own_id(model, workspace: Workspace, value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("Give the id of one of this workspace's records."), field=field)
    if not model.objects.filter(workspace=workspace, pk=value).exists():
        # As everywhere in Layan: another workspace's id is answered like an id that exists nowhere.
        raise NotFound(_("Not found: %(id)s.") % {"id": value}, field=field)
    return value


def clean_condition(workspace: Workspace, raw, field: str) -> dict:
    if not isinstance(raw, dict):
        raise InvalidInput(_("A condition is an object with field, operator and value."), field=field)
    name, operator, value = raw.get("field"), raw.get("operator"), raw.get("value")
    if name not in CONDITION_FIELDS:
        raise InvalidInput(_("Unknown condition field: %(name)s.") % {"name": name}, field=f"{field}.field")
    if operator not in OPERATORS[name]:
        raise InvalidInput(_("The operator for %(name)s is one of: %(ops)s.") % {
            "name": name, "ops": ", ".join(OPERATORS[name])}, field=f"{field}.operator")
    where = f"{field}.value"
    if name in CHOICE_FIELDS:
        values = _strings(value, where)
        unknown = [v for v in values if v not in CHOICE_FIELDS[name]]
        if unknown:
            raise InvalidInput(_("Unknown value for %(name)s: %(value)s.") % {"name": name, "value": unknown[0]},
                               field=where)
        value = values
    elif name in ID_FIELDS:
        model = Team if name == "team" else Inbox
        value = [None if v is None else _own_id(model, workspace, v, where) for v in _as_list(value)]
    elif name == "assignee":
        if value not in ("none", "any"):
            value = _own_id(Agent, workspace, value, where)
    elif name == "tags":
        value = _strings(value, where)
    else:
        value = _strings(value, where, lower=False)
    return {"field": name, "operator": operator, "value": value}


def clean_conditions(workspace: Workspace, raw) -> dict:
    raw = raw or {}
    if not isinstance(raw, dict) or set(raw) - {"all", "any"}:
        raise InvalidInput(_('Conditions are {"all": [...], "any": [...]}.'), field="conditions")
    cleaned = {}
    for group in ("all", "any"):
        items = raw.get(group) or []
        if not isinstance(items, list):
            raise InvalidInput(_("A condition group is a list."), field=f"conditions.{group}")
        if len(items) > MAX_CONDITIONS:
            raise InvalidInput(_("At most %(n)s conditions in a group.") % {"n": MAX_CONDITIONS},
                               field=f"conditions.{group}")
        cleaned[group] = [clean_condition(workspace, item, f"conditions.{group}.{i}") for i, item in enumerate(items)]
    return cleaned


def _clean_url(value, field: str) -> str:
    url = (value or "").strip() if isinstance(value, str) else ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise InvalidInput(_("A webhook needs an http(s) URL."), field=field)
    return url


def clean_action(workspace: Workspace, raw, field: str) -> dict:  # noqa: C901 - one branch per action type
    from layan.automation.models import CannedReply

    if not isinstance(raw, dict):
        raise InvalidInput(_("An action is an object with a type."), field=field)
    kind, value = raw.get("type"), raw.get("value")
    where = f"{field}.value"
    if kind not in ACTION_TYPES:
        raise InvalidInput(_("Unknown action: %(type)s.") % {"type": kind}, field=f"{field}.type")
    if kind in ACTION_CHOICES:
        if value not in ACTION_CHOICES[kind]:
            raise InvalidInput(_("Unknown value for %(type)s: %(value)s.") % {"type": kind, "value": value},
                               field=where)
        return {"type": kind, "value": value}
    if kind == "assign_team":
        return {"type": kind, "value": None if value is None else _own_id(Team, workspace, value, where)}
    if kind == "assign_agent":
        return {"type": kind, "value": None if value is None else _own_id(Agent, workspace, value, where)}
    if kind in ("add_tags", "remove_tags"):
        return {"type": kind, "value": _strings(value, where)}
    if kind == "reply_canned":
        return {"type": kind, "value": _own_id(CannedReply, workspace, value, where)}
    if kind == "add_note":
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise InvalidInput(_("A note needs text (at most %(n)s characters).") % {"n": MAX_TEXT}, field=where)
        return {"type": kind, "value": value}
    if kind == "notify":
        agents = raw.get("agents") or []
        if not isinstance(agents, list):
            raise InvalidInput(_("Agents are a list of ids."), field=f"{field}.agents")
        agents = [_own_id(Agent, workspace, a, f"{field}.agents") for a in agents]
        to_assignee = raw.get("assignee", False)
        if not isinstance(to_assignee, bool):
            raise InvalidInput(_("assignee is true or false."), field=f"{field}.assignee")
        if not agents and not to_assignee:
            raise InvalidInput(_("Notify whom? Give agents or assignee: true."), field=f"{field}.agents")
        text = raw.get("text") or ""
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise InvalidInput(_("The text is at most %(n)s characters.") % {"n": MAX_TEXT}, field=f"{field}.text")
        return {"type": kind, "agents": agents, "assignee": to_assignee, "text": text}
    # webhook
    secret = raw.get("secret") or ""
    if not isinstance(secret, str) or len(secret) > 200:
        raise InvalidInput(_("The signing secret is at most 200 characters."), field=f"{field}.secret")
    return {"type": kind, "url": _clean_url(raw.get("url"), f"{field}.url"), "secret": secret}


def clean_actions(workspace: Workspace, raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(_("Give at least one action."), field="actions")
    if len(raw) > MAX_ACTIONS:
        raise InvalidInput(_("At most %(n)s actions.") % {"n": MAX_ACTIONS}, field="actions")
    return [clean_action(workspace, item, f"actions.{i}") for i, item in enumerate(raw)]
