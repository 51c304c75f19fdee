"""``layan createagent``: add a person to a workspace with a role, creating their login if new."""

import getpass
import secrets
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.accounts.management import workspace_by_slug
from layan.accounts.models import Role
from layan.accounts.services import create_agent
from layan.errors import LayanError


def _check_password(password: str, email: str) -> str:
    try:
        validate_password(password, get_user_model()(email=email))
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from exc
    return password


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _(
            "Add an agent to a workspace. Without --password you are asked for one on a terminal; "
            "otherwise one is generated and printed."
        )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help=_("The workspace's slug."))
        parser.add_argument("--email", required=True, help=_("The agent's login email."))
        # Not argparse choices: a wrong role is a user error (exit 1 with a message), like any other.
        parser.add_argument("--role", required=True, help=_("admin, supervisor or agent."))
        parser.add_argument("--password", default=None, help=_("The login password."))
        parser.add_argument("--name", default="", help=_("Display name shown to colleagues."))

    def handle(self, *args, **options):
        workspace = workspace_by_slug(options["workspace"])
        if options["role"] not in Role.values:  # checked before asking for a password
            raise CommandError(_("Role must be admin, supervisor or agent."))
        email = (options["email"] or "").strip().lower()
        existing_user = get_user_model().objects.filter(email=email).exists()
        password, generated = options["password"], False
        if password is not None:
            _check_password(password, email)
        elif not existing_user:
            password, generated = self._new_password(email)
        try:
            agent = create_agent(workspace=workspace, email=email, role=options["role"],
                                 display_name=(options["name"] or "").strip(), password=password)
        except LayanError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(_("Added %(email)s to %(slug)s as %(role)s.") % {
            "email": agent.user.email, "slug": workspace.slug, "role": agent.get_role_display()})
        if generated:
            self.stdout.write(_("Password: %(password)s") % {"password": password})
        elif password is None:
            self.stdout.write(_("%(email)s already had a login; their password is unchanged.") % {
                "email": agent.user.email})

    def _new_password(self, email: str) -> tuple[str, bool]:
        if not sys.stdin.isatty():
            return secrets.token_urlsafe(12), True
        try:
            first = getpass.getpass(_("Password: "))
            second = getpass.getpass(_("Password (again): "))
        except (EOFError, KeyboardInterrupt) as exc:
            raise CommandError(_("Cancelled.")) from exc
        if first != second:
            raise CommandError(_("The two passwords do not match."))
        return _check_password(first, email), False
