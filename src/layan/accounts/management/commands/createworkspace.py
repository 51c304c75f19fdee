"""``layan createworkspace --name NAME [--slug SLUG]``: add a tenant and print its slug."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.accounts.services import create_workspace
from layan.errors import LayanError


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _("Create a workspace and print its slug (and nothing else, for scripts).")

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help=_("The workspace's name."))
        parser.add_argument("--slug", default=None,
                            help=_("URL-safe identifier; derived from the name when omitted."))
        parser.add_argument("--timezone", default="Asia/Jakarta",
                            help=_("IANA timezone (default Asia/Jakarta)."))
        parser.add_argument("--language", default="id", help=_("id or en (default id)."))

    def handle(self, *args, **options):
        try:
            workspace = create_workspace(name=options["name"], slug=options["slug"],
                                         timezone_name=options["timezone"], language=options["language"])
        except LayanError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(workspace.slug)
