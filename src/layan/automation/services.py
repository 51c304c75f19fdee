"""Writers for automation: creating, changing and deleting canned replies, and counting their use."""

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
from layan.automation.models import (
    SHORTCUT_MAX_LENGTH,
    SHORTCUT_PATTERN,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    CannedReply,
    CannedReplyLanguage,
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


@transaction.atomic
def create_canned_reply(*, actor: Actor, shortcut: str, title: str, text: str, team: Team | None = None,
                        language: str = "") -> CannedReply:
    _require_editor(actor)
    shortcut = _clean_shortcut(shortcut)
    title, text = _clean_title(title), _clean_text(text)
    language, team = _clean_language(language), _clean_team(actor, team)
    try:
        with transaction.atomic():
            reply = CannedReply.objects.create(
                workspace=actor.workspace, shortcut=shortcut, title=title, text=text, team=team, language=language,
                created_by=actor.agent,
            )
    except IntegrityError as exc:  # the unique constraint decides, not a check beforehand
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
