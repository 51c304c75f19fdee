"""``layan demo``: load the Indonesian demo shop and print how to log in and call the API;
``--fake-providers`` points its inboxes at the loopback fakes `layan serve --fake-providers` runs."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from layan.accounts.models import Role
from layan.demo.fake_providers import (
    DEFAULT_BASE_PORT,
    demo_inboxes_point_at_fakes,
    point_demo_inboxes_at_fakes,
)
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
        parser.add_argument("--fake-providers", action="store_true",
                            help=_("Point the demo inboxes at fake provider servers on 127.0.0.1, which "
                                   "`layan serve --fake-providers` runs: replies really go out over HTTP, "
                                   "to the fakes."))
        parser.add_argument("--fake-providers-port", type=int, default=DEFAULT_BASE_PORT,
                            help=_("The first of the fake providers' ports (default %(default)s)."))

    def handle(self, *args, **options):
        extra = {"seed": options["seed"]} if options["seed"] is not None else {}
        try:
            summary = seed_demo(customers=options["customers"], conversations=options["conversations"],
                                reset=options["reset"], **extra)
            _admin, token = issue_demo_token(workspace=summary.workspace)
            pointed = (point_demo_inboxes_at_fakes(workspace=summary.workspace,
                                                   base_port=options["fake_providers_port"])
                       if options["fake_providers"] else None)
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
        if pointed is not None:
            self._fakes_summary(pointed)
        elif demo_inboxes_point_at_fakes(workspace=workspace):
            out.write(self.style.WARNING(_(
                "The demo inboxes still send to fake providers on 127.0.0.1 (an earlier --fake-providers): "
                "serve with `layan serve --fake-providers`, or run `layan demo --reset` for the plain demo.")))
        base = settings.LAYAN_BASE_URL
        out.write("")
        out.write(_("Open %(url)s and log in (password for everyone: %(password)s):") % {
            "url": f"{base}/", "password": DEMO_PASSWORD})
        labels = dict(Role.choices)
        width = max(len(a.email) for a in DEMO_AGENTS)
        for spec in DEMO_AGENTS:
            out.write(f"  {spec.email.ljust(width)}  {str(labels[spec.role]).ljust(10)}  {spec.display_name}")
        self._service_summary(base)
        out.write("")
        out.write(_("API documentation: %(url)s") % {"url": f"{base}/api/v1/docs"})
        out.write(_("API token for %(email)s (earlier demo tokens are revoked):") % {"email": DEMO_AGENTS[0].email})
        out.write(f"  {token}")
        out.write(_("Try it:"))
        out.write(f'  curl -H "Authorization: Bearer {token}" "{base}/api/v1/conversations?status=open&limit=5"')

    def _service_summary(self, base: str) -> None:
        """Where the demo's service levels, on call, routing and automation are seen and set."""
        out = self.stdout
        out.write("")
        out.write(_("Service levels, routing and automation (log in as the supervisor or the admin):"))
        rows = (
            (_("Inbox: SLA badges and countdowns, sort by time to breach"), "/"),
            (_("Contact center: live queues, SLA today, staffing forecast"), reverse("web:contact-center")),
            (_("On call: the \"Darurat 24/7\" rotation"), reverse("web:oncall")),
            (_("Routing: queues, skills, capacities (auto-assignment off)"), reverse("web:settings-routing")),
            (_("Automation: rules, macros, canned replies"), reverse("web:settings-automation")),
            (_("Service levels: business calendars and SLA policies"), reverse("web:settings-service-levels")),
        )
        width = max(len(str(label)) for label, _path in rows)
        for label, path in rows:
            out.write(f"  {str(label).ljust(width)}  {base}{path}")

    def _fakes_summary(self, pointed) -> None:
        out = self.stdout
        out.write("")
        out.write(_("Replies go to fake providers on 127.0.0.1; run `layan serve --fake-providers` "
                    "(same --fake-providers-port) to start them:"))
        width = max((len(p.inbox.name) for p in pointed), default=0)
        for p in pointed:
            out.write(f"  {p.inbox.name.ljust(width)}  {p.url}  ({p.fake.label})")
