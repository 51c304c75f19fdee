"""``layan whatsapp templates sync INBOX``: copy a WhatsApp inbox's message templates from Meta
(the composer offers the approved ones once a customer's 24-hour window has closed)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from layan.errors import LayanError


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _("Work with the WhatsApp channel.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{templates}")
        templates = actions.add_parser("templates", help=_("WhatsApp message templates."))
        verbs = templates.add_subparsers(dest="verb", required=True, metavar="{sync}")
        sync = verbs.add_parser("sync", help=_("Copy the inbox's templates from Meta."))
        sync.add_argument("inbox", help=_("The inbox: its id, public id or exact name."))

    def handle(self, *args, **options):
        from layan.accounts.actors import Actor
        from layan.connectors.whatsapp.services import sync_templates

        inbox = _whatsapp_inbox(options["inbox"])
        try:
            result = sync_templates(actor=Actor.system(inbox.workspace), inbox=inbox)
        except LayanError as exc:
            raise CommandError(_("%(inbox)s: %(error)s") % {"inbox": inbox.name, "error": exc.message}) from exc
        self.stdout.write(_("%(inbox)s: %(created)s new, %(updated)s updated, %(removed)s removed templates; "
                            "%(approved)s approved.") % {"inbox": inbox.name, "created": result.created,
                                                          "updated": result.updated, "removed": result.removed,
                                                          "approved": result.approved})


def _whatsapp_inbox(reference: str):
    """The WhatsApp inbox named by an id, else a public id, else an exact name (unique across workspaces)."""
    from layan.connectors.models import Inbox, InboxKind

    inboxes = Inbox.objects.select_related("workspace").filter(kind=InboxKind.WHATSAPP)
    if reference.isdigit() and (inbox := inboxes.filter(pk=int(reference)).first()):
        return inbox
    if inbox := inboxes.filter(public_id=reference).first():
        return inbox
    named = list(inboxes.filter(name=reference)[:2])
    if not named:
        raise CommandError(_("No WhatsApp inbox with the id, public id or name %(inbox)s.") % {"inbox": reference})
    if len(named) > 1:
        raise CommandError(_("Several WhatsApp inboxes are named %(inbox)s; give its id instead.")
                           % {"inbox": reference})
    return named[0]
