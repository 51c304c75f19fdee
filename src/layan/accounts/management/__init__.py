"""Operator commands for accounts: workspaces, agents and API tokens (see ``layan --help``)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from layan.accounts.models import Agent, Workspace


def workspace_by_slug(slug: str) -> Workspace:
    """The workspace an operator named on the command line, or a clean CommandError."""
    workspace = Workspace.objects.filter(slug=(slug or "").strip()).first()
    if workspace is None:
        raise CommandError(_("No workspace with slug %(slug)s.") % {"slug": slug})
    return workspace


def agent_by_email(workspace: Workspace, email: str) -> Agent:
    agent = (
        Agent.objects.select_related("workspace", "user")
        .filter(workspace=workspace, user__email=(email or "").strip().lower())
        .first()
    )
    if agent is None:
        raise CommandError(
            _("%(email)s is not an agent of workspace %(slug)s.") % {"email": email, "slug": workspace.slug}
        )
    return agent
