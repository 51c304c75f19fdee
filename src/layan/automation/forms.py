"""The settings page's form for rules and macros: rows of (field, operator, value) and (action,
value, detail) in words a supervisor types — team and inbox names, agent emails, canned-reply
shortcuts, comma-separated lists — turned into the checked JSON of definitions.py, and back."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layan.accounts.models import Agent, Team, Workspace
from layan.automation.definitions import ACTION_TYPES, CONDITION_FIELDS, OPERATORS
from layan.automation.models import CannedReply
from layan.connectors.models import Inbox
from layan.errors import InvalidInput

ALL_ROWS, ANY_ROWS, ACTION_ROWS = 5, 3, 6
NONE_WORDS = {"none", "-", "—", "tidak ada"}

FIELD_LABELS = {
    "status": gettext_lazy("Status"), "old_status": gettext_lazy("Previous status"),
    "priority": gettext_lazy("Priority"), "type": gettext_lazy("Type"), "channel": gettext_lazy("Channel"),
    "customer_tier": gettext_lazy("Customer tier"), "sla_metric": gettext_lazy("Service-level target"),
    "business_hours": gettext_lazy("Business hours"),
    "inbox": gettext_lazy("Inbox"), "team": gettext_lazy("Team"), "assignee": gettext_lazy("Assignee"),
    "tags": gettext_lazy("Tags"), "subject": gettext_lazy("Subject"), "text": gettext_lazy("Message text"),
}
OPERATOR_LABELS = {"is": gettext_lazy("is"), "is_not": gettext_lazy("is not"), "has": gettext_lazy("has"),
                   "has_not": gettext_lazy("has not"), "contains": gettext_lazy("contains"),
                   "not_contains": gettext_lazy("does not contain")}
ACTION_LABELS = {
    "set_status": gettext_lazy("Set status"), "set_priority": gettext_lazy("Set priority"),
    "set_type": gettext_lazy("Set type"), "assign_team": gettext_lazy("Assign to team"),
    "assign_agent": gettext_lazy("Assign to agent"), "add_tags": gettext_lazy("Add tags"),
    "remove_tags": gettext_lazy("Remove tags"), "reply_canned": gettext_lazy("Reply with canned reply"),
    "add_note": gettext_lazy("Add internal note"), "notify": gettext_lazy("Notify agents"),
    "webhook": gettext_lazy("Call webhook"),
}


def _words(text: str) -> list[str]:
    return [w.strip() for w in (text or "").split(",") if w.strip()]


def _one(model, workspace: Workspace, text: str, field: str, *, by: str):
    word = (text or "").strip()
    if word.lower() in NONE_WORDS:
        return None
    lookup = {f"{by}__iexact": word}
    found = model.objects.filter(workspace=workspace, **lookup).values_list("pk", flat=True).first()
    if found is None:
        raise InvalidInput(_("Nothing called %(word)s here.") % {"word": word}, field=field)
    return found


def _agent(workspace: Workspace, text: str, field: str):
    word = (text or "").strip().lower()
    if word in NONE_WORDS:
        return None
    found = Agent.objects.filter(workspace=workspace, user__email__iexact=word).values_list("pk", flat=True).first()
    if found is None:
        raise InvalidInput(_("No agent with the email %(word)s.") % {"word": word}, field=field)
    return found


def condition_from_row(workspace: Workspace, name: str, operator: str, text: str, field: str) -> dict:
    if name in ("inbox", "team"):
        model = Team if name == "team" else Inbox
        value = [_one(model, workspace, w, field, by="name") for w in (_words(text) or ["none"])]
    elif name == "assignee":
        word = (text or "").strip().lower()
        value = word if word in ("none", "any") else _agent(workspace, text, field)
    else:
        value = _words(text)
    return {"field": name, "operator": operator, "value": value}


def action_from_row(workspace: Workspace, kind: str, text: str, detail: str, field: str) -> dict:
    text = (text or "").strip()
    if kind == "assign_team":
        return {"type": kind, "value": _one(Team, workspace, text, field, by="name")}
    if kind == "assign_agent":
        return {"type": kind, "value": _agent(workspace, text, field)}
    if kind in ("add_tags", "remove_tags"):
        return {"type": kind, "value": _words(text)}
    if kind == "reply_canned":
        return {"type": kind, "value": _one(CannedReply, workspace, text.removeprefix("/"), field, by="shortcut")}
    if kind == "notify":
        words = [w.lower() for w in _words(text)]
        return {"type": kind, "assignee": "assignee" in words, "text": detail or "",
                "agents": [_agent(workspace, w, field) for w in words if w != "assignee"]}
    if kind == "webhook":
        return {"type": kind, "url": text, "secret": detail or ""}
    return {"type": kind, "value": text}


MAX_FORM_ROWS = 50


def _rows(post, prefix: str, count: int, names: tuple[str, ...]) -> list[tuple[int, dict]]:
    # An edited rule may show more rows than a new one: read every row the form sent.
    rows = []
    for i in range(max(count, MAX_FORM_ROWS)):
        row = {n: post.get(f"{prefix}-{i}-{n}", "") for n in names}
        if row[names[0]]:
            rows.append((i, row))
    return rows


def definitions_from_post(workspace: Workspace, post) -> tuple[dict, list[dict]]:
    """(conditions, actions) from the form; the caller's service checks them in full."""
    conditions = {}
    for group, count in (("all", ALL_ROWS), ("any", ANY_ROWS)):
        conditions[group] = [
            condition_from_row(workspace, row["field"], row["operator"], row["value"], f"conditions.{group}.{n}.value")
            for n, (_i, row) in enumerate(_rows(post, group, count, ("field", "operator", "value")))]
    actions = [action_from_row(workspace, row["type"], row["value"], row["detail"], f"actions.{n}.value")
               for n, (_i, row) in enumerate(_rows(post, "action", ACTION_ROWS, ("type", "value", "detail")))]
    return conditions, actions


# --- back to rows, for editing -------------------------------------------------------------------

def _names(model, ids, attribute: str) -> dict:
    ids = [i for i in ids if isinstance(i, int)]
    return dict(model.objects.filter(pk__in=ids).values_list("pk", attribute)) if ids else {}


def rows_from_definitions(conditions: dict, actions: list[dict]) -> dict:
    """The form's rows for a stored rule or macro, padded with empty rows."""
    everything = [*(conditions.get("all") or []), *(conditions.get("any") or [])]
    team_ids = [v for c in everything if c["field"] == "team" for v in c["value"]]
    team_ids += [a["value"] for a in actions if a["type"] == "assign_team"]
    inbox_ids = [v for c in everything if c["field"] == "inbox" for v in c["value"]]
    agent_ids = [c["value"] for c in everything if c["field"] == "assignee"]
    agent_ids += [a["value"] for a in actions if a["type"] == "assign_agent"]
    agent_ids += [i for a in actions if a["type"] == "notify" for i in a["agents"]]
    canned_ids = [a["value"] for a in actions if a["type"] == "reply_canned"]
    teams, inboxes = _names(Team, team_ids, "name"), _names(Inbox, inbox_ids, "name")
    agents, canned = _names(Agent, agent_ids, "user__email"), _names(CannedReply, canned_ids, "shortcut")

    def condition_text(c):
        if c["field"] in ("team", "inbox"):
            names = teams if c["field"] == "team" else inboxes
            return ", ".join("none" if v is None else names.get(v, str(v)) for v in c["value"])
        if c["field"] == "assignee":
            return c["value"] if isinstance(c["value"], str) else agents.get(c["value"], "")
        return ", ".join(c["value"])

    def action_row(a):
        kind = a["type"]
        if kind == "assign_team":
            return kind, "none" if a["value"] is None else teams.get(a["value"], ""), ""
        if kind == "assign_agent":
            return kind, "none" if a["value"] is None else agents.get(a["value"], ""), ""
        if kind in ("add_tags", "remove_tags"):
            return kind, ", ".join(a["value"]), ""
        if kind == "reply_canned":
            return kind, canned.get(a["value"], ""), ""
        if kind == "notify":
            who = (["assignee"] if a["assignee"] else []) + [agents.get(i, "") for i in a["agents"]]
            return kind, ", ".join(who), a["text"]
        if kind == "webhook":
            return kind, a["url"], ""  # the secret is never shown; left empty, it is kept
        return kind, a["value"], ""

    def pad(items, count, empty):
        return items + [empty] * max(0, count - len(items))

    def condition_rows(group, count):
        rows = [{"field": c["field"], "operator": c["operator"], "value": condition_text(c)}
                for c in conditions.get(group) or []]
        return list(enumerate(pad(rows, count, {"field": "", "operator": "", "value": ""})))

    action_rows = [dict(zip(("type", "value", "detail"), action_row(a), strict=True)) for a in actions]
    return {"all_rows": condition_rows("all", ALL_ROWS), "any_rows": condition_rows("any", ANY_ROWS),
            "action_rows": list(enumerate(pad(action_rows, ACTION_ROWS, {"type": "", "value": "", "detail": ""})))}


def choices() -> dict:
    return {"fields": [(f, FIELD_LABELS[f]) for f in CONDITION_FIELDS],
            "operators": [(o, OPERATOR_LABELS[o]) for o in OPERATOR_LABELS],
            "action_types": [(t, ACTION_LABELS[t]) for t in ACTION_TYPES],
            "operators_by_field": {f: list(OPERATORS[f]) for f in CONDITION_FIELDS}}
