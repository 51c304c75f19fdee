"""``layan email parse FILE.eml``: what Layan reads from an email, as JSON, without the database;
``layan email fetch INBOX``: poll an email inbox's IMAP mailbox once."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from layan.connectors.email.parsing import parse_email


class Command(BaseCommand):
    requires_system_checks = []  # parsing needs neither the database nor the checks

    @property
    def help(self):  # argparse needs a str, so translate when asked, not at import
        return _("Work with the email channel.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{parse,fetch}")
        parse = actions.add_parser("parse", help=_("Parse an email file and print the result as JSON."))
        parse.add_argument("file", help=_("The .eml file to parse, or - to read standard input."))
        fetch = actions.add_parser("fetch", help=_("Fetch new mail from an email inbox's IMAP mailbox once."))
        fetch.add_argument("inbox", help=_("The inbox: its id, public id or exact name."))

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _parse(self, options):
        path = options["file"]
        if path == "-":
            stdin = getattr(self, "stdin", None) or sys.stdin
            raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
            if isinstance(raw, str):
                raw = raw.encode("utf-8", errors="surrogateescape")
        else:
            try:
                with open(path, "rb") as handle:
                    raw = handle.read()
            except FileNotFoundError as exc:
                raise CommandError(_("No such file: %(path)s") % {"path": path}) from exc
            except OSError as exc:
                raise CommandError(_("Cannot read %(path)s: %(error)s") % {
                    "path": path, "error": exc.strerror or exc}) from exc
        parsed = parse_email(raw)
        self.stdout.write(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2))

    def _fetch(self, options):
        from layan.connectors.email.imap import ImapConfigError, ImapConnectionError, fetch_mailbox

        inbox = _email_inbox(options["inbox"])
        try:
            result = fetch_mailbox(inbox=inbox)
        except (ImapConfigError, ImapConnectionError) as exc:
            raise CommandError(_("%(inbox)s: %(error)s") % {"inbox": inbox.name, "error": exc}) from exc
        self.stdout.write(ngettext("%(inbox)s: stored %(count)d new mail.",
                                   "%(inbox)s: stored %(count)d new mails.", result.stored)
                          % {"inbox": inbox.name, "count": result.stored})
        if result.duplicates:
            self.stdout.write(ngettext("%(count)d mail was already stored.",
                                       "%(count)d mails were already stored.", result.duplicates)
                              % {"count": result.duplicates})
        for error in result.errors:
            self.stderr.write(error)
        if result.errors:
            raise CommandError(ngettext("%(count)d mail could not be stored; it stays on the server.",
                                        "%(count)d mails could not be stored; they stay on the server.",
                                        len(result.errors)) % {"count": len(result.errors)})


def _email_inbox(reference: str):
    """The email inbox named by an id, else a public id, else an exact name (unique across workspaces)."""
    from layan.connectors.models import Inbox, InboxKind

    email_inboxes = Inbox.objects.filter(kind=InboxKind.EMAIL)
    if reference.isdigit() and (inbox := email_inboxes.filter(pk=int(reference)).first()):
        return inbox
    if inbox := email_inboxes.filter(public_id=reference).first():
        return inbox
    named = list(email_inboxes.filter(name=reference)[:2])
    if not named:
        raise CommandError(_("No email inbox with the id, public id or name %(inbox)s.") % {"inbox": reference})
    if len(named) > 1:
        raise CommandError(_("Several email inboxes are named %(inbox)s; give its id instead.")
                           % {"inbox": reference})
    return named[0]
