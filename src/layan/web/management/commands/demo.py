"""``layan demo``: load the Indonesian demo shop and print how to log in and call the API."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.accounts.models import Role
from layan.demo.seed import DEMO_AGENTS, DEMO_PASSWORD, issue_demo_token, seed_demo
from layan.errors import LayanError


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _(
            "Load the demo workspace \"Toko Nusantara\" (once; --reset starts again) and print the logins, "
            "a fresh API token and an example request."
        )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help=_("Delete the demo workspace first and load it again."))
        parser.add_argument("--customers", type=int, default=300, help=_("How many customers."))
        parser.add_argument("--conversations", type=int, default=3000,
                            help=_("How many conversations."))
        parser.add_argument("--seed", type=int, default=None,
                            help=_("Random seed: the same seed loads the same data."))

    def handle(self, *args, **options):
        extra = {"seed": options["seed"]} if options["seed"] is not None else {}
        try:
            summary = seed_demo(customers=options["customers"], conversations=options["conversations"],
                                reset=options["reset"], **extra)
            _admin, token = issue_demo_token(workspace=summary.workspace)
        except LayanError as exc:
            raise CommandError(exc.message) from exc
        counts = {"customers": summary.customers, "conversations": summary.conversations,
                  "messages": summary.messages}
        workspace = summary.workspace
        out = self.stdout
        if summary.seeded:
            out.write(self.style.SUCCESS(_(
                "Loaded %(name)s (%(slug)s): %(customers)s customers, %(conversations)s conversations, "
                "%(messages)s messages in %(seconds).1f s.") % {
                    "name": workspace.name, "slug": workspace.slug, "seconds": summary.seconds, **counts}))
        else:
            out.write(_(
                "%(name)s (%(slug)s) is already loaded: %(customers)s customers, %(conversations)s "
                "conversations, %(messages)s messages. Use --reset to load it again.") % {
                    "name": workspace.name, "slug": workspace.slug, **counts})
        base = settings.LAYAN_BASE_URL
        out.write("")
        out.write(_("Open %(url)s and log in (password for everyone: %(password)s):") % {
            "url": f"{base}/", "password": DEMO_PASSWORD})
        labels = dict(Role.choices)
        width = max(len(a.email) for a in DEMO_AGENTS)
        for spec in DEMO_AGENTS:
            out.write(f"  {spec.email.ljust(width)}  {str(labels[spec.role]).ljust(10)}  {spec.display_name}")
        out.write("")
        out.write(_("API documentation: %(url)s") % {"url": f"{base}/api/v1/docs"})
        out.write(_("API token for %(email)s (earlier demo tokens are revoked):") % {"email": DEMO_AGENTS[0].email})
        out.write(f"  {token}")
        out.write(_("Try it:"))
        out.write(f'  curl -H "Authorization: Bearer {token}" "{base}/api/v1/conversations?status=open&limit=5"')
