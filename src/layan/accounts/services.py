"""Writers for accounts: workspaces, agents, teams, tags, API tokens and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import (
    Agent,
    APIToken,
    AuditEntry,
    Availability,
    Role,
    Tag,
    Team,
    TeamMembership,
    Workspace,
)
from layan.errors import Conflict, ErrorCode, InvalidInput

TOKEN_PREFIX = "layan_"  # noqa: S105 - a label, not a secret
MAX_TAG_LENGTH = 64
SUPPORTED_LANGUAGES = ("id", "en")


def record_audit(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one audit entry; call inside the transaction of the change it describes."""
    return AuditEntry.objects.create(
        workspace=actor.workspace,
        actor_kind=actor.kind,
        actor_agent=actor.agent,
        via_token=actor.token,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before or {},
        after=after or {},
    )


def validate_timezone(value: str, *, field: str = "timezone") -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(_("Unknown timezone: %(tz)s") % {"tz": value}, field=field) from exc
    return value


def validate_language(value: str, *, field: str = "language") -> str:
    if value not in SUPPORTED_LANGUAGES:
        raise InvalidInput(_("Language must be one of: id, en."), field=field)
    return value


@transaction.atomic
def create_workspace(*, name: str, slug: str | None = None, timezone_name: str = "Asia/Jakarta",
                     language: str = "id") -> Workspace:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A workspace needs a name."), field="name")
    slug = slugify(slug or name)[:60]
    if not slug:
        raise InvalidInput(_("The slug must contain letters or digits."), field="slug")
    validate_timezone(timezone_name)
    validate_language(language)
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(name=name, slug=slug, timezone=timezone_name, language=language)
    except IntegrityError as exc:
        raise Conflict(_("A workspace with slug %(slug)s already exists.") % {"slug": slug},
                       field="slug") from exc
    record_audit(actor=Actor.system(workspace), action="workspace.created", object_type="workspace",
                 object_id=workspace.pk, after={"name": name, "slug": slug})
    return workspace


@transaction.atomic
def create_agent(
    *,
    workspace: Workspace,
    email: str,
    role: str = Role.AGENT,
    display_name: str = "",
    password: str | None = None,
    language: str = "id",
    timezone_name: str = "Asia/Jakarta",
    actor: Actor | None = None,
) -> Agent:
    """Add a person to a workspace, creating their login if they have none yet."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(_("Enter a valid email address."), field="email") from exc
    if role not in Role.values:
        raise InvalidInput(_("Role must be admin, supervisor or agent."), field="role")
    validate_language(language)
    validate_timezone(timezone_name)
    user_model = get_user_model()
    user = user_model.objects.filter(email=email).first()
    if user is None:
        user = user_model.objects.create_user(email=email, password=password,
                                              name=display_name or email.split("@")[0])
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    try:
        with transaction.atomic():
            agent = Agent.objects.create(
                workspace=workspace, user=user, role=role,
                display_name=display_name or user.name or email.split("@")[0],
                language=language, timezone=timezone_name,
            )
    except IntegrityError as exc:
        raise Conflict(_("%(email)s is already an agent of this workspace.") % {"email": email},
                       code=ErrorCode.DUPLICATE, field="email") from exc
    record_audit(actor=actor or Actor.system(workspace), action="agent.created", object_type="agent",
                 object_id=agent.pk, after={"email": email, "role": role})
    return agent


@transaction.atomic
def create_team(*, actor: Actor, name: str, description: str = "") -> Team:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A team needs a name."), field="name")
    try:
        with transaction.atomic():
            team = Team.objects.create(workspace=actor.workspace, name=name, description=description)
    except IntegrityError as exc:
        raise Conflict(_("A team named %(name)s already exists.") % {"name": name},
                       code=ErrorCode.DUPLICATE, field="name") from exc
    record_audit(actor=actor, action="team.created", object_type="team", object_id=team.pk,
                 after={"name": name})
    return team


@transaction.atomic
def update_team(*, actor: Actor, team: Team, name: str | None = None,
                description: str | None = None) -> Team:
    before = {"name": team.name, "description": team.description}
    fields = []
    if name is not None:
        name = name.strip()
        if not name:
            raise InvalidInput(_("A team needs a name."), field="name")
        team.name = name
        fields.append("name")
    if description is not None:
        team.description = description
        fields.append("description")
    if fields:
        try:
            with transaction.atomic():
                team.save(update_fields=fields)
        except IntegrityError as exc:
            raise Conflict(_("A team named %(name)s already exists.") % {"name": name},
                           code=ErrorCode.DUPLICATE, field="name") from exc
        record_audit(actor=actor, action="team.updated", object_type="team", object_id=team.pk,
                     before=before, after={"name": team.name, "description": team.description})
    return team


@transaction.atomic
def set_team_members(*, actor: Actor, team: Team, agents: Iterable[Agent]) -> Team:
    wanted = {a.pk for a in agents}
    current = set(TeamMembership.objects.filter(team=team).values_list("agent_id", flat=True))
    TeamMembership.objects.filter(team=team, agent_id__in=current - wanted).delete()
    TeamMembership.objects.bulk_create(
        [TeamMembership(team=team, agent_id=pk) for pk in sorted(wanted - current)], ignore_conflicts=True
    )
    if wanted != current:
        record_audit(actor=actor, action="team.members_changed", object_type="team", object_id=team.pk,
                     before={"members": sorted(current)}, after={"members": sorted(wanted)})
    return team


@transaction.atomic
def delete_team(*, actor: Actor, team: Team) -> None:
    record_audit(actor=actor, action="team.deleted", object_type="team", object_id=team.pk,
                 before={"name": team.name})
    team.delete()


def ensure_tags(*, workspace_id: int, names: Iterable[str]) -> list[Tag]:
    """Return the workspace's tags with these names, creating the missing ones (race-safe)."""
    cleaned = []
    for raw in names:
        name = (raw or "").strip().lower()
        if not name:
            raise InvalidInput(_("Tags cannot be empty."), field="tags")
        if len(name) > MAX_TAG_LENGTH:
            raise InvalidInput(_("Tags are at most 64 characters."), field="tags")
        if name not in cleaned:
            cleaned.append(name)
    if not cleaned:
        return []
    Tag.objects.bulk_create([Tag(workspace_id=workspace_id, name=n) for n in cleaned], ignore_conflicts=True)
    by_name = {t.name: t for t in Tag.objects.filter(workspace_id=workspace_id, name__in=cleaned)}
    return [by_name[n] for n in cleaned]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, agent: Agent, name: str = "", actor: Actor | None = None) -> tuple[APIToken, str]:
    """Create a token for ``agent``. Returns the row and the plain token, which is never stored."""
    secret = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}{secret}"
    token = APIToken.objects.create(
        workspace=agent.workspace, agent=agent, name=name[:120], prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_token(raw),
    )
    record_audit(actor=actor or Actor.system(agent.workspace), action="api_token.created",
                 object_type="api_token", object_id=token.pk,
                 after={"agent": agent.pk, "name": token.name, "prefix": token.prefix})
    return token, raw


@transaction.atomic
def revoke_api_token(*, token: APIToken, actor: Actor) -> APIToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_audit(actor=actor, action="api_token.revoked", object_type="api_token",
                     object_id=token.pk, after={"revoked_at": token.revoked_at.isoformat()})
    return token


def touch_api_token(*, token: APIToken) -> None:
    """Remember when a token was last used, at most once a minute per token (cheap on hot paths)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def update_profile(*, actor: Actor, agent: Agent, display_name: str, language: str, timezone_name: str) -> Agent:
    """An agent's own name, interface language and timezone."""
    display_name = (display_name or "").strip()
    if not display_name:
        raise InvalidInput(_("A display name is required."), field="display_name")
    if len(display_name) > 200:
        raise InvalidInput(_("A display name is at most 200 characters."), field="display_name")
    validate_language(language)
    validate_timezone(timezone_name)
    before = {"display_name": agent.display_name, "language": agent.language, "timezone": agent.timezone}
    after = {"display_name": display_name, "language": language, "timezone": timezone_name}
    if before == after:
        return agent
    agent.display_name, agent.language, agent.timezone = display_name, language, timezone_name
    agent.save(update_fields=["display_name", "language", "timezone"])
    record_audit(actor=actor, action="agent.profile_changed", object_type="agent", object_id=agent.pk,
                 before=before, after=after)
    return agent


@transaction.atomic
def set_availability(*, actor: Actor, agent: Agent, availability: str) -> Agent:
    if availability not in Availability.values:
        raise InvalidInput(_("Availability must be online, away or offline."), field="availability")
    if agent.availability == availability:
        return agent
    before = agent.availability
    agent.availability = availability
    agent.availability_changed_at = timezone.now()
    agent.save(update_fields=["availability", "availability_changed_at"])
    record_audit(actor=actor, action="agent.availability_changed", object_type="agent", object_id=agent.pk,
                 before={"availability": before}, after={"availability": availability})
    events.publish(events.AgentAvailabilityChanged(workspace_id=agent.workspace_id, agent_id=agent.pk,
                                                   availability=availability))
    return agent
