"""Writers for automation: canned replies (and counting their use), rules and macros, applying a macro."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.models import Role, Team
from layan.accounts.selectors import require_role
from layan.accounts.services import record_audit
from layan.automation.definitions import clean_actions, clean_conditions
from layan.automation.models import (
    SHORTCUT_MAX_LENGTH,
    SHORTCUT_PATTERN,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    AutomationRule,
    CannedReply,
    CannedReplyLanguage,
    Macro,
    RuleEvent,
    TimeAnchor,
)
from layan.errors import Conflict, ErrorCode, InvalidInput

_SHORTCUT = re.compile(SHORTCUT_PATTERN)
_UNSET = object()


def _require_editor(actor: Actor) -> None:
    """Supervisors and admins keep the workspace's answers; the system (the demo loader) may too."""
    if actor.agent is not None:
        require_role(actor.agent, Role.SUPERVISOR)


def _clean_shortcut(value: str) -> str:
    shortcut = (value or "").strip().lower()
    if not shortcut:
        raise InvalidInput(_("A canned reply needs a shortcut."), field="shortcut")
    if len(shortcut) > SHORTCUT_MAX_LENGTH:
        raise InvalidInput(_("A shortcut is at most %(n)s characters.") % {"n": SHORTCUT_MAX_LENGTH},
                           field="shortcut")
    if not _SHORTCUT.match(shortcut):
        raise InvalidInput(_("A shortcut may only contain lower-case letters, digits, hyphens and underscores, "
                             "and starts with a letter or digit."), field="shortcut")
    return shortcut


def _clean_title(value: str) -> str:
    title = (value or "").strip()
    if not title:
        raise InvalidInput(_("A canned reply needs a title."), field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidInput(_("A title is at most %(n)s characters.") % {"n": TITLE_MAX_LENGTH}, field="title")
    return title


def _clean_text(value: str) -> str:
    text = value or ""
    if not text.strip():
        raise InvalidInput(_("A canned reply needs a text."), field="text")
    if len(text) > TEXT_MAX_LENGTH:
        raise InvalidInput(_("A canned reply's text is at most %(n)s characters.") % {"n": TEXT_MAX_LENGTH},
                           field="text")
    return text


def _clean_language(value: str) -> str:
    language = (value or "").strip()
    if language not in CannedReplyLanguage.values:
        raise InvalidInput(_("Language must be id, en or empty (any)."), field="language")
    return language


def _clean_team(actor: Actor, team: Team | None) -> Team | None:
    if team is not None and team.workspace_id != actor.workspace.pk:
        raise InvalidInput(_("The team belongs to another workspace."), field="team")
    return team


def _duplicate(shortcut: str) -> Conflict:
    return Conflict(_("The shortcut /%(shortcut)s is already taken.") % {"shortcut": shortcut},
                    code=ErrorCode.DUPLICATE, field="shortcut")


def _snapshot(reply: CannedReply) -> dict:
    return {"shortcut": reply.shortcut, "title": reply.title, "text": reply.text, "team": reply.team_id,
            "language": reply.language}


def _clean_variant_of(actor: Actor, variant_of: CannedReply | None, language: str) -> CannedReply | None:
    if variant_of is None:
        return None
    if variant_of.workspace_id != actor.workspace.pk:
        raise InvalidInput(_("Canned reply not found."), field="variant_of")
    if variant_of.variant_of_id:
        variant_of = variant_of.variant_of  # translations hang off the original, one level deep
    if not language or language == variant_of.language:
        raise InvalidInput(_("A translation needs a language other than the original's."), field="language")
    return variant_of


@transaction.atomic
def create_canned_reply(*, actor: Actor, shortcut: str, title: str, text: str, team: Team | None = None,
                        language: str = "", variant_of: CannedReply | None = None) -> CannedReply:
    """``variant_of``: this reply is that one in another language; rendering for a conversation
    picks the version in the customer's language."""
    _require_editor(actor)
    shortcut = _clean_shortcut(shortcut)
    title, text = _clean_title(title), _clean_text(text)
    language, team = _clean_language(language), _clean_team(actor, team)
    variant_of = _clean_variant_of(actor, variant_of, language)
    try:
        with transaction.atomic():
            reply = CannedReply.objects.create(
                workspace=actor.workspace, shortcut=shortcut, title=title, text=text, team=team, language=language,
                created_by=actor.agent, variant_of=variant_of,
            )
    except IntegrityError as exc:  # the unique constraints decide, not a check beforehand
        if variant_of is not None and CannedReply.objects.filter(variant_of=variant_of, language=language).exists():
            raise Conflict(_("That reply already has a translation in this language."), code=ErrorCode.DUPLICATE,
                           field="language") from exc
        raise _duplicate(shortcut) from exc
    record_audit(actor=actor, action="canned_reply.created", object_type="canned_reply", object_id=reply.pk,
                 after=_snapshot(reply))
    return reply


@transaction.atomic
def update_canned_reply(*, actor: Actor, canned_reply: CannedReply, shortcut: str | None = None,
                        title: str | None = None, text: str | None = None, team: Team | None | object = _UNSET,
                        language: str | None = None) -> CannedReply:
    """Change the given fields; ``team=None`` makes the answer the whole workspace's, an omitted
    ``team`` leaves it as it is."""
    _require_editor(actor)
    reply = canned_reply
    before = _snapshot(reply)
    changes: dict = {}
    if shortcut is not None:
        changes["shortcut"] = _clean_shortcut(shortcut)
    if title is not None:
        changes["title"] = _clean_title(title)
    if text is not None:
        changes["text"] = _clean_text(text)
    if language is not None:
        changes["language"] = _clean_language(language)
    if team is not _UNSET:
        changes["team"] = _clean_team(actor, team)
    changed = [name for name, value in changes.items()
               if before[name] != (getattr(value, "pk", None) if name == "team" else value)]
    if not changed:
        return reply
    for name in changed:
        setattr(reply, name, changes[name])
    reply.updated_at = timezone.now()
    try:
        with transaction.atomic():
            reply.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        raise _duplicate(reply.shortcut) from exc
    record_audit(actor=actor, action="canned_reply.updated", object_type="canned_reply", object_id=reply.pk,
                 before=before, after=_snapshot(reply))
    return reply


@transaction.atomic
def delete_canned_reply(*, actor: Actor, canned_reply: CannedReply) -> None:
    _require_editor(actor)
    record_audit(actor=actor, action="canned_reply.deleted", object_type="canned_reply",
                 object_id=canned_reply.pk, before=_snapshot(canned_reply))
    canned_reply.delete()


def record_canned_reply_use(*, canned_reply: CannedReply) -> None:
    """Count one insertion into a reply. Not audited: it is a statistic, not a change of the answer."""
    CannedReply.objects.filter(pk=canned_reply.pk).update(usage_count=F("usage_count") + 1)


# --- rules and macros --------------------------------------------------------------------------

RULE_NAME_MAX_LENGTH = 200
MAX_DELAY_MINUTES = 60 * 24 * 365


def _clean_name(value: str, field: str = "name") -> str:
    name = (value or "").strip()
    if not name:
        raise InvalidInput(_("Give it a name."), field=field)
    if len(name) > RULE_NAME_MAX_LENGTH:
        raise InvalidInput(_("A name is at most %(n)s characters.") % {"n": RULE_NAME_MAX_LENGTH}, field=field)
    return name


def _clean_timing(event: str, delay_minutes: int | None, time_anchor: str) -> tuple[int | None, str]:
    if event != RuleEvent.TIME_BASED:
        return None, ""
    if not isinstance(delay_minutes, int) or isinstance(delay_minutes, bool) or not (
            0 < delay_minutes <= MAX_DELAY_MINUTES):
        raise InvalidInput(_("A time-based rule needs a delay of 1 minute to 1 year."), field="delay_minutes")
    if time_anchor not in TimeAnchor.values:
        raise InvalidInput(_("Say what the time is measured from."), field="time_anchor")
    return delay_minutes, time_anchor


def _rule_snapshot(rule: AutomationRule) -> dict:
    return {"name": rule.name, "event": rule.event, "conditions": rule.conditions, "actions": _masked(rule.actions),
            "position": rule.position, "stop_processing": rule.stop_processing, "is_active": rule.is_active,
            "delay_minutes": rule.delay_minutes, "time_anchor": rule.time_anchor}


def _keep_secrets(old: list[dict], new: list[dict]) -> list[dict]:
    """Secrets are never shown, so an edit that sends a webhook back without one keeps the secret
    the same URL had."""
    secrets = {a["url"]: a["secret"] for a in old if a.get("type") == "webhook" and a.get("secret")}
    return [{**a, "secret": secrets.get(a["url"], "")} if a["type"] == "webhook" and not a["secret"] else a
            for a in new]


def _masked(actions: list[dict]) -> list[dict]:
    """Actions as the audit log keeps them: webhook secrets left out."""
    return [{**a, "secret": "***"} if a.get("secret") else a for a in actions]


@transaction.atomic
def create_rule(*, actor: Actor, name: str, event: str, actions: list, conditions: dict | None = None,
                position: int | None = None, stop_processing: bool = False, is_active: bool = True,
                delay_minutes: int | None = None, time_anchor: str = "") -> AutomationRule:
    _require_editor(actor)
    if event not in RuleEvent.values:
        raise InvalidInput(_("Unknown event: %(event)s.") % {"event": event}, field="event")
    workspace = actor.workspace
    delay_minutes, time_anchor = _clean_timing(event, delay_minutes, time_anchor)
    if position is None:
        last = AutomationRule.objects.filter(workspace=workspace).order_by("-position").values_list(
            "position", flat=True).first()
        position = 0 if last is None else last + 1
    rule = AutomationRule.objects.create(
        workspace=workspace, name=_clean_name(name), event=event,
        conditions=clean_conditions(workspace, conditions), actions=clean_actions(workspace, actions),
        position=_clean_position(position), stop_processing=bool(stop_processing), is_active=bool(is_active),
        delay_minutes=delay_minutes, time_anchor=time_anchor, created_by=actor.agent)
    record_audit(actor=actor, action="automation_rule.created", object_type="automation_rule", object_id=rule.pk,
                 after=_rule_snapshot(rule))
    return rule


def _clean_position(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not (0 <= value <= 1_000_000):
        raise InvalidInput(_("A position is a whole number from 0."), field="position")
    return value


@transaction.atomic
def update_rule(*, actor: Actor, rule: AutomationRule, **changes) -> AutomationRule:
    """Change the given fields (name, event, conditions, actions, position, stop_processing,
    is_active, delay_minutes, time_anchor); the whole rule is checked again."""
    _require_editor(actor)
    rule = AutomationRule.objects.select_for_update().get(pk=rule.pk)
    before = _rule_snapshot(rule)
    workspace = actor.workspace
    allowed = {"name", "event", "conditions", "actions", "position", "stop_processing", "is_active", "delay_minutes",
               "time_anchor"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(_("Unknown field: %(f)s.") % {"f": sorted(unknown)[0]}, field=sorted(unknown)[0])
    event = changes.get("event", rule.event)
    if event not in RuleEvent.values:
        raise InvalidInput(_("Unknown event: %(event)s.") % {"event": event}, field="event")
    rule.event = event
    if "name" in changes:
        rule.name = _clean_name(changes["name"])
    if "conditions" in changes:
        rule.conditions = clean_conditions(workspace, changes["conditions"])
    if "actions" in changes:
        rule.actions = _keep_secrets(rule.actions, clean_actions(workspace, changes["actions"]))
    if "position" in changes:
        rule.position = _clean_position(changes["position"])
    for flag in ("stop_processing", "is_active"):
        if flag in changes:
            setattr(rule, flag, bool(changes[flag]))
    rule.delay_minutes, rule.time_anchor = _clean_timing(
        event, changes.get("delay_minutes", rule.delay_minutes), changes.get("time_anchor", rule.time_anchor))
    after = _rule_snapshot(rule)
    if after == before:
        return rule
    rule.updated_at = timezone.now()
    rule.save()
    record_audit(actor=actor, action="automation_rule.updated", object_type="automation_rule", object_id=rule.pk,
                 before=before, after=after)
    return rule


@transaction.atomic
def delete_rule(*, actor: Actor, rule: AutomationRule) -> None:
    _require_editor(actor)
    record_audit(actor=actor, action="automation_rule.deleted", object_type="automation_rule", object_id=rule.pk,
                 before=_rule_snapshot(rule))
    rule.delete()


def _macro_snapshot(macro: Macro) -> dict:
    return {"name": macro.name, "actions": _masked(macro.actions), "is_active": macro.is_active}


def _duplicate_macro(name: str) -> Conflict:
    return Conflict(_("A macro called %(name)s already exists.") % {"name": name}, code=ErrorCode.DUPLICATE,
                    field="name")


@transaction.atomic
def create_macro(*, actor: Actor, name: str, actions: list, is_active: bool = True) -> Macro:
    _require_editor(actor)
    name = _clean_name(name)
    actions = clean_actions(actor.workspace, actions)
    try:
        with transaction.atomic():
            macro = Macro.objects.create(workspace=actor.workspace, name=name, actions=actions,
                                         is_active=bool(is_active), created_by=actor.agent)
    except IntegrityError as exc:
        raise _duplicate_macro(name) from exc
    record_audit(actor=actor, action="macro.created", object_type="macro", object_id=macro.pk,
                 after=_macro_snapshot(macro))
    return macro


@transaction.atomic
def update_macro(*, actor: Actor, macro: Macro, name: str | None = None, actions: list | None = None,
                 is_active: bool | None = None) -> Macro:
    _require_editor(actor)
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    before = _macro_snapshot(macro)
    if name is not None:
        macro.name = _clean_name(name)
    if actions is not None:
        macro.actions = _keep_secrets(macro.actions, clean_actions(actor.workspace, actions))
    if is_active is not None:
        macro.is_active = bool(is_active)
    after = _macro_snapshot(macro)
    if after == before:
        return macro
    macro.updated_at = timezone.now()
    try:
        with transaction.atomic():
            macro.save()
    except IntegrityError as exc:
        raise _duplicate_macro(macro.name) from exc
    record_audit(actor=actor, action="macro.updated", object_type="macro", object_id=macro.pk, before=before,
                 after=after)
    return macro


@transaction.atomic
def delete_macro(*, actor: Actor, macro: Macro) -> None:
    _require_editor(actor)
    record_audit(actor=actor, action="macro.deleted", object_type="macro", object_id=macro.pk,
                 before=_macro_snapshot(macro))
    macro.delete()


def apply_macro(*, actor: Actor, macro: Macro, conversation) -> list[str]:
    """An agent applies a macro to a conversation they may see: its actions as theirs, all or none."""
    from layan.automation.engine import apply_macro as apply

    if not macro.is_active:
        raise Conflict(_("The macro %(name)s is disabled.") % {"name": macro.name}, code=ErrorCode.CONFLICT,
                       field="macro")
    return apply(actor=actor, macro=macro, conversation=conversation)
