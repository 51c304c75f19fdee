"""``layan token create|list|revoke``: API bearer tokens for a workspace's agents."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.management import agent_by_email, workspace_by_slug
from layan.accounts.models import APIToken
from layan.accounts.services import create_api_token, revoke_api_token
from layan.errors import LayanError


def _when(value) -> str:
    if value is None:
        return "-"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _("Create, list or revoke API tokens.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help=_("Create a token and print it (shown once)."))
        create.add_argument("--workspace", required=True, help=_("The workspace's slug."))
        create.add_argument("--agent", required=True, help=_("Email of the agent the token acts as."))
        create.add_argument("--name", default="", help=_("A label to recognise the token by."))
        listing = actions.add_parser("list", help=_("List the workspace's tokens."))
        listing.add_argument("--workspace", required=True, help=_("The workspace's slug."))
        revoke = actions.add_parser("revoke", help=_("Revoke a token by its prefix."))
        revoke.add_argument("--workspace", required=True, help=_("The workspace's slug."))
        revoke.add_argument("--prefix", required=True, help=_("The prefix shown by `token list`."))

    def handle(self, *args, **options):
        workspace = workspace_by_slug(options["workspace"])
        try:
            getattr(self, f"_{options['action']}")(workspace, options)
        except LayanError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, workspace, options):
        agent = agent_by_email(workspace, options["agent"])
        if not agent.is_active or not agent.user.is_active:
            raise CommandError(_("%(email)s is deactivated.") % {"email": agent.user.email})
        _token, raw = create_api_token(agent=agent, name=(options["name"] or "").strip())
        # Only the token, so that scripts can capture it: TOKEN=$(layan token create ...)
        self.stdout.write(raw)

    def _list(self, workspace, options):
        tokens = (APIToken.objects.select_related("agent__user").filter(workspace=workspace)
                  .order_by("created_at", "id"))
        header = (_("PREFIX"), _("AGENT"), _("NAME"), _("CREATED"), _("LAST USED"), _("REVOKED"))
        rows = [
            (t.prefix, t.agent.user.email, t.name or "-", _when(t.created_at), _when(t.last_used_at),
             _when(t.revoked_at))
            for t in tokens
        ]
        if not rows:
            self.stdout.write(_("No tokens in %(slug)s.") % {"slug": workspace.slug})
            return
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
                              .rstrip())

    def _revoke(self, workspace, options):
        prefix = (options["prefix"] or "").strip().rstrip("…")
        matches = list(APIToken.objects.filter(workspace=workspace, prefix=prefix)[:2])
        if not matches:
            raise CommandError(_("No token with prefix %(prefix)s in %(slug)s.") % {
                "prefix": prefix, "slug": workspace.slug})
        if len(matches) > 1:
            raise CommandError(_("More than one token has prefix %(prefix)s; revoke it in the admin.") % {
                "prefix": prefix})
        token = matches[0]
        if token.revoked_at is not None:
            self.stdout.write(_("Token %(prefix)s was already revoked.") % {"prefix": prefix})
            return
        revoke_api_token(token=token, actor=Actor.system(workspace))
        self.stdout.write(_("Revoked token %(prefix)s.") % {"prefix": prefix})
